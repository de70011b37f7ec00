// Tokens are made here, offline, because the API needs a token before it can make one. The
// secret is printed once; the store keeps its SHA-256.
#include "gateway/cli/token_command.hpp"

#include "codecs/json.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/open_backend.hpp"

namespace dcgw::cli {

int runToken(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] != "create") {
    err << "usage: dcgw token create --role admin|auditor [--name NAME] [--db PATH | --store "
           "URL]\n"
           "(list and revoke tokens over the API: dcgw tokens list|revoke)\n";
    return 2;
  }
  std::string role, name, db = "dcgw.db";
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i + 1 >= args.size()) {
      err << "dcgw token create: option " << a << " needs a value\n";
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--role") {
      role = v;
    } else if (a == "--name") {
      name = v;
    } else if (a == "--db" || a == "--store") {
      if (a == "--store" && !store::isPostgresUrl(v)) {
        err << "dcgw token create: --store must be a postgresql:// URL, not '" << v << "'\n";
        return 2;
      }
      db = v;
    } else {
      err << "dcgw token create: unknown option '" << a << "'\n";
      return 2;
    }
  }
  if (role != "admin" && role != "auditor") {
    err << "dcgw token create: --role must be admin or auditor"
        << (role.empty() ? "" : ", not '" + role + "'") << '\n';
    return 2;
  }
  if (name.empty()) name = role;
  common::SystemClock clock;
  try {
    const auto store = store::openBackend(db);
    // The token and its audit row in one transaction.
    auto tx = store->begin();
    auto [token, secret] = tx->createToken(name, role, clock.nowMs());
    std::string after;
    codecs::JsonWriter w(after);
    w.beginObject();
    w.key("id");
    w.integer(token.id);
    w.key("name");
    w.string(name);
    w.key("role");
    w.string(role);
    w.endObject();
    tx->appendAudit(store::AuditRecord{0, clock.nowMs(), "cli", "admin", "token.create",
                                       "token " + std::to_string(token.id), std::nullopt, after});
    tx->commit();
    out << secret << '\n';
    err << "dcgw token create: token " << token.id << " (" << role << ", \"" << name
        << "\") stored in " << store::displayLocation(db)
        << "; the secret above is not shown again\n";
  } catch (const store::StoreError& e) {
    err << "dcgw token create: " << store::displayLocation(db) << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace dcgw::cli
