// The admin API's server: the HTTP front of its own (http_server.hpp: connections, framing,
// limits, timeouts), one edge (URI, /healthz, the console's files, authentication, errors as
// responses), then the route table (routes.hpp) of /api/v1 and /metrics.
#include "gateway/admin/api_server.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "gateway/admin/console_assets.hpp"
#include "gateway/admin/http_server.hpp"
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

class ApiServer::Impl {
 public:
  Impl(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
       AdminOptions options, MetricSources metrics, common::ChangeFeed* feed)
      : api_(store, forwarder, clock, feed, metrics, options.historyStep.count()),
        routes_(makeRoutes(api_)),
        o_(std::move(options)) {}

  // Samples every queue for the console's charts until stop() (the clock's time, so a manual
  // clock's tests see its samples). A failed read is logged and the next step tries again.
  void startSampling() {
    {
      std::lock_guard l(sampleMu_);
      stopSampling_ = false;
    }
    sampler_ = std::thread([this] {
      std::unique_lock l(sampleMu_);
      while (!stopSampling_) {
        l.unlock();
        try {
          api_.history.record(api_.clock.nowMs(), api_.store.queueOverview());
        } catch (const std::exception& e) {
          spdlog::warn("admin: the queue history could not sample the queues: {}", e.what());
        }
        l.lock();
        if (!stopSampling_) api_.clock.waitFor(sampleCv_, l, o_.historyStep.count());
      }
    });
  }
  void stopSampling() {
    {
      std::lock_guard l(sampleMu_);
      stopSampling_ = true;
    }
    sampleCv_.notify_all();
    if (sampler_.joinable()) sampler_.join();
  }

  HttpResponse handle(const HttpRequest& req) {
    HttpResponse resp;
    const auto began = std::chrono::steady_clock::now();
    int status = 500;
    try {
      status = route(req, resp);
    } catch (const ApiError& e) {
      status = sendError(resp, e);
    } catch (const store::StoreError& e) {
      spdlog::error("admin {} {}: store ({}): {}", req.method, req.target,
                    store::categoryName(e.category()), e.what());
      status = sendError(resp, ApiError{503, std::string("the store: ") + e.what(), {}});
    } catch (const std::exception& e) {
      spdlog::error("admin {} {}: {}", req.method, req.target, e.what());
      status = sendError(resp, ApiError{500, e.what(), {}});
    }
    spdlog::debug("admin {} {} {} -> {} in {} us", req.peer, req.method, req.target, status,
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count());
    return resp;
  }

 private:
  control::Actor authenticate(const HttpRequest& req) {
    const std::string h = req.get("authorization");
    if (h.rfind("Bearer ", 0) != 0)
      throw ApiError{401, "a bearer token is required (Authorization: Bearer <token>)", {}};
    auto t = api_.store.authenticate(h.substr(7), api_.clock.nowMs());
    if (!t) throw ApiError{401, "the token is not valid (unknown or revoked)", {}};
    return control::Actor{t->name, t->role};
  }

  static int serveConsole(const std::string& path, HttpResponse& resp) {
    const ConsoleAsset* a = findConsoleAsset(path == "/" ? "/index.html" : path);
    if (!a) throw ApiError{404, "no such file: " + path, {}};
    return send(resp, 200, std::string(a->content, a->size), a->contentType);
  }

  int route(const HttpRequest& req, HttpResponse& resp) {
    Poco::URI uri;
    try {
      uri = Poco::URI(req.target);
    } catch (const Poco::Exception& e) {
      throw ApiError{400, "not a valid request URI: " + e.displayText(), {}};
    }
    const std::string path = uri.getPath();
    // Segments are split on the raw path and decoded once: a serial may hold '/' or '%'.
    const std::string rawPath = req.target.substr(0, req.target.find_first_of("?#"));
    // HEAD is GET without the body (the front leaves it out).
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
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
  std::mutex sampleMu_;
  std::condition_variable sampleCv_;
  bool stopSampling_{false};
  std::thread sampler_;

 public:
  AdminOptions o_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_{0};
};

ApiServer::ApiServer(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
                     AdminOptions options, MetricSources metrics, common::ChangeFeed* feed)
    : impl_(std::make_unique<Impl>(store, forwarder, clock, std::move(options), metrics, feed)) {}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::start() {
  Impl* impl = impl_.get();
  impl_->server_ = std::make_unique<HttpServer>(
      impl_->o_, [impl](const HttpRequest& req) { return impl->handle(req); });
  try {
    impl_->server_->start();
    impl_->port_ = impl_->server_->port();
    impl_->startSampling();
  } catch (...) {
    impl_->server_.reset();
    throw;
  }
}

std::uint16_t ApiServer::port() const {
  return impl_->port_;
}

void ApiServer::stop() {
  if (impl_) impl_->stopSampling();
  if (impl_ && impl_->server_) {
    impl_->server_->stop();
    impl_->server_.reset();
  }
}

}  // namespace dcgw::admin
