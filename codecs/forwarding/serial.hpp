// The device serial number a third party receives (seed 004 section 3: 8 characters of 7-bit
// ASCII), made from the serial the gateway knows the device by.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace dcgw::codecs::forwarding {

// Whether `serial` is a 15-digit IMEI (a Teltonika device's serial, schema/teltonika.md 10.1).
inline bool isImei(std::string_view serial) {
  return serial.size() == 15 &&
         std::all_of(serial.begin(), serial.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A dcgw device's serial is 1 to 8 characters already and goes out as it is. A Teltonika
// device is known by its IMEI, which section 3's 8 characters cannot hold: it goes out as the
// IMEI's last 8 digits (the end of the type allocation code, the 6-digit serial number and the
// check digit), which tell apart every device of one model. The admin API refuses a device
// whose forwarded serial another device already has.
inline std::string forwardedSerial(std::string_view serial) {
  if (isImei(serial)) return std::string(serial.substr(7));
  return std::string(serial);
}

}  // namespace dcgw::codecs::forwarding
