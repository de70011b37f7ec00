// Test helper: the admin CLI run without a gateway, every request answered from a script and
// recorded, for the tests of `dcgw destinations|devices|cards|...` (tests/cli/admin_*_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/admin_commands.hpp"

namespace dcgw::cli::testing {

// One request as the CLI sent it.
struct Request {
  std::string method;
  std::string target;
  std::optional<std::string> body;
};

// Answers each request with the next scripted exchange and records what was asked.
class FakeTransport : public AdminTransport {
 public:
  FakeTransport(std::deque<Exchange>& script, std::vector<Request>& seen)
      : script_(script), seen_(seen) {}
  Exchange send(std::string_view method, const std::string& target,
                const std::optional<std::string>& body) override {
    seen_.push_back({std::string(method), target, body});
    if (script_.empty()) return Exchange{std::nullopt, "the script ran out"};
    Exchange x = script_.front();
    script_.pop_front();
    return x;
  }

 private:
  std::deque<Exchange>& script_;
  std::vector<Request>& seen_;
};

// A scripted answer of the gateway.
inline Exchange reply(int status, std::string body) {
  return Exchange{HttpResponse{status, "", std::move(body)}, {}};
}

// The environment of one CLI run: variables from vars_ (DCGW_TOKEN=secret unless a test changes
// it), the connection to the scripted transport, and a fixed now (2026-11-22T10:15:00Z).
// seen_ keeps every request of the test, across runs, so a test can assert that a later run
// sent nothing more.
class AdminCliTest : public ::testing::Test {
 protected:
  AdminCliTest() {
    env_.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    env_.connect = [this](const ClientOptions& o) -> std::unique_ptr<AdminTransport> {
      connectedWith_ = o;
      return std::make_unique<FakeTransport>(script_, seen_);
    };
    env_.now = [] { return *parseIsoTime("2026-11-22T10:15:00Z"); };
    vars_["DCGW_TOKEN"] = "secret";
  }

  // Runs `dcgw <noun> <args...>` with fresh out_ and err_.
  int run(const std::string& noun, std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return runAdminCommand(noun, args, out_, err_, env_);
  }

  std::map<std::string, std::string> vars_;
  AdminEnvironment env_;
  std::deque<Exchange> script_;
  std::vector<Request> seen_;
  ClientOptions connectedWith_;
  std::ostringstream out_, err_;
};

// For tests that look at one run's requests only: seen_ holds only those of the last run.
class AdminCliRunTest : public AdminCliTest {
 protected:
  int run(const std::string& noun, std::vector<std::string> args) {
    seen_.clear();
    return AdminCliTest::run(noun, std::move(args));
  }
};

}  // namespace dcgw::cli::testing
