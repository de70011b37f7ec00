// Opening a store applies its migrations (each backend's, in one transaction; PostgreSQL's under
// an advisory lock, so nodes starting at once do not race): this command opens it and says
// which version it is at.
#include "gateway/cli/migrate_command.hpp"

#include "gateway/store/open_backend.hpp"

namespace dcgw::cli {

int runMigrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string location = "dcgw.db";
  bool given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a != "--db" && a != "--store") {
      err << "usage: dcgw migrate [--db PATH | --store postgresql://...]\n";
      return 2;
    }
    if (i + 1 >= args.size()) {
      err << "dcgw migrate: option " << a << " needs a value\n";
      return 2;
    }
    if (given) {
      err << "dcgw migrate: give one store (--db or --store)\n";
      return 2;
    }
    location = args[++i];
    given = true;
    if (a == "--store" && !store::isPostgresUrl(location)) {
      err << "dcgw migrate: --store must be a postgresql:// URL, not '" << location << "'\n";
      return 2;
    }
  }
  const std::string shown = store::displayLocation(location);
  try {
    const auto store = store::openBackend(location);
    out << "schema version " << store->schemaVersion() << '\n';
    err << "dcgw migrate: " << shown << " is up to date\n";
  } catch (const store::StoreError& e) {
    err << "dcgw migrate: " << shown << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace dcgw::cli
