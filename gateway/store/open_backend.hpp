// Which backend a store location names: a postgresql:// or postgres:// URL opens the PostgreSQL
// backend (libpq's connection URL, issue 14), anything else is the path of a SQLite database.
#pragma once

#include <memory>
#include <string>

#include "gateway/store/interfaces.hpp"

namespace dcgw::store {

// Whether `location` is a PostgreSQL connection URL.
bool isPostgresUrl(const std::string& location);

// Opens (creating a SQLite file, or applying the migrations) the store at `location`. Throws
// StoreError (Unavailable when a PostgreSQL server cannot be reached).
std::unique_ptr<Backend> openBackend(const std::string& location,
                                     Durability durability = Durability::Full);

// The location as messages may show it (a URL's password hidden).
std::string displayLocation(const std::string& location);

}  // namespace dcgw::store
