// The uplink transport's TLS: the server context, and taking connections back from the
// handshake threads (handshakes.hpp).
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include "gateway/common/tls.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

void Transport::setUpTls() {
  tls_ = common::makeServerTlsContext(o_.label, o_.tlsCertificateFile, o_.tlsPrivateKeyFile);
  // An idle TLS connection gives its read and write buffers back (thousands are idle).
  SSL_CTX_set_mode(tls_->sslContext(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                           SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read syscall takes what the socket holds, instead of two per record (its header, then
  // its body); the loop reads on while OpenSSL holds bytes (SSL_has_pending), and a connection
  // handed over by the handshake threads is read at once, as they may have read ahead.
  SSL_CTX_set_read_ahead(tls_->sslContext(), 1);
  // Trackers keep one long connection: a session cache (and tickets) would only hold a
  // session per tracker in memory for resumptions that do not come.
  SSL_CTX_set_session_cache_mode(tls_->sslContext(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(tls_->sslContext(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(tls_->sslContext(), 0);
}

// Handshakes that ended: a done one joins the login set (and is read in this turn's share of
// logins, in case its first frames came with the handshake's last flight, which epoll would not
// report); a failed one is closed; one past the login timeout is the layer above's timeout like
// any other.
void Transport::onHandshakes() {
  for (HandshakePool::Result& r : handshakes_.take()) {
    Connection* c = find(r.id);
    if (!c || !c->lent) continue;
    c->lent = false;
    switch (r.outcome) {
      case HandshakePool::Outcome::Done:
        watch(*c);
        loginBacklog_.push_back(c->id);
        break;
      case HandshakePool::Outcome::Failed:
        spdlog::debug("{} {}: TLS handshake failed: {}", o_.label, c->address(), r.why);
        closeNow(*c);
        break;
      case HandshakePool::Outcome::TimedOut:
        events_.onTimeout(*c);
        break;
    }
  }
}

// Stopping: the handshake threads are joined; what they had finished is taken as usual, what
// they had not is this loop's again (and is closed with everything else).
void Transport::recallHandshakes() {
  if (!handshakes_.running()) return;
  handshakes_.stop();
  onHandshakes();
  for (auto& [id, c] : conns_) c->lent = false;
}

}  // namespace dcgw::uplink
