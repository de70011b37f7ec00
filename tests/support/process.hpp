// Test helper: a child process (fork + exec) with stdout and stderr in files, for the tests that
// run the real dcgw binary.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dcgw::testing {

// A child process with stdout and stderr in files.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& out,
          const std::filesystem::path& err)
      : out_(out), err_(err) {
    pid_ = fork();
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      std::freopen(err.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The first match of `pattern` (group 1) in stderr, waiting for it to be printed.
  std::string awaitStderr(const std::string& pattern,
                          std::chrono::seconds limit = std::chrono::seconds(20)) {
    const std::regex re(pattern);
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream f(err_);
      std::stringstream ss;
      ss << f.rdbuf();
      std::smatch m;
      const std::string text = ss.str();
      if (std::regex_search(text, m, re)) return m[1];
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no '" << pattern << "' in " << err_;
    return "";
  }
  // Sends `sig` and returns at once (SIGHUP: the process is expected to go on).
  void signal(int sig) { kill(pid_, sig); }
  int stop(int sig = SIGTERM) {
    kill(pid_, sig);
    return wait();
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // Everything printed on stderr so far.
  std::string stderrText() const {
    std::ifstream f(err_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::vector<std::string> stdoutLines() const {
    std::ifstream f(out_);
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);)
      if (!l.empty()) lines.push_back(l);
    return lines;
  }

 private:
  pid_t pid_{-1};
  bool exited_{false};
  std::filesystem::path out_, err_;
};

}  // namespace dcgw::testing
