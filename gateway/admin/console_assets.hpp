// The web console's files (gateway/admin/console/), embedded in the binary at build time so the
// gateway serves them with nothing to install and nothing loaded from elsewhere.
#pragma once

#include <cstddef>
#include <string>

namespace dcgw::admin {

struct ConsoleAsset {
  const char* path;  // "/index.html", "/console/app.js", ...
  const char* contentType;
  const char* content;
  std::size_t size;
};

// nullptr when no file has that path.
const ConsoleAsset* findConsoleAsset(const std::string& path);

}  // namespace dcgw::admin
