// The admin API's server: one HTTP edge (URI, /healthz, the console's files, authentication,
// errors as responses), then the route table (routes.hpp) of /api/v1 and /metrics.
#include "gateway/admin/api_server.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>

#include "gateway/admin/console_assets.hpp"
#include "gateway/admin/routes.hpp"
#include "gateway/common/tls.hpp"

namespace dcgw::admin {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

class ApiServer::Impl {
 public:
  Impl(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
       AdminOptions options, MetricSources metrics, common::ChangeFeed* feed)
      : api_(store, forwarder, clock, feed, metrics),
        routes_(makeRoutes(api_)),
        o_(std::move(options)) {}

  void handle(HTTPServerRequest& req, HTTPServerResponse& resp) {
    const auto began = std::chrono::steady_clock::now();
    int status = 500;
    try {
      status = route(req, resp);
    } catch (const ApiError& e) {
      status = sendError(resp, e);
    } catch (const store::StoreError& e) {
      spdlog::error("admin {} {}: store ({}): {}", req.getMethod(), req.getURI(),
                    store::categoryName(e.category()), e.what());
      status = sendError(resp, ApiError{503, std::string("the store: ") + e.what(), {}});
    } catch (const std::exception& e) {
      spdlog::error("admin {} {}: {}", req.getMethod(), req.getURI(), e.what());
      status = sendError(resp, ApiError{500, e.what(), {}});
    }
    spdlog::debug("admin {} {} -> {} in {} us", req.getMethod(), req.getURI(), status,
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count());
  }

 private:
  control::Actor authenticate(HTTPServerRequest& req) {
    const std::string h = req.get("Authorization", "");
    if (h.rfind("Bearer ", 0) != 0)
      throw ApiError{401, "a bearer token is required (Authorization: Bearer <token>)", {}};
    auto t = api_.store.authenticate(h.substr(7), api_.clock.nowMs());
    if (!t) throw ApiError{401, "the token is not valid (unknown or revoked)", {}};
    return control::Actor{t->name, t->role};
  }

  static int serveConsole(const std::string& path, HTTPServerResponse& resp) {
    const ConsoleAsset* a = findConsoleAsset(path == "/" ? "/index.html" : path);
    if (!a) throw ApiError{404, "no such file: " + path, {}};
    return send(resp, 200, std::string(a->content, a->size), a->contentType);
  }

  int route(HTTPServerRequest& req, HTTPServerResponse& resp) {
    Poco::URI uri;
    try {
      uri = Poco::URI(req.getURI());
    } catch (const Poco::Exception& e) {
      throw ApiError{400, "not a valid request URI: " + e.displayText(), {}};
    }
    const std::string path = uri.getPath();
    // Segments are split on the raw path and decoded once: a serial may hold '/' or '%'.
    const std::string rawPath = req.getURI().substr(0, req.getURI().find_first_of("?#"));
    const std::string& method = req.getMethod();
    if (path == "/healthz") {
      const store::Health h = api_.store.health();
      return h.ok ? send(resp, 200, "ok\n", "text/plain")
                  : send(resp, 503, "store unavailable: " + h.reason + "\n", "text/plain");
    }
    if (method == "GET" &&
        (path == "/" || path == "/index.html" || path.rfind("/console/", 0) == 0))
      return serveConsole(path, resp);
    std::vector<std::string> seg;
    {
      std::istringstream in(rawPath);
      for (std::string s; std::getline(in, s, '/');)
        if (!s.empty()) {
          std::string decoded;
          try {
            Poco::URI::decode(s, decoded);
          } catch (const Poco::Exception&) {
            throw ApiError{400, "a malformed percent-encoding in the path: " + s, {}};
          }
          seg.push_back(decoded);
        }
    }
    const bool isMetrics = seg.size() == 1 && seg[0] == "metrics";
    const bool isApi = seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1";
    if (!isMetrics && !isApi) throw ApiError{404, "no such path: " + path, {}};
    Request r{req, resp, authenticate(req), method, path, {}, {}};
    // A write needs an admin token whatever the path: a refused one leaves no trace.
    if (method != "GET" && method != "HEAD" && r.caller.role != "admin")
      throw ApiError{
          403, "the " + r.caller.role + " role may only read; this needs an admin token", {}};
    if (isApi) r.query = uri.getQueryParameters();  // /metrics takes none
    return routes_.dispatch(r, seg);
  }

  Api api_;
  RouteTable routes_;

 public:
  AdminOptions o_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_{0};
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ApiServer::Impl& impl,
                   void (*call)(ApiServer::Impl&, HTTPServerRequest&, HTTPServerResponse&))
      : impl_(impl), call_(call) {}
  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    call_(impl_, req, resp);
  }

 private:
  ApiServer::Impl& impl_;
  void (*call_)(ApiServer::Impl&, HTTPServerRequest&, HTTPServerResponse&);
};

}  // namespace

void callHandle(ApiServer::Impl& impl, HTTPServerRequest& req, HTTPServerResponse& resp);

namespace {
class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ApiServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(impl_, &callHandle);
  }

 private:
  ApiServer::Impl& impl_;
};
}  // namespace

void callHandle(ApiServer::Impl& impl, HTTPServerRequest& req, HTTPServerResponse& resp) {
  impl.handle(req, resp);
}

ApiServer::ApiServer(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
                     AdminOptions options, MetricSources metrics, common::ChangeFeed* feed)
    : impl_(std::make_unique<Impl>(store, forwarder, clock, std::move(options), metrics, feed)) {}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::start() {
  auto& o = impl_->o_;
  Poco::Net::ServerSocket socket;
  try {
    const Poco::Net::SocketAddress address(o.bind, o.port);
    if (!o.tlsCertificateFile.empty() || !o.tlsPrivateKeyFile.empty()) {
      const auto ctx =
          common::makeServerTlsContext("admin API", o.tlsCertificateFile, o.tlsPrivateKeyFile);
      socket = Poco::Net::SecureServerSocket(address, 64, ctx);
    } else {
      socket = Poco::Net::ServerSocket(address, 64);
    }
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("admin API: cannot listen on " + o.bind + ":" +
                             std::to_string(o.port) + ": " + e.displayText());
  }
  impl_->port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(o.threads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  impl_->server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), socket, params);
  impl_->server_->start();
}

std::uint16_t ApiServer::port() const {
  return impl_->port_;
}

void ApiServer::stop() {
  if (impl_ && impl_->server_) {
    impl_->server_->stopAll(true);
    impl_->server_.reset();
  }
}

}  // namespace dcgw::admin
