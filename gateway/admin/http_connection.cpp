// One admin connection on the event loop: TLS and plain reads, the request parser, whole
// requests handed to the workers one at a time (pipelined ones wait in the buffer, so answers
// go out in order), 100 Continue, the front's own error answers, writes and what follows them.
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "gateway/admin/http_server_internal.hpp"

namespace dcgw::admin {

void HttpServer::Impl::onEvent(Conn& c, std::uint32_t ev) {
  const std::uint64_t id = c.id;
  // A peer gone while its request is with a worker: the answer will find no connection.
  if ((ev & (EPOLLERR | EPOLLHUP)) && c.state == Conn::State::Handling) {
    closeNow(c);
    return;
  }
  // TLS: a write that waited for the peer's bytes (while an answer is written nothing else
  // is read) is retried when they come.
  if (c.writeWantsRead && c.state == Conn::State::Writing &&
      (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
    c.writeWantsRead = false;
    updateInterest(c);
    if (!flush(c)) return;
  }
  if ((ev & EPOLLOUT) && !flush(c)) return;
  Conn* again = find(id);
  if (!again) return;
  if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) || (again->ssl && (ev & EPOLLOUT)))
    onReadable(*again);
}

// >0 bytes read, 0 nothing now, -1 closed or failed.
long HttpServer::Impl::readSome(Conn& c) {
  if (c.ssl) {
    ERR_clear_error();
    const int n = SSL_read(c.ssl.get(), scratch_.data(), static_cast<int>(scratch_.size()));
    if (n > 0) return n;
    const int e = SSL_get_error(c.ssl.get(), n);
    if (e == SSL_ERROR_WANT_READ) return 0;
    if (e == SSL_ERROR_WANT_WRITE) {
      c.wantOut = true;
      updateInterest(c);
      return 0;
    }
    return -1;
  }
  for (;;) {
    const ssize_t n = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
    if (n > 0) return n;
    if (n == 0) return -1;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

void HttpServer::Impl::onReadable(Conn& c) {
  const std::uint64_t id = c.id;
  for (;;) {
    if (c.state != Conn::State::Reading && c.state != Conn::State::Closing) return;
    const long n = readSome(c);
    if (n < 0) {
      closeNow(c);
      return;
    }
    if (c.writeWantsRead) {  // TLS: what a write waited for may have come
      c.writeWantsRead = false;
      if (!flush(c)) return;
    }
    if (n == 0) return;
    if (c.state == Conn::State::Closing) continue;  // read and dropped
    c.in.append(scratch_.data(), static_cast<std::size_t>(n));
    process(c);
    if (!find(id)) return;
    // A short read emptied the socket; TLS reads on, as decrypted bytes would not wake epoll.
    if (!c.ssl && static_cast<std::size_t>(n) < scratch_.size()) return;
  }
}

void HttpServer::Impl::process(Conn& c) {
  while (c.state == Conn::State::Reading && !c.in.empty()) {
    const RequestParser::Status s = c.parser.feed(c.in);
    if (!c.started && !(c.in.empty() && c.parser.atStart())) {  // not just empty lines
      c.started = true;
      // A new connection's first request counts from the accept; later ones from their 1st byte.
      if (c.requests > 0) c.deadlineMs = nowMs() + o_.requestTimeout.count();
    }
    if (s == RequestParser::Status::Error) {
      fail(c, c.parser.errorStatus(), c.parser.errorMessage());
      return;
    }
    if (s == RequestParser::Status::NeedMore) {
      if (c.parser.wantsContinue()) {
        c.parser.continueSent();
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
        flush(c);
      }
      return;
    }
    dispatch(c);
  }
}

void HttpServer::Impl::dispatch(Conn& c) {
  c.state = Conn::State::Handling;
  ++c.requests;
  updateInterest(c);
  HttpRequest req = std::move(c.parser.request());
  req.peer = c.peer.text;
  const bool keepAlive = c.parser.keepAlive() && !stopping_;
  pool_.post([this, id = c.id, keepAlive, req = std::move(req)] {
    HttpResponse resp;
    try {
      resp = handler_(req);
    } catch (const std::exception& e) {
      resp = errorResponse(500, e.what());
    }
    Done d{id, serializeResponse(resp, req.minorVersion, keepAlive, req.method == "HEAD"),
           !keepAlive};
    {
      std::lock_guard lock(doneM_);
      done_.push_back(std::move(d));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
  });
}

void HttpServer::Impl::takeDone() {
  std::vector<Done> done;
  {
    std::lock_guard lock(doneM_);
    done.swap(done_);
  }
  for (Done& d : done)
    if (Conn* c = find(d.id)) answer(*c, std::move(d.bytes), d.close);
}

void HttpServer::Impl::answer(Conn& c, std::string bytes, bool close) {
  c.out += bytes;
  c.closeAfter = close;
  c.state = Conn::State::Writing;
  c.deadlineMs = nowMs() + o_.requestTimeout.count();
  updateInterest(c);
  flush(c);
}

// The front's own answer (400, 408, 413, 431...): the connection closes after it.
void HttpServer::Impl::fail(Conn& c, int status, const std::string& message) {
  spdlog::debug("admin API {}: {} {}", c.peer.text, status, message);
  if (c.ssl && !SSL_is_init_finished(c.ssl.get())) {
    closeNow(c);  // no TLS session to say it in
    return;
  }
  c.in.clear();
  answer(c, serializeResponse(errorResponse(status, message), 1, false, false), true);
}

// false: the connection was closed.
bool HttpServer::Impl::flush(Conn& c) {
  while (c.outPos < c.out.size()) {
    const std::size_t left = c.out.size() - c.outPos;
    long n;
    if (c.ssl) {
      ERR_clear_error();
      n = SSL_write(c.ssl.get(), c.out.data() + c.outPos, static_cast<int>(left));
      if (n <= 0) {
        const int e = SSL_get_error(c.ssl.get(), static_cast<int>(n));
        if (e == SSL_ERROR_WANT_READ) {
          c.writeWantsRead = true;
          updateInterest(c);
          return true;
        }
        if (e != SSL_ERROR_WANT_WRITE) {
          closeNow(c);
          return false;
        }
      }
    } else {
      n = ::send(c.fd, c.out.data() + c.outPos, left, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        closeNow(c);
        return false;
      }
    }
    if (n <= 0) {  // the socket is full: on when it drains
      if (!c.wantOut) {
        c.wantOut = true;
        updateInterest(c);
      }
      return true;
    }
    c.outPos += static_cast<std::size_t>(n);
    if (c.state == Conn::State::Writing) c.deadlineMs = nowMs() + o_.requestTimeout.count();
  }
  c.out.clear();
  c.outPos = 0;
  if (c.wantOut) {
    c.wantOut = false;
    updateInterest(c);
  }
  if (c.state == Conn::State::Writing) afterWritten(c);
  return true;
}

void HttpServer::Impl::afterWritten(Conn& c) {
  if (c.closeAfter) {  // the peer reads the answer before the close (no reset under it)
    c.state = Conn::State::Closing;
    c.in.clear();
    if (c.ssl) SSL_shutdown(c.ssl.get());
    ::shutdown(c.fd, SHUT_WR);
    c.deadlineMs = nowMs() + kLingerMs;
  } else {
    c.state = Conn::State::Reading;
    c.parser.reset();
    c.started = false;
    c.deadlineMs = nowMs() + o_.idleTimeout.count();
    resumed_.push_back(c.id);  // a pipelined request may be waiting in `in` or in TLS
  }
  updateInterest(c);
}

void HttpServer::Impl::resume() {
  std::vector<std::uint64_t> ids;
  ids.swap(resumed_);
  for (std::uint64_t id : ids) {
    if (Conn* c = find(id)) process(*c);
    if (Conn* c = find(id); c && c->state == Conn::State::Reading) onReadable(*c);
  }
}

void HttpServer::Impl::updateInterest(Conn& c) {
  const bool read =
      c.state == Conn::State::Reading || c.state == Conn::State::Closing || c.writeWantsRead;
  epoll_event ev{};
  ev.events = (read ? EPOLLIN | EPOLLRDHUP : 0u) | (c.wantOut ? EPOLLOUT : 0u);
  ev.data.u64 = c.id;
  epoll_ctl(epollFd_, EPOLL_CTL_MOD, c.fd, &ev);
}

}  // namespace dcgw::admin
