// The uplink's outbox: how any thread hands work to the event loop (an ingest completion, a
// card relay's APDU response, a change of a device). Thread-safe; the loop drains it.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

class Session;

// Shared (std::shared_ptr) by everyone who posts, so a post that comes after the listener is
// gone (a late ingest completion) still has somewhere to go: it is dropped with the outbox.
class Outbox {
 public:
  using SessionTask = std::function<void(Session&)>;
  using LoopTask = std::function<void()>;

  Outbox();
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Whole frames (codecs::uplink::append...) for the connection's output. Dropped if the
  // connection has closed or is closing by the time the loop takes them.
  void post(ConnectionId connection, codecs::Bytes frames);
  // Runs `task` on the event thread with the connection's session, if it is still logged in
  // and not closing; dropped otherwise.
  void post(ConnectionId connection, SessionTask task);
  // Runs `task` on the event thread (while the listener runs).
  void post(LoopTask task);

  // ---- for the listener ----
  int fd() const { return fd_; }  // an eventfd, readable when posts are waiting
  void wake();
  struct Item {
    ConnectionId connection{0};  // 0: a LoopTask
    codecs::Bytes frames;
    SessionTask task;
    LoopTask loopTask;
  };
  // Moves what was posted into `into` (cleared first), in the order it was posted.
  void take(std::vector<Item>& into);

 private:
  void push(Item item);

  std::mutex mu_;
  std::vector<Item> items_;
  int fd_{-1};
};

}  // namespace dcgw::uplink
