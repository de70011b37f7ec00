// The per-family IO id tables and the typed accessors over them. Each row names the public
// page it was checked against; rows marked unchecked come from a secondary source.
#include "codecs/teltonika/io_map.hpp"

#include <array>
#include <cctype>

namespace dcgw::codecs::teltonika {
namespace {

using Q = Quantity;

constexpr char kFmbPermanent[] =
    "wiki: FMB910 / FMM880 Teltonika Data Sending Parameters ID, Permanent I/O elements";
constexpr char kFmbCan[] =
    "wiki: FMB150 Teltonika Data Sending Parameters ID, CAN adapters elements "
    "(Special:MobileDiff/97787...98112, /86605)";
// FMB150/FMC150/FMM150 read a tachograph over CAN and report it with ids of their own; other
// FMBxxx devices simply never send them. No driver card number id is published for them.
constexpr char kFmx150Tacho[] = "wiki: Template:FMx150 Tacho AVL ID (FMx150 with a CAN tachograph)";
constexpr char kFmx6Permanent[] =
    "wiki: FMB630 AVL ID (oldid=39266) and Template:FMX640 AVL ID (oldid=88958), Permanent I/O "
    "elements";
constexpr char kFmx6Tacho[] =
    "wiki: Template:FMX640 AVL ID, Tachograph data elements; same ids in traccar "
    "TeltonikaProtocolDecoder (io195/io196) and Metatavu vp-kuljetus-vehicle-data-receiver "
    "(FMC650)";
constexpr char kFmx6Copy[] =
    "copy of the FMX640 table (Tachograph / FMS elements) without a page name; verify against "
    "Template:FMX640 AVL ID";

constexpr char kFmb150Can[] =
    "wiki: FMB150 Teltonika Data Sending Parameters ID, CAN I/O standard elements "
    "(Special:MobileDiff/100997)";
constexpr char kFmx6Fms[] =
    "wiki: Template:FMX640 AVL ID, FMS elements (Special:MobileDiff/61480: 109 Software Version "
    "Supported, 4 bytes)";
// Secondary: the FM63xx/FMX6 AVL table as copied in public device notes, and the open-source
// FMC650 decoders that map 197/198 as the second driver's id halves.
constexpr char kFmx6Secondary[] =
    "copy of the FM63xx/FMX640 AVL table (Tachograph data / FMS elements) in public decoder "
    "notes; verify against Template:FMX640 AVL ID";

constexpr std::array<IoMapping, 19> kFmb{{
    {Q::Ignition, 239, 1, "Ignition", "0/1", kFmbPermanent, true},
    {Q::Movement, 240, 1, "Movement", "0/1", kFmbPermanent, true},
    {Q::GnssStatus, 69, 1, "GNSS Status", "0 off, 1 fix, 2 no fix, 3 sleep", kFmbPermanent, true},
    {Q::DataMode, 80, 1, "Data Mode", "0..5", kFmbPermanent, true},
    {Q::ExternalVoltageMv, 66, 2, "External Voltage", "mV", kFmbPermanent, true},
    {Q::TotalOdometerM, 16, 4, "Total Odometer", "m",
     "wiki: Template:ATX Data Sending Parameters ID (16 Total Odometer, shared with FMB)", true},
    {Q::TripOdometerM, 199, 4, "Trip Odometer", "m",
     "wiki: FMM880 Teltonika Data Sending Parameters ID (via research notes)", false},
    {Q::CanVehicleSpeedKmh, 81, 1, "Vehicle Speed", "km/h", kFmbCan, true},
    {Q::TotalFuelUsedRaw, 83, 4, "Fuel Consumed", "0.1 l", kFmbCan, true},
    {Q::FuelLevelDeciLitres, 84, 2, "Fuel Level", "0.1 l", kFmbCan, true},
    {Q::EngineSpeedRpm, 85, 2, "Engine RPM", "rpm",
     "wiki: FMB150 Teltonika Data Sending Parameters ID (Special:MobileDiff/100997)", false},
    {Q::FuelLevelPercent, 89, 1, "Fuel level", "%",
     "wiki: FMB Teltonika Data Sending Parameters ID, CAN adapters elements (via research notes)",
     false},
    {Q::TachoOdometerM, 10151, 4, "Tachograph Total Distance", "m", kFmx150Tacho, true},
    {Q::TachoVehicleSpeedKmh, 10156, 2, "Tachograph Vehicle Speed", "km/h", kFmx150Tacho, true},
    {Q::Driver1WorkingState, 10159, 1, "Driver 1 Working State", "0..7", kFmx150Tacho, true},
    {Q::Driver2WorkingState, 10160, 1, "Driver 2 Working State", "0..7", kFmx150Tacho, true},
    {Q::Driver1CardPresent, 10161, 1, "Driver 1 Card Presence", "0..3", kFmx150Tacho, true},
    {Q::Driver2CardPresent, 10162, 1, "Driver 2 Card Presence", "0..3", kFmx150Tacho, true},
    {Q::EngineCoolantTemp, 115, 2, "Engine Coolant Temperature", "0.1 C", kFmb150Can, true},
}};

constexpr std::array<IoMapping, 31> kFmx6{{
    {Q::Ignition, 239, 1, "Ignition", "0/1", kFmx6Permanent, true},
    {Q::Movement, 240, 1, "Movement", "0/1", kFmx6Permanent, true},
    {Q::GnssStatus, 71, 1, "GNSS Status", "0 off .. 5", kFmx6Permanent, true},
    {Q::DataMode, 22, 1, "Data Mode", "0..5", kFmx6Permanent, true},
    {Q::ExternalVoltageMv, 66, 2, "External Voltage", "mV", kFmx6Permanent, true},
    {Q::TotalOdometerM, 16, 4, "Total Odometer", "m", kFmx6Copy, false},
    {Q::TripOdometerM, 199, 4, "Trip Odometer", "m", kFmx6Copy, false},
    {Q::Driver1WorkingState, 184, 1, "Driver 1 Working State", "0..7", kFmx6Tacho, true},
    {Q::Driver2WorkingState, 185, 1, "Driver 2 Working State", "0..7", kFmx6Copy, false},
    {Q::Driver1CardPresent, 187, 1, "Driver 1 Card Presence", "0/1", kFmx6Tacho, true},
    {Q::Driver2CardPresent, 188, 1, "Driver 2 Card Presence", "0/1", kFmx6Copy, false},
    {Q::TachoVehicleSpeedKmh, 191, 2, "Tachograph Vehicle Speed", "km/h", kFmx6Tacho, true},
    {Q::TachoOdometerM, 192, 4, "Tachograph Total Vehicle Distance", "m", kFmx6Tacho, true},
    {Q::Driver1IdMsb, 195, 8, "Driver 1 ID MSB", "8 ASCII", kFmx6Tacho, true},
    {Q::Driver1IdLsb, 196, 8, "Driver 1 ID LSB", "8 ASCII", kFmx6Tacho, true},
    {Q::CanVehicleSpeedKmh, 80, 1, "Wheel Based Speed", "km/h", kFmx6Copy, false},
    {Q::TotalFuelUsedRaw, 86, 4, "Engine Total Fuel Used", "l", kFmx6Copy, false},
    {Q::FuelLevelPercent, 87, 1, "Fuel Level", "%", kFmx6Copy, false},
    {Q::EngineSpeedRpm, 88, 2, "Engine Speed", "rpm", kFmx6Copy, false},
    {Q::Driver2IdMsb, 197, 8, "Driver 2 ID MSB", "8 ASCII", kFmx6Secondary, false},
    {Q::Driver2IdLsb, 198, 8, "Driver 2 ID LSB", "8 ASCII", kFmx6Secondary, false},
    {Q::EngineCoolantTemp, 127, 1, "Engine Coolant Temperature", "C", kFmx6Secondary, false},
    {Q::AmbientAirTempC, 128, 2, "Ambient Air Temperature", "C", kFmx6Secondary, false},
    {Q::ServiceDistanceKm, 113, 4, "Service Distance", "km", kFmx6Secondary, false},
    {Q::FmsSoftwareVersion, 109, 4, "Software Version Supported", "4 ASCII", kFmx6Fms, true},
    {Q::FmsDiagnosticsSupported, 110, 1, "Diagnostics Supported", "0..3", kFmx6Secondary, false},
    {Q::Driver1ContinuousDrivingMin, 56, 2, "Driver 1 Continuous Driving Time", "min",
     kFmx6Secondary, false},
    {Q::Driver1CumulativeBreakMin, 58, 2, "Driver 1 Cumulative Break Time", "min", kFmx6Secondary,
     false},
    {Q::Driver1ActivityDurationMin, 60, 2, "Driver 1 Selected Activity Duration", "min",
     kFmx6Secondary, false},
    {Q::Driver1CumulativeDrivingMin, 69, 2, "Driver 1 Cumulative Driving Time", "min",
     kFmx6Secondary, false},
    {Q::Driver1TimeRelatedStates, 189, 1, "Driver 1 Time Related States", "0..15", kFmx6Secondary,
     false},
}};

template <class T>
std::optional<T> as(std::optional<std::uint64_t> v) {
  if (!v) return std::nullopt;
  return static_cast<T>(*v);
}

}  // namespace

const char* familyName(Family f) {
  return f == Family::FMX6 ? "FMX6" : "FMBxxx";
}

std::optional<Family> parseFamily(std::string_view s) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "fmbxxx") return Family::FMBxxx;
  if (lower == "fmx6") return Family::FMX6;
  return std::nullopt;
}

std::span<const IoMapping> ioTable(Family f) {
  if (f == Family::FMX6) return kFmx6;
  return kFmb;
}

const IoMapping* ioMapping(Family f, Quantity q) {
  for (const IoMapping& m : ioTable(f))
    if (m.quantity == q) return &m;
  return nullptr;
}

std::optional<std::uint64_t> ioValue(const AvlRecord& r, Family f, Quantity q) {
  const IoMapping* m = ioMapping(f, q);
  if (m == nullptr) return std::nullopt;
  const IoElement* e = r.find(m->id);
  // A length other than the table's means another meaning of the id (a family mix-up).
  if (e == nullptr || e->variable || e->length != m->bytes) return std::nullopt;
  return e->value;
}

std::optional<bool> ignition(const AvlRecord& r, Family f) {
  auto v = ioValue(r, f, Q::Ignition);
  return v ? std::optional<bool>(*v != 0) : std::nullopt;
}
std::optional<bool> movement(const AvlRecord& r, Family f) {
  auto v = ioValue(r, f, Q::Movement);
  return v ? std::optional<bool>(*v != 0) : std::nullopt;
}
std::optional<std::uint8_t> gnssStatus(const AvlRecord& r, Family f) {
  return as<std::uint8_t>(ioValue(r, f, Q::GnssStatus));
}
std::optional<std::uint8_t> dataMode(const AvlRecord& r, Family f) {
  return as<std::uint8_t>(ioValue(r, f, Q::DataMode));
}
std::optional<std::uint32_t> externalVoltageMv(const AvlRecord& r, Family f) {
  return as<std::uint32_t>(ioValue(r, f, Q::ExternalVoltageMv));
}
std::optional<std::uint32_t> totalOdometerM(const AvlRecord& r, Family f) {
  return as<std::uint32_t>(ioValue(r, f, Q::TotalOdometerM));
}
std::optional<std::uint32_t> tripOdometerM(const AvlRecord& r, Family f) {
  return as<std::uint32_t>(ioValue(r, f, Q::TripOdometerM));
}
std::optional<std::uint8_t> driverWorkingState(const AvlRecord& r, Family f, int slot) {
  return as<std::uint8_t>(
      ioValue(r, f, slot == 2 ? Q::Driver2WorkingState : Q::Driver1WorkingState));
}
std::optional<bool> driverCardPresent(const AvlRecord& r, Family f, int slot) {
  auto v = ioValue(r, f, slot == 2 ? Q::Driver2CardPresent : Q::Driver1CardPresent);
  return v ? std::optional<bool>(*v != 0) : std::nullopt;
}
std::optional<std::uint16_t> tachoSpeedKmh(const AvlRecord& r, Family f) {
  return as<std::uint16_t>(ioValue(r, f, Q::TachoVehicleSpeedKmh));
}
std::optional<std::uint32_t> tachoOdometerM(const AvlRecord& r, Family f) {
  return as<std::uint32_t>(ioValue(r, f, Q::TachoOdometerM));
}
std::optional<std::uint32_t> engineSpeedRpm(const AvlRecord& r, Family f) {
  return as<std::uint32_t>(ioValue(r, f, Q::EngineSpeedRpm));
}

std::optional<std::int32_t> engineCoolantDeciC(const AvlRecord& r, Family f) {
  const IoMapping* m = ioMapping(f, Q::EngineCoolantTemp);
  auto v = ioValue(r, f, Q::EngineCoolantTemp);
  if (m == nullptr || !v) return std::nullopt;
  // Signed values of the row's width; FMBxxx sends 0.1 C, FMX6 whole degrees.
  if (m->bytes == 1) return 10 * static_cast<std::int8_t>(*v);
  return static_cast<std::int16_t>(*v);
}

std::optional<std::string> driver1CardNumber(const AvlRecord& r, Family f) {
  return driverCardNumber(r, f, 1);
}

std::optional<std::string> driverCardNumber(const AvlRecord& r, Family f, int slot) {
  const IoMapping* msb = ioMapping(f, slot == 2 ? Q::Driver2IdMsb : Q::Driver1IdMsb);
  const IoMapping* lsb = ioMapping(f, slot == 2 ? Q::Driver2IdLsb : Q::Driver1IdLsb);
  if (msb == nullptr || lsb == nullptr) return std::nullopt;
  const IoElement* a = r.find(msb->id);
  const IoElement* b = r.find(lsb->id);
  if (a == nullptr || b == nullptr || a->length != 8 || b->length != 8) return std::nullopt;
  std::string s;
  bool allZero = true;
  for (const IoElement* e : {a, b})
    for (std::uint8_t c : r.valueBytes(*e)) {
      allZero = allZero && c == 0;
      s += static_cast<char>(c);
    }
  if (allZero) return std::string();
  return s;
}

}  // namespace dcgw::codecs::teltonika
