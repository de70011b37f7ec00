// TLS for --tls: the client context (verification by --ca-file or the system store, or none with
// --insecure) and each connection's non-blocking handshake.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/simulator_internal.hpp"

namespace dcgw::simulate {

int Simulator::setUpTls() {
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) {
    err_ << "dcgw simulate: cannot create an OpenSSL context\n";
    return 1;
  }
  SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
  // Partial writes: a big coalesced buffer goes out as far as the socket takes it. Released
  // buffers: ten thousand idle TLS connections would otherwise hold 34 KiB each.
  SSL_CTX_set_mode(ctx_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                   SSL_MODE_RELEASE_BUFFERS);
  // One read syscall per burst of records instead of two per record (header, then body).
  SSL_CTX_set_read_ahead(ctx_.get(), 1);
  if (o_.insecure) {
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    if (!o_.caFile.empty()) {
      if (SSL_CTX_load_verify_locations(ctx_.get(), o_.caFile.c_str(), nullptr) != 1) {
        err_ << "dcgw simulate: --ca-file: cannot load CA certificates from '" << o_.caFile
             << "'\n";
        return 2;
      }
    } else {
      SSL_CTX_set_default_verify_paths(ctx_.get());
    }
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  }
  return -1;
}

void Simulator::handshake(Device& d) {
  ERR_clear_error();
  int rc = SSL_connect(d.ssl.get());
  if (rc == 1) {
    d.wantOut = false;
    up::appendHello(d.out, d.serial);
    d.link = Link::AwaitChallenge;
    markDirty(d);
    updateEvents(d);
    return;
  }
  int e = SSL_get_error(d.ssl.get(), rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    d.wantOut = e == SSL_ERROR_WANT_WRITE;
    updateEvents(d);
    return;
  }
  std::string why;
  if (long v = SSL_get_verify_result(d.ssl.get()); v != X509_V_OK) {
    why = std::string("certificate: ") + X509_verify_cert_error_string(v);
  } else if (unsigned long code = ERR_get_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    why = buf;
  } else {
    why = "the connection closed during the handshake";
  }
  clientError(d, "TLS_HANDSHAKE_FAILED", why);
}

}  // namespace dcgw::simulate
