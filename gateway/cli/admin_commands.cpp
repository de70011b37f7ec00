// Checks each command line against a table of verbs before anything is sent, maps it to its
// endpoint and renders the answer; updates fetch the object, change the given fields and PUT
// the whole input back, as the API replaces objects. The verbs of each noun are in their own
// files; here the dispatch, the shapes they share and the transport.
#include "gateway/cli/admin_internal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string_view>

#include "adapters/methods.hpp"

namespace dcgw::cli::admin_impl {

int Runner::run() {
  const std::string& n = inv_.noun;
  const std::string& v = inv_.verb;
  if (n == "destinations") return destinations(v);
  if (n == "locations") return locations(v);
  if (n == "devices") return devices(v);
  if (n == "queue") return queue(v);
  if (n == "tokens") return tokens(v);
  if (n == "drivers") return drivers(v);
  if (n == "cards") return cards(v);
  if (n == "card-bridges") return cardBridges(v);
  if (n == "files") return files(v);
  if (n == "compliance") return compliance(v);
  return kAdminBadArgs;  // parseAdminArgs knows no verb of another noun
}

// --- the shapes every noun shares ---
int Runner::list(const std::string& target, const std::string& key,
                 const std::vector<TableColumn>& columns,
                 const std::function<std::vector<std::string>(const JsonValue&)>& row) {
  auto a = call("GET", target);
  if (!a) return exit_;
  if (inv_.json) return printRaw(*a);
  const JsonValue* items = a->json.find(key);
  if (!items || !items->isArray()) return unexpected(*a, "no '" + key + "' list");
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : items->asArray()) rows.push_back(row(item));
  renderTable(columns, rows, out_);
  return kAdminOk;
}

int Runner::show(const std::string& target) {
  auto a = call("GET", target);
  if (!a) return exit_;
  if (inv_.json) return printRaw(*a);
  renderObject(a->json, out_);
  return kAdminOk;
}

int Runner::create(const std::string& target, const Object& body, const std::string& what,
                   const std::string& idKey) {
  auto a = call("POST", target, toJson(JsonValue::makeObject(body)));
  if (!a) return exit_;
  if (inv_.json) return printRaw(*a);
  out_ << "created " << what << " " << cell(a->json, idKey) << '\n';
  renderObject(a->json, out_);
  return kAdminOk;
}

int Runner::update(const std::string& target, const Object& changes,
                   std::initializer_list<std::string_view> inputFields,
                   const std::function<void(Object&)>& adjust) {
  if (changes.empty())
    return badArgs(argError("options", "nothing to change: give at least one option (see dcgw " +
                                           inv_.noun + " --help)"));
  auto current = call("GET", target);
  if (!current) return exit_;
  if (!current->json.isObject()) return unexpected(*current, "not an object");
  Object body = pick(current->json, inputFields);
  for (const auto& [k, v] : changes) put(body, k, v);
  if (adjust) adjust(body);
  auto a = call("PUT", target, toJson(JsonValue::makeObject(body)));
  if (!a) return exit_;
  if (inv_.json) return printRaw(*a);
  out_ << "updated " << inv_.noun.substr(0, inv_.noun.size() - 1) << " " << inv_.operand << '\n';
  renderObject(a->json, out_);
  return kAdminOk;
}

int Runner::remove(const std::string& target, const std::string& done) {
  auto a = call("DELETE", target);
  if (!a) return exit_;
  if (inv_.json) return printRaw(*a);
  out_ << done << '\n';
  return kAdminOk;
}

// --- transport and errors ---
std::optional<Runner::Answer> Runner::call(std::string_view method, const std::string& target,
                                           std::optional<std::string> body) {
  if (!transport_) transport_ = env_.connect(inv_.client);
  Exchange x = transport_->send(method, target, body);
  if (!x.response) {
    err_ << prog_ << ": " << x.failure << '\n';
    exit_ = kAdminUnreachable;
    return std::nullopt;
  }
  Answer a{std::move(*x.response), {}};
  if (a.response.status < 200 || a.response.status > 299) {
    reportApiError(a.response);
    exit_ = kAdminApiError;
    return std::nullopt;
  }
  if (a.response.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = codecs::parseJson(a.response.body);
    if (!parsed) {
      err_ << prog_ << ": the gateway answered " << statusText(a.response)
           << " with a body that is not JSON (" << parsed.error().message()
           << "): " << snippet(a.response.body) << '\n';
      exit_ = kAdminApiError;
      return std::nullopt;
    }
    a.json = std::move(*parsed);
  }
  return a;
}

void Runner::reportApiError(const HttpResponse& r) {
  auto parsed = codecs::parseJson(r.body);
  const JsonValue* error = parsed ? parsed->find("error") : nullptr;
  if (error && error->isString()) {
    err_ << prog_ << ": " << error->asString() << " (" << statusText(r) << ")\n";
  } else {
    err_ << prog_ << ": the gateway answered " << statusText(r)
         << (r.body.empty() ? "" : ": " + snippet(r.body)) << '\n';
  }
  if (const JsonValue* fields = parsed ? parsed->find("fields") : nullptr;
      fields && fields->isArray()) {
    for (const auto& f : fields->asArray())
      err_ << "  " << cell(f, "field") << ": " << cell(f, "reason") << '\n';
  }
  if (r.status == 401)
    err_ << prog_ << ": the token was not accepted; check --token or DCGW_TOKEN\n";
  else if (r.status == 403 && !(error && error->isString()))
    err_ << prog_ << ": this needs a token with the admin role (auditors only read)\n";
}

int Runner::unexpected(const Answer& a, const std::string& what) {
  err_ << prog_ << ": unexpected answer from the gateway (" << what
       << "): " << snippet(a.response.body) << '\n';
  return exit_ = kAdminApiError;
}

int Runner::badArgs(const codecs::Error& e) {
  err_ << prog_ << ": " << e.expected << '\n';
  return kAdminBadArgs;
}

int Runner::printRaw(const Answer& a) {
  out_ << a.response.body;
  if (!a.response.body.empty() && a.response.body.back() != '\n') out_ << '\n';
  return kAdminOk;
}

std::string Runner::statusText(const HttpResponse& r) {
  return "HTTP " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
}

std::string Runner::snippet(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return body.size() > 200 ? s + "..." : s;
}

}  // namespace dcgw::cli::admin_impl

namespace dcgw::cli {

using namespace admin_impl;

AdminEnvironment defaultAdminEnvironment() {
  AdminEnvironment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  env.connect = makeHttpTransport;
  env.now = [] { return std::chrono::system_clock::now(); };
  return env;
}

int runAdminCommand(const std::string& noun, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err) {
  return runAdminCommand(noun, args, out, err, defaultAdminEnvironment());
}

int runAdminCommand(const std::string& noun, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const AdminEnvironment& env) {
  auto inv = parseAdminArgs(noun, args, env.getenv);
  if (!inv) {
    err << "dcgw " << noun << ": " << inv.error().expected << '\n';
    return kAdminBadArgs;
  }
  if (inv->help) {
    out << adminUsage(noun);
    return kAdminOk;
  }
  return Runner(*inv, env, out, err).run();
}

}  // namespace dcgw::cli
