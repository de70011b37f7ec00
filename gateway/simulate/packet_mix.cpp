// The packet pool of `dcgw simulate`: JSON templates of every family, varied along a drive.
#include "gateway/simulate/packet_mix.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"

namespace dcgw::simulate {
namespace {

using codecs::JsonValue;
using Object = JsonValue::Object;

constexpr double kPi = 3.14159265358979323846;
constexpr double kMetresPerKnotSecond = 0.514444;
constexpr double kMetresPerDegreeLatitude = 111'320.0;

// What the packets describe: one truck driving, its clocks and counters moving on.
struct Vehicle {
  std::int64_t t{0};
  double latitude{51.4545};  // Bristol, as the seed's examples
  double longitude{-2.5879};
  double altitude{35};
  double headingDeg{270};
  double speedKnots{40};
  double odometerKm{254300};
  double totalFuelLitres{412345};
  double fuelLevelPercent{82};
  double journeyKm{0};
  int drivenMinutes{0};
  int brakePresses{0};
  int passengersIn{0};
  int passengersOut{0};
};

using Rng = std::mt19937_64;

double uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int uniformInt(Rng& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// One second of driving: speed and heading wander, the position follows them.
void drive(Vehicle& v, Rng& rng) {
  v.t += 1;
  v.speedKnots = std::clamp(v.speedKnots + uniform(rng, -1.5, 1.5), 0.0, 48.0);
  v.headingDeg = std::fmod(v.headingDeg + uniform(rng, -4.0, 4.0) + 360.0, 360.0);
  double metres = v.speedKnots * kMetresPerKnotSecond;
  double rad = v.headingDeg * kPi / 180.0;
  v.latitude += metres * std::cos(rad) / kMetresPerDegreeLatitude;
  v.longitude +=
      metres * std::sin(rad) / (kMetresPerDegreeLatitude * std::cos(v.latitude * kPi / 180.0));
  v.altitude = std::clamp(v.altitude + uniform(rng, -0.5, 0.5), 0.0, 400.0);
  v.odometerKm += metres / 1000.0;
  v.journeyKm += metres / 1000.0;
  double litres = metres / 1000.0 * 0.32;  // a loaded truck: about 32 l/100 km
  v.totalFuelLitres += litres;
  v.fuelLevelPercent -= litres / 6.0;                    // a 600 l tank
  if (v.fuelLevelPercent < 10) v.fuelLevelPercent = 95;  // refuelled
  if (v.t % 60 == 0) ++v.drivenMinutes;
  if (v.drivenMinutes > 600) v.drivenMinutes = 0;
}

JsonValue integer(std::int64_t i) {
  return JsonValue::makeNumber(static_cast<double>(i), i);
}
JsonValue decimal(double d) {
  return JsonValue::makeNumber(d, std::nullopt);
}
JsonValue text(std::string s) {
  return JsonValue::makeString(std::move(s));
}

void set(Object& o, std::string_view key, JsonValue value) {
  for (auto& [k, v] : o)
    if (k == key) {
      v = std::move(value);
      return;
    }
  o.emplace_back(std::string(key), std::move(value));
}

// Every family, as `dcgw decode` renders the examples of etc/examples/packets.hex. A kind
// overrides the members that change along the drive; the rest is the example as it stands.
struct Kind {
  int weight;  // per mille of the mix
  const char* json;
  std::function<void(Object&, const Vehicle&, Rng&)> vary;
};

void trackingCommon(Object& o, const Vehicle& v, Rng& rng) {
  set(o, "dateTime", integer(v.t));
  set(o, "latitude", decimal(v.latitude));
  set(o, "longitude", decimal(v.longitude));
  set(o, "altitude", integer(std::lround(v.altitude)));
  set(o, "speed", decimal(v.speedKnots));
  set(o, "heading", decimal(v.headingDeg));
  set(o, "gpsDateTime", integer(v.t - uniformInt(rng, 0, 1)));
}

void trackingFull(Object& o, const Vehicle& v, Rng& rng) {
  trackingCommon(o, v, rng);
  double ms = v.speedKnots * kMetresPerKnotSecond;
  set(o, "maxSpeed", decimal(ms + uniform(rng, 0, 3)));
  set(o, "minimumAcceleration", decimal(-uniform(rng, 0, 2)));
  set(o, "maximumAcceleration", decimal(uniform(rng, 0, 1.5)));
  set(o, "distance", decimal(ms * 60));
  set(o, "satellites", integer(uniformInt(rng, 4, 14)));
}

std::vector<Kind> kinds() {
  return {
      {600,
       R"({"type":71,"subtype":0,"duration":60,"maxSpeed":0,"minimumAcceleration":0,)"
       R"("maximumAcceleration":0,"distance":0,"satellites":9})",
       trackingFull},
      {50,
       // The digiDL form, without satellites and GPS time (section 12 note 1).
       R"({"type":71,"subtype":0,"maxSpeed":22.1,"minimumAcceleration":-0.5,)"
       R"("maximumAcceleration":0.4,"duration":60,"distance":1175.2})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         trackingCommon(o, v, rng);
         o.erase(std::remove_if(o.begin(), o.end(),
                                [](const auto& m) { return m.first == "gpsDateTime"; }),
                 o.end());
         set(o, "distance", decimal(v.speedKnots * kMetresPerKnotSecond * 60));
       }},
      {40, R"({"type":71,"subtype":1})", trackingCommon},
      {5, R"({"type":71,"subtype":2,"activated":1})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "activated", integer(uniformInt(rng, 0, 1)));
       }},
      {80,
       R"({"type":70,"subtype":130,"engineTemperature":86,"durationSinceLastLog":60,)"
       R"("averageEngineSpeed":1225.5,"maximumEngineSpeed":1450})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         double kmh = v.speedKnots * 1.852;
         set(o, "dateTime", integer(v.t));
         set(o, "totalFuelUsed", decimal(v.totalFuelLitres));
         set(o, "fuelLevel", decimal(v.fuelLevelPercent));
         set(o, "odometer", decimal(v.odometerKm));
         set(o, "ambientTemperature", decimal(uniform(rng, 2, 20)));
         set(o, "fuelUsedSinceLastLog", decimal(kmh / 60 * 0.32));
         set(o, "distanceTravelledSinceLastLog", decimal(kmh / 60));
         set(o, "averageVehicleSpeed", decimal(kmh));
         set(o, "maximumVehicleSpeed", decimal(kmh + uniform(rng, 0, 8)));
       }},
      {10,
       R"({"type":70,"subtype":129,"cardNumber":"DB123456789010","engineTemperature":12,)"
       R"("serviceDistance":35365})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "totalFuelUsed", decimal(v.totalFuelLitres));
         set(o, "fuelLevel", decimal(v.fuelLevelPercent));
         set(o, "odometer", decimal(v.odometerKm));
         set(o, "ambientTemperature", decimal(uniform(rng, 2, 20)));
       }},
      {10,
       R"({"type":70,"subtype":131,"engineTemperature":88,"cruiseControlDuration":18000,)"
       R"("cruiseControlFuelUsed":55.5,"idleDuration":1800,"fuelUsedInIdle":4.5,)"
       R"("ptoDuration":0,"fuelUsedInPto":0,"numberOfHarshBrakingEvents":3,)"
       R"("durationOfHarshBraking":6,"numberOfHarshAccelerationEvents":1,)"
       R"("durationOfHarshAcceleration":2,"numberOfClutchPresses":0,)"
       R"("numberOfShortIdleEvents":5,"numberOfLongIdleEvents":2,)"
       R"("durationOfHighEnginePower":120,"numberOfHighPowerEvents":4,)"
       R"("durationOfHighEngineSpeed":30,"numberOfHighSpeedEvents":2,)"
       R"("currentMaxEngineSpeed":2150.5})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "totalFuelUsed", decimal(v.totalFuelLitres));
         set(o, "fuelLevel", decimal(v.fuelLevelPercent));
         set(o, "odometer", decimal(v.odometerKm));
         set(o, "ambientTemperature", decimal(uniform(rng, 2, 20)));
         set(o, "journeyDuration", integer(v.drivenMinutes * 60));
         set(o, "journeyFuelUsed", decimal(v.journeyKm * 0.32));
         set(o, "journeyDistance", decimal(v.journeyKm));
         set(o, "numberOfBrakePresses", integer(v.brakePresses));
       }},
      {10,
       R"({"type":70,"subtype":132,)"
       R"("tellTale":"0f000000000000000000000000000000000000000000000000000000000000f0",)"
       R"("doorControl2":"0000000000000000"})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         static constexpr const char* kDoors[] = {"41", "40", "01", "00"};
         set(o, "dateTime", integer(v.t));
         set(o, "doorControl1", text(kDoors[uniformInt(rng, 0, 3)]));
       }},
      {5, R"({"type":70,"subtype":128,"requestsDiagnosticsSupported":5,"softwareVersion":"04.01"})",
       [](Object& o, const Vehicle& v, Rng&) { set(o, "dateTime", integer(v.t)); }},
      {30, R"({"type":77,"subtype":0,"slot1CardNumber":"DB123456789010","slot2CardNumber":""})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "activityStart", integer(v.t - uniformInt(rng, 0, 3600)));
         set(o, "slot1Mode", integer(v.speedKnots > 1 ? 3 : uniformInt(rng, 0, 2)));
         set(o, "slot2Mode", integer(uniformInt(rng, 0, 1)));
         set(o, "odometer", decimal(v.odometerKm));
       }},
      {10,
       R"({"type":109,"subtype":0,"slot1CardNumber":"DB123456789010",)"
       R"("slot2CardNumber":"DB987654321090"})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "activityStart", integer(v.t - uniformInt(rng, 0, 3600)));
         set(o, "slot1Mode", integer(uniformInt(rng, 0, 3)));
         set(o, "slot2Mode", integer(uniformInt(rng, 0, 3)));
         set(o, "odometer", decimal(v.odometerKm));
       }},
      {10,
       R"({"type":77,"subtype":2,"cardNumber":"DB123456789010","mode":3,"timeRelatedStates":1,)"
       R"("weeklyDrive":1820,"twoWeekDrive":3900,"cumulativeBreak":15,"cumulativeRest":0,)"
       R"("timeLeftUntilNextWeeklyRest":5100,"minimumDurationOfNextDailyRest":540,)"
       R"("minimumDurationOfNextWeeklyRest":2700,"maximumDailyDrive":9,"extendedDriveUsed":1,)"
       R"("reducedRestUsed":0,"workingTimeDaily":null,"workingTimeWeekly":null,)"
       R"("workingTimeBreak":null})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "duration", integer(v.drivenMinutes % 270));
         set(o, "continuousDrive", integer(v.drivenMinutes % 255));
         set(o, "dailyDrive", integer(v.drivenMinutes));
         set(o, "timeLeftUntilNextDailyRest", integer(std::max(0, 780 - v.drivenMinutes)));
         set(o, "timeRelatedStates", integer(uniformInt(rng, 0, 1)));
       }},
      {10,
       R"({"type":77,"subtype":3,"cardNumber":"DB123456789010","mode":3,"timeRelatedStates":0,)"
       R"("weeklyDrive":1820,"twoWeekDrive":3900,"cumulativeBreak":45,"remainingDrive":175,)"
       R"("timeLeftUntilNextRestPeriod":175,"durationOfNextBreakRest":45,)"
       R"("remainingBreakRest":null,"timeLeftUntilNextDrivingPeriod":null,)"
       R"("maximumDurationOfNextDrivingPeriod":270,"remainingDailyDrive":230,)"
       R"("minimumDurationOfNextDailyRest":540,"remainingWeeklyDrive":1540,)"
       R"("timeLeftUntilNextWeeklyRest":5100,"minimumDurationOfNextWeeklyRest":2700,)"
       R"("bitMask":17})",
       [](Object& o, const Vehicle& v, Rng&) {
         set(o, "dateTime", integer(v.t));
         set(o, "duration", integer(v.drivenMinutes % 270));
         set(o, "continuousDrive", integer(v.drivenMinutes % 270));
         set(o, "dailyDrive", integer(v.drivenMinutes));
         set(o, "timeLeftUntilNextDailyRest", integer(std::max(0, 780 - v.drivenMinutes)));
       }},
      {10,
       R"({"type":77,"subtype":4,"cardNumber":"DB123456789010","mode":3,"timeRelatedStates":3,)"
       R"("weeklyDrive":1820,"twoWeekDrive":3900,"cumulativeBreak":45,)"
       R"("timeLeftUntilNextWeeklyRest":5100,"minimumDurationOfNextDailyRest":540,)"
       R"("minimumDurationOfNextWeeklyRest":2700,"extendedDriveUsed":2})",
       [](Object& o, const Vehicle& v, Rng&) {
         set(o, "dateTime", integer(v.t));
         set(o, "duration", integer(v.drivenMinutes % 270));
         set(o, "continuousDrive", integer(v.drivenMinutes % 270));
         set(o, "dailyDrive", integer(v.drivenMinutes));
         set(o, "timeLeftUntilNextDailyRest", integer(std::max(0, 780 - v.drivenMinutes)));
       }},
      {10,
       R"({"type":77,"subtype":12,"cardNumber":"DB123456789010","mode":3,)"
       R"("timeRelatedStates":1,"timeRelatedLevel":1,"weeklyDrive":1820,"twoWeekDrive":3900,)"
       R"("maximumDailyDrive":10,"maximumWeeklyDrive":56,"maximumTwoWeekDrive":90,)"
       R"("remainingDrive":15,"durationOfNextBreakRest":45,"extendedDriveAvailable":1,)"
       R"("breakRestTaken":0,"requiredBreakRest":45,"maximumDurationOfNextDrivingPeriod":270,)"
       R"("reducedRestAvailable":3,"minimumDurationOfNextDailyRest":540,)"
       R"("minimumDurationOfNextWeeklyRest":2700,"workingTimeDaily":null,)"
       R"("workingTimeWeekly":null,"workingTimeBreakTaken":null})",
       [](Object& o, const Vehicle& v, Rng&) {
         set(o, "dateTime", integer(v.t));
         set(o, "duration", integer(v.drivenMinutes % 270));
         set(o, "continuousDrive", integer(v.drivenMinutes % 255));
         set(o, "dailyDrive", integer(v.drivenMinutes));
         set(o, "nextDailyRestDue", integer(v.t + 4 * 3600));
         set(o, "nextWeeklyRestDue", integer(v.t + 4 * 86400));
       }},
      {5,
       R"({"type":107,"subtype":0,"cardNumber":"DB123456789010",)"
       R"("drivingLicenceNumber":"SMITH802294J99AB","recordedRest":45,"recordedAvailable":30,)"
       R"("recordedWork":120,"adjustedRest":45,"adjustedAvailable":30,"adjustedWork":130})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "clockState", integer(uniformInt(rng, 1, 2)));
         set(o, "recordedDrive", integer(v.drivenMinutes));
         set(o, "adjustedDrive", integer(v.drivenMinutes));
       }},
      {5,
       R"({"type":107,"subtype":1,"cardNumber":"DB123456789010","userReference":"EMP-00042",)"
       R"("fingerprintState":0,"surname":"Smith","firstNames":"John"})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "clockState", integer(uniformInt(rng, 1, 2)));
       }},
      {10, R"({"type":83,"sensorNumber":2})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "sensorNumber", integer(uniformInt(rng, 0, 3)));
         set(o, "dateTime", integer(v.t));
         set(o, "value", integer(uniformInt(rng, 0, 1)));
       }},
      {10, R"({"type":83,"sensorNumber":4})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "sensorNumber", integer(uniformInt(rng, 4, 5)));
         set(o, "dateTime", integer(v.t));
         set(o, "value", integer(uniformInt(rng, 0, 4095)));
       }},
      {5, R"({"type":83,"sensorNumber":6})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "value", decimal(uniform(rng, 0.2, 1.2)));
         set(o, "duration", decimal(uniform(rng, 0.1, 3)));
       }},
      {10, R"({"type":83,"sensorNumber":16,"probeId":"28ff4c6a01160345"})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "sensorNumber", integer(uniformInt(rng, 0x10, 0x19)));
         set(o, "dateTime", integer(v.t));
         set(o, "value", decimal(uniform(rng, -22, -16)));  // a reefer trailer
       }},
      {5, R"({"type":83,"sensorNumber":32})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "dateTime", integer(v.t));
         set(o, "doorOpenShut", integer(uniformInt(rng, 0, 1)));
         set(o, "passengerEntryCount", integer(uniformInt(rng, 0, 20)));
         set(o, "passengerExitCount", integer(uniformInt(rng, 0, 20)));
       }},
      {10, R"({"type":79,"vin":"WDB9634031L123456","source":0})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "journeyStartEnd", integer(uniformInt(rng, 0, 1)));
         set(o, "dateTime", integer(v.t));
         set(o, "odometer", decimal(v.odometerKm));
       }},
      {10,
       R"({"type":97,"subtype":0,"cardNumber":"DB123456789010","alertType":4,)"
       R"("alertSubType":2,"title":"Driving time","p1":"255","p2":"AB12CDE"})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "alertState", integer(uniformInt(rng, 0, 1)));
         set(o, "alertDatetime", integer(v.t));
         set(o, "alert",
             text("Continuous driving " + std::to_string(v.drivenMinutes / 60) + "h" +
                  std::to_string(v.drivenMinutes % 60) + " reached"));
       }},
      {5,
       R"({"type":68,"subtype":0,"cardNumber":"DB123456789010","surname":"Müller",)"
       R"("firstNames":"Anna Zoë"})",
       [](Object&, const Vehicle&, Rng&) {}},
      {5, R"({"type":73,"subtype":0,"source":1})",
       [](Object& o, const Vehicle& v, Rng& rng) {
         set(o, "timeSource", integer(v.t + uniformInt(rng, -3, 3)));
         set(o, "utc", integer(v.t));
       }},
      {4,
       R"({"type":102,"subtype":0,"cardNumber":"DB123456789010","surname":"Smith",)"
       R"("firstNames":"John","cardHolderBirthDate":"1984-02-29",)"
       R"("cardValidBegin":"2022-03-01T00:00:00Z","cardExpiryDate":"2027-02-28T23:59:59Z",)"
       R"("cardIssuingMemberStateAlpha":"UK","drivingLicenceNumber":"SMITH802294J99AB"})",
       [](Object& o, const Vehicle& v, Rng&) {
         set(o, "downloadDate", integer(v.t));
         set(o, "activityStartDate", integer(v.t - v.t % 86400 - 28 * 86400));
         set(o, "activityEndDate", integer(v.t - 60));
       }},
      {3,
       R"({"type":102,"subtype":1,"cardNumber":"WB000123456700","surname":"Jones",)"
       R"("firstNames":"Mary","cardValidBegin":"2025-06-01T00:00:00Z",)"
       R"("cardExpiryDate":"2030-05-31T23:59:59Z","cardIssuingMemberStateAlpha":"UK",)"
       R"("workshopName":"Fleet Tacho Services Ltd",)"
       R"("workshopAddress":"Unit 4, Harbour Road, Bristol"})",
       [](Object& o, const Vehicle& v, Rng&) { set(o, "downloadDate", integer(v.t)); }},
      {3,
       R"({"type":102,"subtype":2,"vin":"WDB9634031L123456",)"
       R"("vehicleRegistrationNationAlpha":"UK","vehicleRegistrationNumber":"AB12CDE",)"
       R"("vuManufacturerName":"Continental Automotive","vuPartNumber":"1381.2051000004",)"
       R"("vuSoftwareVersion":"0402","authorisedSpeed":90,)"
       R"("nextCalibrationDate":"2028-01-15T00:00:00Z"})",
       [](Object& o, const Vehicle& v, Rng&) {
         set(o, "downloadDate", integer(v.t));
         set(o, "activityStartDate", integer(v.t - v.t % 86400 - 90 * 86400));
         set(o, "activityEndDate", integer(v.t - 60));
       }},
  };
}

}  // namespace

PacketMix::PacketMix(const MixSettings& settings) {
  if (settings.poolSize == 0) throw std::logic_error("PacketMix: an empty pool");
  std::vector<Kind> table = kinds();
  std::vector<Object> templates;
  std::vector<int> weights;
  for (const Kind& k : table) {
    auto parsed = codecs::parseJson(k.json);
    if (!parsed || !parsed->isObject())
      throw std::logic_error(std::string("PacketMix: bad template ") + k.json);
    templates.push_back(parsed->asObject());
    weights.push_back(k.weight);
  }
  Rng rng(settings.seed);
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  Vehicle v;
  std::int64_t end = settings.endSeconds;
  if (end == 0)
    end = std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  v.t = end - static_cast<std::int64_t>(settings.poolSize);
  offsets_.reserve(settings.poolSize + 1);
  offsets_.push_back(0);
  for (std::size_t i = 0; i < settings.poolSize; ++i) {
    drive(v, rng);
    if (uniformInt(rng, 0, 29) == 0) ++v.brakePresses;
    std::size_t which = pick(rng);
    Object o = templates[which];
    table[which].vary(o, v, rng);
    auto bytes = codecs::encodePacket(JsonValue::makeObject(std::move(o)));
    if (!bytes)
      throw std::logic_error(std::string("PacketMix: ") + table[which].json + ": " +
                             bytes.error().message());
    codecs::ByteView view(*bytes);
    if (auto p = codecs::decodePacket(view); !p)
      throw std::logic_error(std::string("PacketMix: ") + table[which].json +
                             " does not decode: " + p.error().message());
    if (view.size() <= 5 || codecs::decodePacket(view.first(5)).ok())
      throw std::logic_error(std::string("PacketMix: ") + table[which].json +
                             " still decodes when cut to 5 bytes");
    bytes_.insert(bytes_.end(), bytes->begin(), bytes->end());
    offsets_.push_back(bytes_.size());
  }
}

}  // namespace dcgw::simulate
