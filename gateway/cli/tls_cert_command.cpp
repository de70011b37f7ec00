// The key file is created owner-only (0600) before anything is written to it; the certificate is
// public (0644). Both are PEM, as uplink.tls and admin.tls load them.
#include "gateway/cli/tls_cert_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "gateway/common/tls.hpp"

namespace dcgw::cli {

namespace {

constexpr const char* kUsage =
    "usage: dcgw tls-cert --out-cert FILE --out-key FILE [--name HOST ...] [--days N]\n"
    "  a self-signed ECDSA P-256 certificate for a test deployment (uplink.tls, admin.tls);\n"
    "  --name (repeatable): a DNS name or an IP address for its subjectAltName, the first also\n"
    "  its CN (default: localhost, 127.0.0.1 and ::1); --days: validity (365); the key file is\n"
    "  written with mode 0600\n";

// Writes `text` to `path` with `mode` (also when the file existed with another one).
std::string writeFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return std::strerror(errno);
  std::string why;
  if (::fchmod(fd, mode) != 0) why = std::strerror(errno);
  std::size_t done = 0;
  while (why.empty() && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) why = std::strerror(errno);
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && why.empty()) why = std::strerror(errno);
  return why;
}

}  // namespace

int runTlsCert(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string certFile, keyFile;
  std::vector<std::string> names;
  int days = 365;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    }
    if (a != "--out-cert" && a != "--out-key" && a != "--name" && a != "--days") {
      err << "dcgw tls-cert: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
    if (i + 1 >= args.size()) {
      err << "dcgw tls-cert: " << a << " needs a value\n";
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--out-cert") certFile = v;
    if (a == "--out-key") keyFile = v;
    if (a == "--name") names.push_back(v);
    if (a == "--days") {
      auto r = std::from_chars(v.data(), v.data() + v.size(), days);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size() || days < 1 || days > 36500) {
        err << "dcgw tls-cert: --days needs a number of days 1-36500, not '" << v << "'\n";
        return 2;
      }
    }
  }
  if (certFile.empty() || keyFile.empty()) {
    err << "dcgw tls-cert: " << (certFile.empty() ? "--out-cert" : "--out-key") << " is required\n"
        << kUsage;
    return 2;
  }
  if (certFile == keyFile) {
    err << "dcgw tls-cert: --out-cert and --out-key name the same file\n";
    return 2;
  }
  if (names.empty()) names = {"localhost", "127.0.0.1", "::1"};
  common::SelfSignedCertificate c;
  try {
    c = common::makeSelfSignedCertificate(names, days);
  } catch (const std::invalid_argument& e) {
    err << "dcgw tls-cert: --name: " << e.what() << '\n';
    return 2;
  } catch (const std::runtime_error& e) {
    err << "dcgw " << e.what() << '\n';
    return 1;
  }
  if (auto why = writeFile(keyFile, c.privateKeyPem, 0600); !why.empty()) {
    err << "dcgw tls-cert: --out-key: cannot write '" << keyFile << "': " << why << '\n';
    return 1;
  }
  if (auto why = writeFile(certFile, c.certificatePem, 0644); !why.empty()) {
    err << "dcgw tls-cert: --out-cert: cannot write '" << certFile << "': " << why << '\n';
    return 1;
  }
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  out << "certificate " << certFile << " (self-signed, ECDSA P-256, " << days
      << " days, names: " << list << ")\nkey " << keyFile << " (mode 0600)\nsha256 "
      << c.sha256Fingerprint << '\n';
  return 0;
}

}  // namespace dcgw::cli
