// Test helper: a Teltonika tracker written from schema/teltonika.md alone (not from codecs/
// teltonika, so a test built on it checks the gateway against the document): Codec 8 Extended
// records and frames with their CRC-16/IBM, the IMEI login, a TCP connection reading the replies,
// and a builder for the seed 004 packets a test expects, field by field in the seed's order.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"

namespace dcgw::testing::teltonika {

using codecs::Bytes;

// v as n big-endian bytes.
inline Bytes be(std::uint64_t v, std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
  return b;
}

inline Bytes ascii(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One IO element: its id and its value, whose size picks the group (1, 2, 4, 8 bytes, else NX).
struct Io {
  std::uint16_t id;
  Bytes value;
};

// A Codec 8 Extended AVL record (schema/teltonika.md section 3): timestamp ms, priority 0,
// longitude, latitude (degrees x 10^7), altitude m, angle, satellites, speed km/h, event IO id,
// total IO count, then the 1-, 2-, 4-, 8-byte and NX groups, each with a 2-byte count.
inline Bytes record(std::uint64_t ms, std::int32_t lon, std::int32_t lat, std::int16_t alt,
                    std::uint16_t angle, std::uint8_t sats, std::uint16_t speed,
                    std::uint16_t eventId, const std::vector<Io>& io) {
  Bytes r;
  auto put = [&r](const Bytes& b) { r.insert(r.end(), b.begin(), b.end()); };
  put(be(ms, 8));
  r.push_back(0);
  put(be(static_cast<std::uint32_t>(lon), 4));
  put(be(static_cast<std::uint32_t>(lat), 4));
  put(be(static_cast<std::uint16_t>(alt), 2));
  put(be(angle, 2));
  r.push_back(sats);
  put(be(speed, 2));
  put(be(eventId, 2));
  put(be(io.size(), 2));
  for (std::size_t size : {1, 2, 4, 8}) {
    const auto n =
        std::count_if(io.begin(), io.end(), [&](const Io& e) { return e.value.size() == size; });
    put(be(static_cast<std::uint64_t>(n), 2));
    for (const Io& e : io)
      if (e.value.size() == size) put(be(e.id, 2)), put(e.value);
  }
  std::vector<const Io*> nx;
  for (const Io& e : io)
    if (e.value.size() != 1 && e.value.size() != 2 && e.value.size() != 4 && e.value.size() != 8)
      nx.push_back(&e);
  put(be(nx.size(), 2));
  for (const Io* e : nx) put(be(e->id, 2)), put(be(e->value.size(), 2)), put(e->value);
  return r;
}

// CRC-16/IBM (section 2): reflected polynomial 0xA001, initial 0, no final xor.
inline std::uint16_t crc16(const Bytes& data) {
  std::uint16_t crc = 0;
  for (std::uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001)
                      : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

// The frame of section 2 around Codec 8 Extended records.
inline Bytes frame(const std::vector<Bytes>& records) {
  Bytes data;
  data.push_back(0x8E);
  data.push_back(static_cast<std::uint8_t>(records.size()));
  for (const Bytes& r : records) data.insert(data.end(), r.begin(), r.end());
  data.push_back(static_cast<std::uint8_t>(records.size()));
  Bytes f = be(0, 4);
  const Bytes length = be(data.size(), 4), crc = be(crc16(data), 4);
  f.insert(f.end(), length.begin(), length.end());
  f.insert(f.end(), data.begin(), data.end());
  f.insert(f.end(), crc.begin(), crc.end());
  return f;
}

inline Bytes login(const std::string& imei) {
  Bytes b;
  b.push_back(0x00);
  b.push_back(static_cast<std::uint8_t>(imei.size()));
  b.insert(b.end(), imei.begin(), imei.end());
  return b;
}

// The tracker's side of a TCP connection: bytes out, exact reads in, with a deadline.
class Device {
 public:
  explicit Device(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Device() { ::close(fd_); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  void send(const Bytes& b) {
    ASSERT_EQ(::send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  // n bytes, or fewer if the peer closed or nothing came within `wait`.
  Bytes read(std::size_t n, std::chrono::milliseconds wait = std::chrono::seconds(20)) {
    Bytes got;
    const auto end = std::chrono::steady_clock::now() + wait;
    while (got.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::uint8_t buf[256];
      const ssize_t r = ::recv(fd_, buf, std::min(sizeof buf, n - got.size()), 0);
      if (r <= 0) break;
      got.insert(got.end(), buf, buf + r);
    }
    return got;
  }
  // The record count answering a frame (section 1: a u32).
  std::uint32_t ack() {
    const Bytes a = read(4);
    EXPECT_EQ(a.size(), 4u) << "no record count";
    if (a.size() != 4) return 0xFFFFFFFF;
    return (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) | (std::uint32_t{a[2]} << 8) |
           a[3];
  }

 private:
  int fd_{-1};
};

// An expected seed 004 packet, field after field: Pkt{type, second}.be(...).text(...).hex(size).
class Pkt {
 public:
  Pkt(std::uint8_t type, std::uint8_t second) {
    b_.reserve(160);  // every seed 004 packet a test expects here fits
    b_.push_back(type);
    b_.push_back(second);
  }
  Pkt& u8(std::uint8_t v) { return put(teltonika::be(v, 1)); }
  Pkt& be(std::uint64_t v, std::size_t n) { return put(teltonika::be(v, n)); }
  Pkt& le(std::uint64_t v, std::size_t n) {
    Bytes b = teltonika::be(v, n);
    std::reverse(b.begin(), b.end());
    return put(b);
  }
  Pkt& text(const std::string& s, std::size_t n) {  // space padded (CardNumber, VIN)
    std::string t = s;
    t.resize(n, ' ');
    return put(ascii(t));
  }
  Pkt& zero(std::size_t n) { return put(Bytes(n, 0x00)); }
  Pkt& ff(std::size_t n) { return put(Bytes(n, 0xFF)); }
  // The packet as lowercase hex; a test failure when it is not `size` bytes (the seed's length).
  std::string hex(std::size_t size) const {
    EXPECT_EQ(b_.size(), size) << "expected packet " << codecs::toHex(b_) << " has a wrong length";
    return lower(codecs::toHex(b_));
  }

 private:
  Pkt& put(const Bytes& b) {
    b_.insert(b_.end(), b.begin(), b.end());
    return *this;
  }
  Bytes b_;
};

}  // namespace dcgw::testing::teltonika
