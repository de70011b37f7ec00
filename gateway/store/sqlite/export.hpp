// `dcgw export`: every table of a SQLite store, read in one snapshot (the gateway may run), as
// the export file of schema/export.md.
#pragma once

#include <ostream>
#include <string>

#include "gateway/store/transfer.hpp"

namespace dcgw::store::sqlite {

// Writes the store at `path` to `out`; returns the rows per table. Throws StoreError.
transfer::Summary exportStore(const std::string& path, std::ostream& out);

}  // namespace dcgw::store::sqlite
