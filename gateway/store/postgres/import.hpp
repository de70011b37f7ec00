// `dcgw import`: an export file (schema/export.md) loaded into an empty PostgreSQL store in one
// transaction, ids kept, identity sequences moved past them.
#pragma once

#include <istream>
#include <string>

#include "gateway/store/transfer.hpp"

namespace dcgw::store::postgres {

// Loads `in` into the database at `url` (migrated first). Throws StoreError: Conflict when the
// database holds a configuration or packets already, Invalid when the file is not a whole
// export (naming the line), and nothing is kept then.
transfer::Summary importStore(const std::string& url, std::istream& in);

}  // namespace dcgw::store::postgres
