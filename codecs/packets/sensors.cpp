// Seed 004 section 16: Sensors (0x53); the second byte is the sensor number, which selects the
// layout: 0x00-0x03 switch, 0x04-0x05 analogue, 0x06 accelerometer, 0x10-0x19 1-Wire
// temperature probe, 0x20-0x2F passenger counter.
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr FieldSpec kSensorNumber{"sensorNumber", "Sensor Number", 1, 1, K::U8};
constexpr FieldSpec kDateTime{"dateTime", "DateTime", 2, 4, K::TimeReal};
constexpr FieldSpec kSwitch[] = {kSensorNumber, kDateTime, {"value", "Value", 6, 1, K::U8}};
constexpr FieldSpec kAnalogue[] = {kSensorNumber, kDateTime, {"value", "Value", 6, 2, K::U16BE}};
constexpr FieldSpec kAccelerometer[] = {
    kSensorNumber,
    kDateTime,
    {"value", "Value", 6, 2, K::U16BE, 0, {1, 1000, 0}, "g"},
    {"duration", "Duration", 8, 2, K::U16BE, 0, {1, 10, 0}, "seconds"},
};
constexpr FieldSpec kOneWire[] = {
    kSensorNumber,
    kDateTime,
    {"value", "Value", 6, 2, K::I16BE, 0, {1, 16, 0}, "degrees C"},
    {"probeId", "ProbeId", 8, 8, K::Hex},
};
constexpr FieldSpec kPassenger[] = {
    kSensorNumber,
    kDateTime,
    {"doorOpenShut", "Door Open/Shut", 6, 1, K::U8},
    {"rfu", "RFU", 7, 1, K::Reserved},
    {"passengerEntryCount", "Passenger entry count", 8, 1, K::U8},
    {"passengerExitCount", "Passenger exit count", 9, 1, K::U8},
};
}  // namespace
const Layout kSensorSwitch{"16.1", kSwitch, 7, 7};
const Layout kSensorAnalogue{"16.2", kAnalogue, 8, 8};
const Layout kSensorAccelerometer{"16.3", kAccelerometer, 10, 10};
const Layout kSensorOneWire{"16.4", kOneWire, 16, 16};
const Layout kSensorPassenger{"16.5", kPassenger, 10, 10};
}  // namespace dcgw::codecs::layouts
