// Teltonika devices' way into the ingest path (schema/teltonika.md sections 9 and 10): per device
// one frame at a time, the resend check by frame key, the deriver, the derived packets submitted to
// the Ingestor with their raw records, and the verdict (acknowledge N records, or fail) once every
// packet of the frame is committed. Shared by the TCP listener and the UDP socket.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "codecs/teltonika/avl.hpp"
#include "codecs/teltonika/io_map.hpp"
#include "gateway/derive/avl_deriver.hpp"
#include "gateway/ingest/ingestor.hpp"

namespace dcgw::uplink {

// A registered Teltonika device, as the store describes it at its login.
struct AvlDevice {
  std::string imei;
  codecs::teltonika::Family family{codecs::teltonika::Family::FMBxxx};
  std::int64_t storedFrameKey{0};  // the last frame committed whole (devices.frame_key)
};

// What to tell the device about one frame.
struct AvlVerdict {
  enum class Kind : std::uint8_t {
    Ack,            // answer `records` (every record is safe: stored, or a resend of stored ones)
    Fail,           // nothing is acknowledged; the device resends (reason says why)
    UnknownDevice,  // the device was removed meanwhile
  };
  Kind kind{Kind::Ack};
  std::uint32_t records{0};
  std::size_t packets{0};  // Ack: packets stored for the frame
  bool resend{false};      // Ack: the frame was a resend of one already committed
  std::string reason;
};

class AvlIngest {
 public:
  using Done = std::function<void(const AvlVerdict&)>;
  explicit AvlIngest(ingest::Ingestor& ingestor);
  // Waits until every frame in the Ingestor is settled (its completions call into this object).
  // REQUIRES: the Ingestor runs or has stopped (it answers every item either way).
  ~AvlIngest();

  // Queues one frame's records for `device`; `done` is called once (on this thread, the
  // Ingestor's, or a later submitter's) when it is settled. Frames of one device are derived
  // and committed in the order submitted, one at a time. `session`: IngestItem::session.
  // More than kMaxQueued frames of one device waiting are refused at once (Fail): a device
  // waits for each answer, and one that does not must not fill the memory.
  void submit(const AvlDevice& device, std::uint64_t session, codecs::teltonika::AvlData data,
              std::int64_t receivedAtMs, Done done);
  // A frame of `imei` that was refused before it could be read (section 4: CRC, counts):
  // answered 0 records (Ack of 0), in order after the device's frames submitted before it.
  void submitRefused(const std::string& imei, Done done);
  static constexpr std::size_t kMaxQueued = 16;
  // The device was removed or its family changed: its deriver starts afresh at its next frame.
  void forget(const std::string& imei);

  // The identity of a frame for the resend check: its codec, its record count and every record's
  // bytes (a device resends an unacknowledged frame unchanged; two frames of the same second
  // differ in their records). Never 0, always positive.
  static std::int64_t frameKey(const codecs::teltonika::AvlData& data);

 private:
  struct Pending {
    std::uint64_t session;
    codecs::teltonika::AvlData data;
    std::int64_t atMs;
    Done done;
    bool refused{false};  // submitRefused: answered 0 in its turn
  };
  struct Device {
    codecs::teltonika::Family family{codecs::teltonika::Family::FMBxxx};  // as last submitted
    std::optional<derive::AvlDeriver> deriver;
    std::int64_t lastKey{0};
    bool running{false};
    std::deque<Pending> queue;
  };
  struct Run;

  void pump(const std::string& imei);
  void complete(const std::shared_ptr<Run>& run, const ingest::Outcome& outcome);

  ingest::Ingestor& ingestor_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::size_t running_{0};  // frames in the Ingestor
  std::unordered_map<std::string, Device> devices_;
};

}  // namespace dcgw::uplink
