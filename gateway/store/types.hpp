// The values the store keeps and returns, shared by every backend and every caller. Plain data:
// nothing here knows a database, an adapter or a socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codecs/bytes.hpp"

namespace dcgw::store {

// A destination as stored: the forwarding method by its name in the methods table, and the
// settings of seed 004 figures 1-4 as plain values (the store knows no adapter).
struct DestinationSettings {
  std::string name;
  std::string method{"rest"};  // "rest" | "soap" | "xml-tcp" | "xml-udp" | "binary"
  std::string host;            // a URL for REST/SOAP, a host name or address otherwise
  std::uint16_t port{0};
  std::string format{"base64binary"};  // "base64binary" | "hex"
  std::string customTags;
  bool tlsVerify{true};
  std::string tlsCaFile;
  std::int64_t replyTimeoutMs{20'000};
  bool operator==(const DestinationSettings&) const = default;
};

struct DestinationConfig {
  std::int64_t id{0};
  DestinationSettings settings;
  // nullopt: every packet (including types not known yet); else the registry's filter keys.
  std::optional<std::vector<std::string>> filter;
  bool enabled{true};
  bool paused{false};
};

// A location's tachograph-file settings (schema/files.md): how its files are named, in whose
// local time, and after how many days a download is due (EU: vehicle units at least every 90
// days, driver cards every 28).
struct LocationFiles {
  std::string naming{"eu"};     // "eu" | "fr" | "es"
  std::string timeZone{"UTC"};  // an IANA zone of the system's tz database
  int vehicleUnitDownloadDays{90};
  int driverCardDownloadDays{28};
  bool operator==(const LocationFiles&) const = default;
};

struct LocationConfig {
  std::int64_t id{0};
  std::string name;
  std::string description;
  std::vector<std::int64_t> destinationIds;
  // Read: always set. Create: nullopt = the defaults. Update: nullopt = keep what it has.
  std::optional<LocationFiles> files = std::nullopt;
};

struct DeviceConfig {
  std::string serial;
  std::optional<std::int64_t> locationId;
  std::string registration;
  // nullopt: keep the key the device has (none for a new device); a key is 16 to 64 bytes.
  std::optional<codecs::Bytes> key;
  // The company card its card sessions use when CARD_OPEN names none (issue 12). nullopt: keep
  // what the device has (none for a new device); "": none.
  std::optional<std::string> companyCard = std::nullopt;
  // The protocol it speaks, "dcgw" (schema/uplink.md) or "teltonika" (issue 15: the serial is
  // its IMEI), and its Teltonika family, "FMBxxx" or "FMX6" ("" for dcgw), in the spelling of
  // codecs::teltonika::familyName. nullopt: keep what the device has (dcgw / "" for a new one).
  // The store keeps what it is given: the control layer validates.
  std::optional<std::string> protocol = std::nullopt, family = std::nullopt;
};

// What a login needs to know of a device.
struct DeviceAuth {
  codecs::Bytes key;  // empty: the device has no key and cannot log in (on the dcgw uplink)
  std::uint32_t lastSequence{0};
  std::string protocol{"dcgw"};  // "dcgw" | "teltonika"
  std::string family;            // "FMBxxx" | "FMX6" for teltonika, "" for dcgw
  // The key of the last Teltonika frame stored whole (IngestItem::frameKey); 0: none.
  std::int64_t frameKey{0};
};

// A login the listener refused (schema/uplink.md section 4).
struct RefusedIdent {
  std::string serial;
  std::string address;
  std::string reason;
  std::int64_t atMs{0};
  // Read back only:
  std::int64_t firstAtMs{0};
  std::int64_t attempts{0};
};

struct IngestItem {
  std::string serial;
  std::string registration;  // empty: the device's registration
  codecs::Bytes packet;
  std::int64_t receivedAtMs{0};
  // Uplink sequence number; 0 for none (no check, the mark stays). Classified against the
  // device's mark by store::classify (sequence.hpp): a duplicate is reported and not stored
  // again, one out of range is refused.
  std::uint32_t sequence{0};
  // The uplink connection (0: none). After a failed commit, the Ingestor refuses every later
  // item of the same session: a later packet committing first would raise the device's last
  // sequence over the failed one, which the resend would then find "duplicate".
  std::uint64_t session{0};
  // Made by the gateway (gateway/derive: a derived packet, a File Summary, a New Driver from a
  // file), not sent by the device: nothing is derived from it but what it says of a driver.
  bool gatewayMade{false};
  // Set for a packet the gateway made itself for a location (an alert, schema/alerts.md): it
  // goes to that location's destinations (each one's filter still applies) whatever the
  // serial; the serial need not be a registered device (00000000 for no device), no sequence
  // mark is read or raised, and it does not count as the device having sent something.
  std::optional<std::int64_t> location = std::nullopt;
  // The raw source record the packet was made from, kept with it (packets.origin) so nothing
  // the device sent is lost: for Teltonika [codec id][AVL record bytes]. Empty: none (NULL).
  codecs::Bytes origin = {};
  // A Teltonika frame's packets all carry the frame's key (not 0), the last one frameEnd. One
  // whose key equals the device's frame key (DeviceAuth::frameKey, as raised by the earlier
  // items of the batch) is Duplicate; a Stored one with frameEnd raises the key to its own. So
  // a frame committed whole makes its resend a duplicate (IngestLog::append). 0: no frame.
  std::int64_t frameKey{0};
  bool frameEnd{false};
};

struct PendingDelivery {
  std::int64_t id{0};
  std::int64_t packetId{0};
  std::string serial;
  std::string registration;
  codecs::Bytes packet;
  int attempts{0};
  std::int64_t receivedAtMs{0};
};

enum class DeliveryState : int { Pending = 0, Delivered = 1, Dead = 2 };

// How far an acknowledged packet is safe. Full: on disk before the tracker is acknowledged
// (survives power loss; an fsync per group commit). Normal: in the WAL, safe against a crash
// of the process (kill -9) but the last commits may be lost with power.
enum class Durability { Full, Normal };

struct DestinationState {
  int consecutiveFailures{0};
  std::int64_t nextAttemptAtMs{0};
  std::string lastError;
};

struct DestinationCounters {
  std::int64_t queued{0}, delivered{0}, failedAttempts{0}, deadLetters{0}, filtered{0};
  std::int64_t depth{0};
  // When the oldest pending packet was received. PostgreSQL reads it from the blocking entry
  // (the lowest pending id) to stay off a join over the whole queue; that is the same packet
  // unless ids and receive times disagree (packets of nodes with skewed clocks).
  std::optional<std::int64_t> oldestPendingReceivedAtMs;
};

// ---- the admin API's views (schema/openapi.yaml) ----
struct QueueOverview {
  std::int64_t destinationId{0};
  std::string name;
  std::string method;
  bool enabled{true};
  bool paused{false};
  DestinationState state;
  std::optional<std::int64_t> lastErrorAtMs;
  DestinationCounters counters;  // depth and oldest pending included
  std::optional<std::int64_t> blockingEntryId;
};

struct AttemptRecord {
  std::int64_t atMs{0};
  std::string outcome;
  std::string reason;
  std::int64_t durationUs{0};
};

struct QueueEntry {
  std::int64_t id{0};
  std::int64_t destinationId{0};
  std::int64_t packetId{0};
  DeliveryState state{DeliveryState::Pending};
  int attempts{0};
  std::int64_t receivedAtMs{0};
  std::optional<std::int64_t> finishedAtMs;
  std::optional<std::string> reason;
  std::string serial;
  std::string registration;
  int type{0};
  std::optional<std::string> filterKey;
  codecs::Bytes data;
  codecs::Bytes origin;  // the raw record it was made from (IngestItem::origin); empty: none
  std::vector<AttemptRecord> history;
};

struct EntryFilter {
  std::optional<DeliveryState> state;
  std::optional<int> type;
  std::optional<std::string> serial;
  std::optional<std::int64_t> fromMs, toMs;
  std::int64_t afterId{0};
  int limit{50};
};

struct DeviceRecord {
  std::string serial;
  std::optional<std::int64_t> locationId;
  std::string registration;
  bool hasKey{false};
  std::uint32_t lastSequence{0};
  std::string companyCard;       // "" when none
  std::string protocol{"dcgw"};  // "dcgw" | "teltonika" (since migration 013)
  std::string family;            // "FMBxxx" | "FMX6" for teltonika, "" for dcgw
  // Receive time of the newest packet the device sent (duplicates included; not packets the
  // gateway made for it); nullopt when it never sent one (since migration 010).
  std::optional<std::int64_t> lastPacketAtMs = std::nullopt;
};

// ---- Alerts the gateway raises itself (schema/alerts.md) ----

// The time-related warning (seed 004 section 14.5) of the newest DDS packet a device sent that
// carried one (not NULL), as the node that received it recorded it (AlertLog).
struct TimeWarningRecord {
  std::string serial;
  std::string cardNumber;  // the driver card of that packet, trailing blanks removed
  int value{0};            // the TimeRelatedStates value
  std::int64_t atMs{0};    // when it was received
  bool operator==(const TimeWarningRecord&) const = default;
};

struct AlertRuleSetting {
  std::string rule;                  // a rule name of schema/alerts.md, e.g. "device-silent"
  std::int64_t thresholdSeconds{0};  // shown in the rule's unit (hours, minutes, days)
  bool operator==(const AlertRuleSetting&) const = default;
};

// A location's alert settings: the language of the texts and the rules switched on.
struct AlertSettings {
  std::int64_t locationId{0};
  std::string language{"en"};
  std::vector<AlertRuleSetting> rules;  // by rule name; a rule not listed is off
  bool operator==(const AlertSettings&) const = default;
};

// The state of one alert condition of a location's rule (alerts.md "State").
struct AlertCondition {
  std::int64_t locationId{0};
  std::string rule;
  std::string subject;  // per rule: the device serial, the destination id, the card number ...
  std::int64_t sinceMs{0};
  std::optional<std::int64_t> raisedAtMs;  // nullopt: seen, not raised (under its threshold)
  codecs::Bytes alert;                     // the raised alert packet
  std::string serial;                      // the serial it went out with
  bool operator==(const AlertCondition&) const = default;
};

// ---- Remote company-card authentication (issue 12; schema/card-bridge.md) ----

// A company card the gateway lends to trackers through a card bridge.
struct CompanyCardConfig {
  std::string number;                     // the 16-character card number, the key
  std::string name;                       // for people: "Depot company card"
  std::vector<std::int64_t> locationIds;  // the locations whose devices may use it, ascending
  std::string expiresOn;                  // "YYYY-MM-DD": usable through this day (UTC)
};

// A card bridge: a PC/SC client at a fleet office, logging in like a device.
struct CardBridgeConfig {
  std::string ident;
  std::string description;
  // nullopt: keep the key the bridge has (none for a new bridge); a key is 16 to 64 bytes.
  std::optional<codecs::Bytes> key;
};

struct CardBridgeRecord {
  std::string ident;
  std::string description;
  bool hasKey{false};
};

// One step of the card relay, for the admin (gateway/cardauth/relay.hpp Event).
struct CardEventRecord {
  std::int64_t id{0};  // assigned by the store, ascending
  std::int64_t atMs{0};
  std::string card;    // the card number, or ""
  std::string serial;  // the device, or ""
  std::string bridge;  // the bridge ident, or ""
  std::string code;    // e.g. OFFLINE, WAITING, OPENED, FINISHED, CARD_REMOVED
  std::string text;    // a sentence an admin understands
};

struct CardEventFilter {
  std::optional<std::string> card;    // only this card's events
  std::optional<std::string> serial;  // only this device's events
  std::int64_t beforeId{0};           // 0: from the newest; else events with a smaller id
  int limit{100};
};

// A card session that ended (opened or not: a refusal or a wait that ended is one too).
struct CardSessionRecord {
  std::int64_t id{0};  // assigned by the store
  std::string card;
  std::string serial;
  std::string bridge;                       // "" when it never reached a bridge
  std::int64_t requestedAtMs{0};            // CARD_OPEN received
  std::optional<std::int64_t> startedAtMs;  // the card was reset for it (SESSION_STARTED)
  std::int64_t endedAtMs{0};
  std::string outcome;    // the CardReason name: FINISHED, IDLE_TIMEOUT, CARD_REMOVED, OFFLINE...
  std::int64_t apdus{0};  // APDUs relayed
};

struct TokenRecord {
  std::int64_t id{0};
  std::string name;
  std::string role;  // admin | auditor
  std::int64_t createdAtMs{0};
  std::optional<std::int64_t> lastUsedAtMs;
};

struct AuditRecord {
  std::int64_t id{0};
  std::int64_t atMs{0};
  std::string actor, role, action, target;
  std::optional<std::string> before, after;  // JSON text
};

// How one delivery attempt ended, as the forwarder reports it.
struct AttemptResult {
  enum class Outcome { Delivered, Retry, Never };  // Never: dead-letter it, the queue goes on
  Outcome outcome{Outcome::Retry};
  std::string reason;  // empty when delivered
  std::int64_t durationUs{0};
};
// As recorded in the attempt history: "delivered" | "failed" | "never".
std::string_view outcomeName(AttemptResult::Outcome o);

// The configuration routing reads, as one consistent snapshot (gateway/ingest/routing.hpp).
struct RoutingTable {
  struct Route {
    std::int64_t destination{0};
    // nullopt: every packet (types not known yet included); else the registry's filter keys.
    std::optional<std::vector<std::string>> filter;
  };
  struct Device {
    std::optional<std::int64_t> location;
    std::string registration;
  };
  std::unordered_map<std::string, Device> devices;
  // The enabled, not removed destinations of each location, by destination id.
  std::unordered_map<std::int64_t, std::vector<Route>> routes;
  // The configuration's version when the snapshot was read: ingest is refused (Stale) when it
  // changed since, so a packet is never routed by a configuration older than its commit.
  std::int64_t version{0};
};

// A driver the gateway has seen with a name (gateway/derive; schema/derived-packets.md section 3).
struct DriverRecord {
  std::string cardNumber;         // CardNumber.driverIdentification, 14 characters, trimmed
  std::string surname;            // UTF-8
  std::string firstNames;         // UTF-8
  std::int64_t firstSeenAtMs{0};  // read back only: the first sighting's time is kept
  std::int64_t lastSeenAtMs{0};
  std::string lastSerial;  // the device of the last sighting ("" for none)
};

// A packet with the routing decided: what a backend appends in one transaction.
// It points at the caller's item (no copy of the packet on the ingest path): REQUIRES the item
// outlives the append.
struct RoutedItem {
  const IngestItem* item{nullptr};
  std::string registration;  // the packet's, or the device's when it sent none
  int type{0};
  const char* filterKey{nullptr};         // the registry's key; null for an unknown type
  std::vector<std::int64_t> deliverTo;    // one delivery row each
  std::vector<std::int64_t> filteredOut;  // counted as filtered
  // Packets the gateway derived from this one (gateway/derive), routed on their own: stored in
  // the same transaction only when this one is Stored (never for a duplicate), `before` just
  // before it and `after` just after it, in order, with no sequence of their own (the device's
  // mark is this packet's business). Their own `before`/`after`/`drivers` are ignored.
  std::vector<RoutedItem> before, after;
  // Drivers this packet revealed: recorded (DriverRegistry::recordDrivers) in the same
  // transaction when it is Stored.
  std::vector<DriverRecord> drivers;
};

// What became of one appended packet.
enum class AppendOutcome {
  Stored,
  Duplicate,      // its sequence is at or just behind the device's mark: stored before, not again
  UnknownDevice,  // the device is not (or no longer) registered
  SequenceOutOfRange,  // its sequence is neither New nor Duplicate (sequence.hpp): not stored
};

// ---- tachograph download compliance (issue 13, schema/files.md "Download compliance") ----

// The newest download of one vehicle unit (by VIN) or one driver card (by card number).
struct TachoDownloadRecord {
  enum class Kind { VehicleUnit = 0, DriverCard = 1 };
  Kind kind{Kind::VehicleUnit};
  std::string subject;                       // the VIN, or the card number (16 characters)
  std::string serial;                        // the device that uploaded the file
  std::optional<std::int64_t> locationId;    // the device's location then
  std::string registration;                  // vehicle units: the registration in the file
  std::string surname, firstNames;           // driver cards
  std::optional<std::int64_t> cardExpiryMs;  // driver cards: CardExpiryDate
  std::int64_t fileId{0};                    // the file (FileIndex) of this download
  std::int64_t downloadedAtMs{0};
};

// ---- tachograph files (issue 13, gateway/files) ----

// One stored file as the index holds it: a device's upload, the bytes kept once per digest in
// the file store (content-addressed), the analysis of the bytes.
struct FileRecord {
  std::int64_t id{0};  // given by recordFile
  std::string serial;
  std::uint32_t uploadId{0};  // the device's upload id (schema/uplink.md section 8.6)
  std::int64_t receivedAtMs{0};
  std::int64_t downloadedAtMs{0};  // the device's download time, else receivedAtMs
  std::string registration;        // the vehicle's, as the upload or the device gave it
  std::optional<std::int64_t> locationId;
  std::string announcedKind;  // what FILE_BEGIN said ("driverCard", ...)
  std::string kind;           // what the analysis found ("unknown" when it could not tell)
  std::string generation;     // "gen1", "gen2v1", "gen2v2", "unknown"
  std::int64_t size{0};
  std::string sha256;                 // 64 lower-case hex digits
  std::string summaryJson;            // the analysis' summary, a JSON object ("{}" when none)
  std::vector<std::string> warnings;  // the analysis' warnings, for people
  std::string error;                  // why no summary could be made ("" when one was)
  std::string name;                   // the conventional file name
  // When the packets made from the file were committed and its download recorded (nullopt:
  // not yet; the gateway does it again, schema/files.md).
  std::optional<std::int64_t> processedAtMs;
};

struct FileFilter {
  std::string serial;        // "" for every device
  std::int64_t beforeId{0};  // 0: from the newest; else ids below it (the next page)
  int limit{100};
};

// An upload begun and not finished, kept so it resumes after a restart of the gateway.
struct FileUploadRecord {
  std::string serial;
  std::uint32_t uploadId{0};
  std::string announcedKind;
  std::int64_t size{0};
  std::string sha256;  // hex
  std::int64_t downloadedAtMs{0};
  std::string registration;
  std::int64_t begunAtMs{0};
};

// What pruneFiles removed: the index rows, and the digests no row names any more (their bytes
// may go from the file store).
struct FilePrune {
  int rows{0};
  std::vector<std::string> unreferenced;
};

}  // namespace dcgw::store
