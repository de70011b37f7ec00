// The change feed: whoever commits a change (the ingest path, the admin control layer) publishes
// what changed; whoever must act on it (the forwarder's workers, the ingest routing snapshot, the
// uplink's sessions) subscribes. It replaces direct pokes between subsystems. In process today;
// a multi-node backend publishes the same events from its database's notifications.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dcgw::common {

struct Change {
  enum class Kind {
    QueueHasWork,        // id: a destination whose queue got rows (committed)
    DestinationChanged,  // id: created, updated, enabled/disabled, paused/resumed or removed
    QueueActed,          // id: an admin action on the queue (retry, skip, requeue, replay)
    LocationChanged,     // id: created, updated (its destinations) or removed
    DeviceChanged,       // serial: created, updated (location, key, sequence mark) or removed
    SequenceReset,       // serial: an admin set the device's sequence mark (with DeviceChanged)
    CardChanged,         // serial: the company card's number; created, updated or removed
    CardBridgeChanged,   // serial: the bridge's ident; created, updated (key) or removed
  };
  Kind kind;
  std::int64_t id{0};
  std::string serial;

  static Change queueHasWork(std::int64_t destination) {
    return {Kind::QueueHasWork, destination, {}};
  }
  static Change destination(std::int64_t id) { return {Kind::DestinationChanged, id, {}}; }
  static Change queueActed(std::int64_t destination) { return {Kind::QueueActed, destination, {}}; }
  static Change location(std::int64_t id) { return {Kind::LocationChanged, id, {}}; }
  static Change device(std::string serial) { return {Kind::DeviceChanged, 0, std::move(serial)}; }
  static Change sequenceReset(std::string serial) {
    return {Kind::SequenceReset, 0, std::move(serial)};
  }
  static Change card(std::string number) { return {Kind::CardChanged, 0, std::move(number)}; }
  static Change cardBridge(std::string ident) {
    return {Kind::CardBridgeChanged, 0, std::move(ident)};
  }
};

class ChangeFeed {
 public:
  // Called on the publisher's thread, after the change is committed; calls from two publishers
  // may overlap. REQUIRES: a handler is thread-safe, does not publish, and holds no lock a
  // publisher may hold (it may take long: the forwarder reloads its workers in it).
  using Handler = std::function<void(const std::vector<Change>&)>;

  // Unsubscribes when destroyed, waiting for a call of its handler that is running.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&&) noexcept;
    ~Subscription();
    void reset();

   private:
    friend class ChangeFeed;
    struct Slot;
    explicit Subscription(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}
    std::shared_ptr<Slot> slot_;
  };

  [[nodiscard]] Subscription subscribe(Handler handler);
  void publish(const std::vector<Change>& changes);
  void publish(Change change) { publish(std::vector<Change>{std::move(change)}); }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Subscription::Slot>> slots_;
};

}  // namespace dcgw::common
