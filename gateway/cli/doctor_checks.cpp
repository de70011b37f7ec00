// `dcgw doctor`'s checks. Each looks without changing anything: the configuration is validated
// into an in-memory store, the database is opened read-only, ports are bound and released at
// once, and destinations are resolved, connected and (https) handshaken but sent nothing.
#include "gateway/cli/doctor_checks.hpp"

#include <Poco/DateTime.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "adapters/adapter.hpp"
#include "adapters/methods.hpp"
#include "adapters/resolver.hpp"
#include "codecs/json.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/config/config_file.hpp"
#include "gateway/forward/destination_settings.hpp"
#include "gateway/store/sqlite/backup.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::cli::doctor {
namespace {

constexpr int kCertificateWarnDays = 30;

Check ok(std::string name, std::string detail) {
  return {std::move(name), Status::Ok, std::move(detail), {}};
}
Check warn(std::string name, std::string detail, std::string hint) {
  return {std::move(name), Status::Warn, std::move(detail), std::move(hint)};
}
Check error(std::string name, std::string detail, std::string hint) {
  return {std::move(name), Status::Error, std::move(detail), std::move(hint)};
}

std::string mebibytes(std::int64_t bytes) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return o.str();
}

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// ---------------------------------------------------------------- the configuration

// What serve reads of the file at every start, as serve reads it (serve_command.cpp).
struct Listeners {
  uplink::ListenerOptions uplink;
  admin::AdminOptions admin;
  std::optional<cardauth::CardAuthOptions> cards;
  uplink::TeltonikaOptions teltonika;
};

// Every section serve refuses to start with, in serve's order; the first error, or the options.
codecs::Result<Listeners> readListeners(const std::string& path) {
  auto durability = config::storeDurability(path);
  auto retention = config::retentionMs(path);
  auto room = config::storeRoom(path);
  auto consolidatedDds = config::consolidatedDds(path);
  auto options = config::uplinkOptions(path);
  auto adminOptions = config::adminOptions(path);
  auto cardOptions = config::cardAuthOptions(path);
  auto fileOptions = config::filesOptions(path);
  auto alertOptions = config::alertOptions(path);
  auto teltonikaOptions = config::teltonikaOptions(path);
  for (const codecs::Error* e :
       {durability ? nullptr : &durability.error(), retention ? nullptr : &retention.error(),
        room ? nullptr : &room.error(), alertOptions ? nullptr : &alertOptions.error(),
        options ? nullptr : &options.error(), adminOptions ? nullptr : &adminOptions.error(),
        cardOptions ? nullptr : &cardOptions.error(), fileOptions ? nullptr : &fileOptions.error(),
        consolidatedDds ? nullptr : &consolidatedDds.error(),
        teltonikaOptions ? nullptr : &teltonikaOptions.error()})
    if (e) return *e;
  return Listeners{*options, *adminOptions, *cardOptions, *teltonikaOptions};
}

// ---------------------------------------------------------------- the store

struct StoreState {
  bool exists{false};
  bool usable{false};  // opened, intact, a dcgw store of this binary's schema version
  bool empty{true};    // no destinations, locations or devices: serve would load the file
};

void checkStore(const Options& o, std::vector<Check>& out, StoreState& st) {
  std::error_code ec;
  st.exists = std::filesystem::exists(o.db, ec);
  if (ec) {  // e.g. the package's /var/lib/dcgw (0700) looked at by another user
    out.push_back(error("store", "cannot look at " + o.db + ": " + ec.message(),
                        "run dcgw doctor as the gateway's user (runuser -u dcgw -- dcgw doctor "
                        "...) or as root"));
    return;
  }
  if (!st.exists) {
    out.push_back(warn("store", o.db + ": no database yet",
                       "dcgw serve --db " + o.db +
                           " creates it and loads the configuration file into it; if a database "
                           "existed here, restore the last backup: dcgw restore --db " +
                           o.db + " BACKUP"));
    return;
  }
  store::sqlite::Inspection in;
  try {
    in = store::sqlite::inspectDatabase(o.db, o.fullIntegrityCheck);
  } catch (const store::StoreError& e) {
    out.push_back(error("store", e.what(),
                        "the file is damaged or not a dcgw database: stop the gateway, keep the "
                        "file aside for analysis and restore the last backup (dcgw restore --db " +
                            o.db + " BACKUP)"));
    return;
  }
  const std::string holder = [&] {
    auto pid = store::sqlite::lockHolder(o.db);
    return pid ? ", in use by process " + std::to_string(*pid) : std::string(", no gateway on it");
  }();
  if (!in.integrityOk) {
    out.push_back(error("store.integrity",
                        o.db + ": " + (o.fullIntegrityCheck ? "integrity_check" : "quick_check") +
                            " found: " + in.integrityDetail,
                        "stop the gateway and restore the last backup (dcgw restore --db " + o.db +
                            " BACKUP); a backup taken now would copy the damage"));
  } else {
    out.push_back(ok("store.integrity",
                     o.db + ": " + (o.fullIntegrityCheck ? "integrity_check" : "quick_check") +
                         " ok, " + std::to_string(in.pages) + " pages of " +
                         std::to_string(in.pageSize) + " bytes" + holder));
  }
  const int supported = store::sqlite::supportedSchemaVersion();
  if (!in.isStore) {
    out.push_back(error("store.schema", o.db + ": an SQLite database, but not a dcgw store",
                        "check --db: it names another program's database"));
  } else if (in.schemaVersion > supported) {
    out.push_back(error("store.schema",
                        o.db + ": schema version " + std::to_string(in.schemaVersion) +
                            ", newer than this dcgw's " + std::to_string(supported),
                        "run the dcgw release that last served this database (this binary is "
                        "older)"));
  } else if (in.schemaVersion < supported) {
    out.push_back(warn("store.schema",
                       o.db + ": schema version " + std::to_string(in.schemaVersion) + " of " +
                           std::to_string(supported) + ", " + std::to_string(in.packets) +
                           " packets",
                       "dcgw serve migrates it at its next start; take a backup first (dcgw "
                       "backup --db " +
                           o.db + " FILE)"));
  } else {
    out.push_back(ok("store.schema", "schema version " + std::to_string(in.schemaVersion) + ", " +
                                         std::to_string(in.packets) + " packets"));
  }
  st.usable = in.integrityOk && in.isStore && in.schemaVersion == supported;

  struct stat wal {};
  const std::int64_t walBytes = ::stat((o.db + "-wal").c_str(), &wal) == 0 ? wal.st_size : 0;
  if (walBytes > o.maxWalBytes)
    out.push_back(warn("store.wal", o.db + "-wal is " + mebibytes(walBytes),
                       "a long-running reader holds checkpoints back (an export, an admin query, "
                       "a backup of a huge database); it shrinks once that reader ends"));
  else
    out.push_back(ok("store.wal", "write-ahead log " + mebibytes(walBytes)));

  // The rows' room (issue 17): what they take, per packet, and against store.maxBytes.
  const std::int64_t used = (in.pages - in.freePages) * in.pageSize;
  std::string taken = mebibytes(used) + " in use";
  if (in.packets > 0)
    taken += ", " + std::to_string(used / in.packets) + " bytes per packet held (" +
             std::to_string(in.packets) + " packets)";
  const auto room = config::storeRoom(o.config);
  const std::int64_t max = room ? room->maxBytes : 0;
  if (max <= 0) {
    out.push_back(ok("store.room", taken + ", no store.maxBytes"));
  } else {
    taken += ", " + std::to_string(used * 100 / max) + "% of store.maxBytes " + mebibytes(max);
    const std::string hint =
        "once serve has pruned the delivered history, pending packets fill it: find the "
        "destination that does not take its queue (dcgw_queue_depth) and skip or remove it "
        "(its queue becomes dead letters, which are pruned), or raise store.maxBytes";
    if (used >= max / 100 * 98)
      out.push_back(error(
          "store.room", taken + ": trackers are refused STORE_FULL unless serve can prune", hint));
    else if (used > max / 100 * 95)
      out.push_back(warn("store.room", taken, hint));
    else
      out.push_back(ok("store.room", taken));
  }

  struct statvfs fsInfo {};
  const std::string dir = directoryOf(o.db);
  if (::statvfs(dir.c_str(), &fsInfo) != 0) {
    out.push_back(warn("store.disk",
                       "cannot read the free space of " + dir + ": " + std::strerror(errno),
                       "check the directory's permissions"));
  } else {
    const std::int64_t free = static_cast<std::int64_t>(fsInfo.f_bavail) * fsInfo.f_frsize;
    const std::string detail = mebibytes(free) + " free on the filesystem of " + dir;
    const std::string hint =
        "free space (old backups, logs) or move the store to a larger disk: when the disk is "
        "full ingest refuses packets and trackers keep them";
    if (free < o.minFreeBytes / 8)
      out.push_back(error("store.disk", detail, hint));
    else if (free < o.minFreeBytes)
      out.push_back(
          warn("store.disk", detail + " (under " + mebibytes(o.minFreeBytes) + ")", hint));
    else
      out.push_back(ok("store.disk", detail));
  }
}

// ---------------------------------------------------------------- ports

// The admin API's answer to GET /healthz, or an empty string when nothing HTTP answered.
std::string askHealthz(const admin::AdminOptions& a, std::chrono::milliseconds timeout) {
  const std::string host = a.bind == "0.0.0.0" ? "127.0.0.1" : (a.bind == "::" ? "::1" : a.bind);
  try {
    adapters::initialiseTls();
    std::unique_ptr<Poco::Net::HTTPClientSession> s;
    if (a.tlsCertificateFile.empty()) {
      s = std::make_unique<Poco::Net::HTTPClientSession>(host, a.port);
    } else {
      // Only asking whether the gateway answers: its certificate is the certificate check's.
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                           Poco::Net::Context::VERIFY_NONE);
      s = std::make_unique<Poco::Net::HTTPSClientSession>(host, a.port, ctx);
    }
    s->setTimeout(Poco::Timespan(timeout.count() * 1000));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/healthz",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    s->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = s->receiveResponse(resp);
    std::string text;
    std::getline(body, text);
    return std::to_string(static_cast<int>(resp.getStatus())) + " " + text;
  } catch (const Poco::Exception&) {
    return "";
  }
}

// 0 when `bind:port` can be bound now, else the errno of bind (or of socket).
int tryBind(const std::string& bind, std::uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
      ::inet_pton(AF_INET, bind.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
             ::inet_pton(AF_INET6, bind.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    return EINVAL;
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the listeners bind
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

void checkPorts(const Options& o, const Listeners& l, std::vector<Check>& out) {
  struct Port {
    std::string name;
    std::string bind;
    std::uint16_t port;
    std::string setting;
  };
  std::vector<Port> ports{{"uplink", l.uplink.bind, l.uplink.port, "uplink.port"},
                          {"admin", l.admin.bind, l.admin.port, "admin.port"}};
  if (l.teltonika.enabled)
    ports.push_back({"teltonika", l.teltonika.bind, l.teltonika.port, "teltonika.port"});
  if (l.cards)
    ports.push_back(
        {"cardBridge", l.cards->bridges.bind, l.cards->bridges.port, "cardBridge.port"});
  std::optional<std::string> healthz;  // asked once, when a port is taken
  for (const Port& p : ports) {
    const std::string name = "port." + p.name;
    const std::string where = p.bind + ":" + std::to_string(p.port);
    if (p.port == 0) {
      out.push_back(ok(name, where + ": any free port, chosen at start"));
      continue;
    }
    const int rc = tryBind(p.bind, p.port);
    if (rc == 0) {
      out.push_back(ok(name, where + ": free to bind"));
      continue;
    }
    if (rc == EADDRINUSE) {
      if (!healthz) healthz = askHealthz(l.admin, o.timeout);
      const auto holder = store::sqlite::lockHolder(o.db);
      if (holder && healthz->rfind("200", 0) == 0) {
        out.push_back(ok(name, where + ": in use by the running dcgw (process " +
                                   std::to_string(*holder) + ", /healthz answered ok)"));
      } else if (holder && !healthz->empty()) {
        out.push_back(error(name,
                            where + ": in use by the running dcgw (process " +
                                std::to_string(*holder) + "), whose /healthz says " + *healthz,
                            "read the gateway's log (journalctl -u dcgw): its store is "
                            "unavailable; restart it once the cause is fixed"));
      } else if (holder) {
        out.push_back(warn(name,
                           where +
                               ": in use, probably by the dcgw running on this database "
                               "(process " +
                               std::to_string(*holder) +
                               "), but its admin API does not answer on " + l.admin.bind + ":" +
                               std::to_string(l.admin.port),
                           "was it started with other ports than " + o.config +
                               " (--admin-port, --uplink-port)? otherwise find the program with "
                               "ss -ltnp 'sport = :" +
                               std::to_string(p.port) + "'"));
      } else {
        out.push_back(error(name, where + ": in use by another program",
                            "find it with ss -ltnp 'sport = :" + std::to_string(p.port) +
                                "' and stop it, or choose another port (" + p.setting + " in " +
                                o.config + ")"));
      }
      continue;
    }
    std::string hint = "check " + p.name + ".bind in " + o.config;
    if (rc == EACCES)
      hint =
          "ports under 1024 need CAP_NET_BIND_SERVICE (AmbientCapabilities= in the systemd "
          "unit) or a port from 1024 up";
    else if (rc == EADDRNOTAVAIL)
      hint = "no interface of this machine has the address " + p.bind + ": " + hint;
    else if (rc == EINVAL)
      hint = p.bind + " is not an IP address: " + hint;
    out.push_back(error(name, where + ": cannot bind: " + std::strerror(rc), hint));
  }
}

// ---------------------------------------------------------------- certificates

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string asn1Text(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void checkCertificate(const std::string& who, const std::string& certFile,
                      const std::string& keyFile, std::vector<Check>& out) {
  const std::string name = "certificate." + who;
  std::unique_ptr<BIO, BioFree> certBio(BIO_new_file(certFile.c_str(), "r"));
  if (!certBio) {
    out.push_back(error(name, certFile + ": cannot be read: " + std::strerror(errno),
                        "check the path and that the gateway's user may read it (" + who +
                            ".tls.certificateFile)"));
    return;
  }
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    out.push_back(error(name, certFile + ": no PEM certificate in it",
                        "give the PEM certificate (chain), leaf first"));
    return;
  }
  std::unique_ptr<BIO, BioFree> keyBio(BIO_new_file(keyFile.c_str(), "r"));
  if (!keyBio) {
    out.push_back(error(name, keyFile + ": cannot be read: " + std::strerror(errno),
                        "check the path and that the gateway's user may read it (" + who +
                            ".tls.privateKeyFile, mode 0600)"));
    return;
  }
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    out.push_back(error(name, keyFile + ": no unencrypted PEM private key in it",
                        "give the key in PEM without a passphrase"));
    return;
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    out.push_back(error(name, keyFile + " is not the key of " + certFile,
                        "give the key the certificate was issued for"));
    return;
  }
  const ASN1_TIME* notBefore = X509_get0_notBefore(cert.get());
  const ASN1_TIME* notAfter = X509_get0_notAfter(cert.get());
  int days = 0, seconds = 0;
  const std::string dates = "valid " + asn1Text(notBefore) + " to " + asn1Text(notAfter);
  if (ASN1_TIME_diff(&days, &seconds, nullptr, notBefore) == 1 && (days > 0 || seconds > 0)) {
    out.push_back(error(name, certFile + ": not valid yet (" + dates + ")",
                        "check this machine's clock (timedatectl), or the certificate's dates"));
    return;
  }
  if (ASN1_TIME_diff(&days, &seconds, nullptr, notAfter) != 1) {
    out.push_back(error(name, certFile + ": unreadable expiry date", "renew the certificate"));
    return;
  }
  if (days < 0 || (days == 0 && seconds <= 0)) {
    out.push_back(error(name, certFile + ": expired (" + dates + ")",
                        "renew the certificate, replace the file and restart the gateway; "
                        "clients refuse an expired certificate"));
  } else if (days < kCertificateWarnDays) {
    out.push_back(warn(name,
                       certFile + ": expires in " + std::to_string(days) + " days (" + dates + ")",
                       "renew it before it expires, then restart the gateway"));
  } else {
    out.push_back(ok(name, certFile + ": key matches, " + dates));
  }
}

void checkCertificates(const Listeners& l, std::vector<Check>& out) {
  auto one = [&](const std::string& who, const std::string& cert, const std::string& key) {
    if (!cert.empty() || !key.empty()) checkCertificate(who, cert, key, out);
  };
  one("uplink", l.uplink.tlsCertificateFile, l.uplink.tlsPrivateKeyFile);
  one("admin", l.admin.tlsCertificateFile, l.admin.tlsPrivateKeyFile);
  if (l.teltonika.enabled)
    one("teltonika", l.teltonika.tlsCertificateFile, l.teltonika.tlsPrivateKeyFile);
  if (l.cards)
    one("cardBridge", l.cards->bridges.tlsCertificateFile, l.cards->bridges.tlsPrivateKeyFile);
}

// ---------------------------------------------------------------- destinations

Check checkDestination(const store::DestinationConfig& d, const Options& o) {
  const std::string name = "destination." + d.settings.name;
  if (!d.enabled) return ok(name, "disabled: not checked");
  auto s = forward::toAdapterSettings(d.settings);
  if (!s)
    return error(name, s.error().message(),
                 "correct it: dcgw destinations update ID (dcgw destinations list)");
  std::string host = s->host;
  std::uint16_t port = s->port;
  bool tls = false;
  if (adapters::methodInfo(s->method).addressing == adapters::Addressing::Url) {
    try {
      const Poco::URI uri(s->host);
      host = uri.getHost();
      port = uri.getPort();
      tls = uri.getScheme() == "https";
    } catch (const Poco::Exception& e) {
      return error(name, s->host + ": not a URL (" + e.displayText() + ")",
                   "correct its host: dcgw destinations update ID --host URL");
    }
  }
  const std::string method(adapters::methodName(s->method));
  // Its ID as `dcgw destinations list` shows it.
  const std::string update = "dcgw destinations update ID (dcgw destinations list)";
  const std::string fixHost = "; if the address changed: " + update + " --host ...";
  Poco::Net::SocketAddress address;
  try {
    address = adapters::resolveWithin(host, port, o.timeout);
  } catch (const adapters::ResolveError& e) {
    return error(name, method + " " + host + ": " + e.what(),
                 "check the name (getent hosts " + host +
                     ") and this machine's DNS servers (/etc/resolv.conf)" + fixHost);
  }
  const std::string peer = host + " (" + address.toString() + ")";
  if (s->method == adapters::Method::XmlUdp)
    return ok(name, method + " " + peer +
                        ": resolved; UDP is not connected (a receiver cannot be seen without "
                        "sending)");
  Poco::Net::StreamSocket socket;
  try {
    socket.connect(address, Poco::Timespan(o.timeout.count() * 1000));
  } catch (const Poco::Exception& e) {
    return error(name, method + " " + peer + ": cannot connect: " + e.displayText(),
                 "is the receiver running and listening on port " + std::to_string(port) +
                     "? a firewall between (try: nc -vz " + host + " " + std::to_string(port) +
                     ")" + fixHost);
  }
  if (!tls) return ok(name, method + " " + peer + ": connected");
  try {
    adapters::initialiseTls();
    // As the adapter makes it (http_adapters.cpp): the system's CAs, the destination's extra CA
    // file, and the host name checked by OpenSSL during the handshake.
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", s->tlsCaFile,
        s->tlsVerify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE, 9,
        true);
    if (s->tlsVerify) {
      X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx->sslContext());
      if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    } else {
      ctx->enableExtendedCertificateVerification(false);
    }
    socket.setReceiveTimeout(Poco::Timespan(o.timeout.count() * 1000));
    socket.setSendTimeout(Poco::Timespan(o.timeout.count() * 1000));
    Poco::Net::SecureStreamSocket secure = Poco::Net::SecureStreamSocket::attach(socket, host, ctx);
    secure.completeHandshake();
    std::string expiry;
    if (secure.havePeerCertificate()) {
      const Poco::Net::X509Certificate c = secure.peerCertificate();
      const auto left = c.expiresOn() - Poco::DateTime();
      if (left.days() < kCertificateWarnDays)
        return warn(name,
                    method + " " + peer + ": TLS " + (s->tlsVerify ? "verified" : "not verified") +
                        ", but the receiver's certificate expires in " +
                        std::to_string(left.days()) + " days",
                    "tell the receiver's operator to renew it: deliveries stop when it expires");
      expiry = ", its certificate valid " + std::to_string(left.days()) + " more days";
    }
    secure.close();
    return ok(name, method + " " + peer + ": connected, TLS " +
                        (s->tlsVerify ? "verified" : "not verified (tlsVerify false)") + expiry);
  } catch (const Poco::Exception& e) {
    return error(name, method + " " + peer + ": TLS handshake failed: " + e.displayText(),
                 "the receiver's certificate must be valid for " + host +
                     " and issued by a CA this machine trusts; give its CA with tlsCaFile (" +
                     update + " --tls-ca-file FILE)");
  }
}

}  // namespace

std::string_view statusName(Status s) {
  switch (s) {
    case Status::Ok:
      return "ok";
    case Status::Warn:
      return "warn";
    case Status::Error:
      return "error";
  }
  return "error";
}

std::vector<Check> runChecks(const Options& o) {
  std::vector<Check> out;
  StoreState st;
  // The store first: whether serve would load the configuration's destinations depends on it.
  std::vector<Check> storeChecks;
  checkStore(o, storeChecks, st);
  std::vector<store::DestinationConfig> fromStore;
  if (st.usable) {
    try {
      // Same schema version: opening it migrates nothing and writes nothing.
      store::SqliteStore s(o.db);
      st.empty = s.empty();
      fromStore = s.destinations();
    } catch (const store::StoreError& e) {
      storeChecks.push_back(error("store", o.db + ": " + e.what(),
                                  "read the message; restore the last backup if it is damaged"));
      st.usable = false;
    }
  }

  // The configuration file, validated as serve validates it: the listener sections, then the
  // destinations, locations and devices loaded into a store of its own (in memory).
  std::optional<Listeners> listeners;
  std::vector<store::DestinationConfig> fromFile;
  std::error_code ec;
  if (!std::filesystem::exists(o.config, ec)) {
    if (st.empty)
      out.push_back(error("config",
                          o.config + ": no such file, and the store holds no "
                                     "configuration: dcgw serve refuses to start",
                          "give the file with --config (the package installs "
                          "/etc/dcgw/dcgw.json; a checkout has etc/dcgw.json)"));
    else
      out.push_back(warn("config", o.config + ": no such file: the listeners take their defaults",
                         "give the file with --config if the gateway is started with one"));
  }
  if (auto l = readListeners(o.config); !l) {
    out.push_back(error("config", o.config + ": " + config::errorText(l.error()),
                        "correct that setting (schema/config.md describes each); dcgw serve "
                        "refuses to start until then"));
  } else {
    listeners = *l;
    if (std::filesystem::exists(o.config, ec)) {
      try {
        store::SqliteStore memory(":memory:");
        if (codecs::Status s = config::loadIfEmpty(memory, o.config, 0); !s) {
          const std::string detail = o.config + ": " + config::errorText(s.error());
          if (st.empty)
            out.push_back(error("config", detail,
                                "correct it (schema/config.md): dcgw serve loads this file into "
                                "the empty store and refuses it whole"));
          else
            out.push_back(warn("config", detail,
                               "the store already holds the configuration (this part of the file "
                               "is not read again), but a fresh install from it would fail"));
        } else {
          auto tx = memory.begin();
          fromFile = tx->destinations();
          out.push_back(ok("config", o.config + ": valid, " + std::to_string(fromFile.size()) +
                                         " destinations, " +
                                         std::to_string(tx->locations().size()) + " locations, " +
                                         std::to_string(tx->devices().size()) + " devices" +
                                         (st.empty ? ""
                                                   : " (the store's own configuration is "
                                                     "the one in use)")));
        }
      } catch (const store::StoreError& e) {
        out.push_back(error("config", std::string("cannot validate: ") + e.what(), ""));
      }
    }
  }
  out.insert(out.end(), storeChecks.begin(), storeChecks.end());

  if (listeners) {
    checkPorts(o, *listeners, out);
    checkCertificates(*listeners, out);
  }
  const auto& destinations = st.usable && !st.empty ? fromStore : fromFile;
  if (destinations.empty())
    out.push_back(warn("destinations", "no destinations configured",
                       "nothing is forwarded: add one (dcgw destinations create) and link it to "
                       "a location"));
  for (const auto& d : destinations) out.push_back(checkDestination(d, o));
  return out;
}

std::string renderJson(const std::vector<Check>& checks) {
  bool allOk = true;
  for (const auto& c : checks) allOk = allOk && c.status != Status::Error;
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("ok");
  w.boolean(allOk);
  w.key("checks");
  w.beginArray();
  for (const auto& c : checks) {
    w.beginObject();
    w.key("name");
    w.string(c.name);
    w.key("status");
    w.string(statusName(c.status));
    w.key("detail");
    w.string(c.detail);
    w.key("hint");
    w.string(c.hint);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  out += '\n';
  return out;
}

std::string renderText(const std::vector<Check>& checks) {
  std::size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  std::string out;
  for (const auto& c : checks) {
    std::string status(statusName(c.status));
    status.resize(7, ' ');
    std::string name = c.name;
    name.resize(width + 2, ' ');
    out += status + name + c.detail + '\n';
    if (c.status != Status::Ok && !c.hint.empty())
      out += std::string(7 + width + 2, ' ') + "-> " + c.hint + '\n';
  }
  return out;
}

}  // namespace dcgw::cli::doctor
