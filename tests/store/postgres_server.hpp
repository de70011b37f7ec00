// The PostgreSQL server the PostgreSQL tests share (postgres_harness.cpp starts it at the first
// use and removes it at exit), for tests beyond the conformance suite.
#pragma once

#include <string>

namespace dcgw::testing {

// Drops `name` if it exists, creates it empty, and returns its URL.
std::string pgFreshDatabase(const std::string& name);
void pgDropDatabase(const std::string& name);

}  // namespace dcgw::testing
