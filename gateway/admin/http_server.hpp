// The admin listener's HTTP/1.1 front: one epoll thread accepts, does TLS, reads and parses
// request heads and bodies without blocking and writes the responses; whole requests go to a
// pool of `threads` workers that run the handler. An idle or slow connection costs a buffer,
// never a worker, and is bounded by the request deadline, the idle timeout, the head and body
// limits and the connection caps of AdminOptions (schema/openapi.yaml, "Connections").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "gateway/admin/http_message.hpp"
#include "gateway/admin/options.hpp"

namespace dcgw::admin {

class HttpServer {
 public:
  // Runs on a worker thread; an exception becomes a 500.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(AdminOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (TLS when the options name a certificate) and starts the loop and the workers.
  // Throws std::runtime_error naming "admin API" and the address or file that failed.
  void start();
  std::uint16_t port() const;
  // Stops accepting, lets the requests being handled be answered (at most 5 s), closes every
  // connection and joins the threads.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dcgw::admin
