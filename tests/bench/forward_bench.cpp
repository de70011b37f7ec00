// Load tool: packets/s of each forwarding method against `dcgw receive` on loopback, beside the
// raw limit of the same bytes measured in the same run by a minimal C++ ping-pong.
//   ninja -C build forward_bench dcgw && build/tests/bench/forward_bench [--seconds 3]
// Targets (issue #3): binary >= 15,000/s and >= 80% of 1/RTT; REST >= 8,000/s; XML over TCP
// >= 5,000/s; XML over UDP >= 20,000/s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "adapters/adapter.hpp"
#include "codecs/forwarding/binary_frame.hpp"

namespace {

using namespace dcgw;
using Clock = std::chrono::steady_clock;

// ---- `dcgw receive` as a child process ----

struct Child {
  pid_t pid{-1};
  std::map<std::string, std::uint16_t> ports;
  std::atomic<long> lines{0};
  std::thread reader;
};

void startReceiver(const std::string& dcgw, Child& c) {
  int err[2], out[2];
  if (pipe(err) != 0 || pipe(out) != 0) throw std::runtime_error("pipe");
  c.pid = fork();
  if (c.pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]), close(err[0]);
    execl(dcgw.c_str(), dcgw.c_str(), "receive", "--rest", "0", "--soap", "0", "--xml-tcp", "0",
          "--xml-udp", "0", "--binary", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]), close(err[1]);
  FILE* e = fdopen(err[0], "r");
  char line[256];
  while (c.ports.size() < 5 && std::fgets(line, sizeof line, e)) {
    char method[32];
    unsigned a, b, cc, d, port;
    if (std::sscanf(line, "dcgw receive: %31s listening on %u.%u.%u.%u:%u", method, &a, &b, &cc, &d,
                    &port) == 6)
      c.ports[method] = static_cast<std::uint16_t>(port);
  }
  // Count the JSON lines it prints: each is one message it took.
  c.reader = std::thread([fd = out[0], &c] {
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
      for (ssize_t i = 0; i < n; ++i) c.lines += buf[i] == '\n';
    close(fd);
  });
}

void stopReceiver(Child& c) {
  kill(c.pid, SIGTERM);
  waitpid(c.pid, nullptr, 0);
  c.reader.join();
}

// ---- minimal raw peers, for the limit ----

int connectTcp(std::uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return -1;
  }
  return s;
}

double runFor(double seconds, const std::function<bool()>& once, long& count) {
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  count = 0;
  while (Clock::now() < end) {
    if (!once()) break;
    ++count;
  }
  return count / std::chrono::duration<double>(Clock::now() - start).count();
}

// Reads one reply: a fixed size, or (size 0) an HTTP response with its Content-Length body.
bool readReply(int fd, std::size_t fixed, std::string& pending) {
  char buf[8192];
  for (;;) {
    if (fixed > 0 && pending.size() >= fixed) {
      pending.erase(0, fixed);
      return true;
    }
    if (fixed == 0) {
      std::size_t end = pending.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0, at = pending.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(pending.substr(at + 16));
        if (pending.size() >= end + 4 + length) {
          pending.erase(0, end + 4 + length);
          return true;
        }
      }
    }
    // Spin before blocking, as the adapters do: the limit is what the peer can answer.
    ssize_t r = -1;
    for (auto until = Clock::now() + std::chrono::microseconds(50); r < 0 && Clock::now() < until;)
      r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r < 0) r = read(fd, buf, sizeof buf);
    if (r <= 0) return false;
    pending.append(buf, static_cast<std::size_t>(r));
  }
}

// The raw limit: the same request bytes to the same receiver from a minimal blocking client.
double rawPingPong(std::uint16_t port, const std::string& request, std::size_t replySize,
                   double seconds) {
  int s = connectTcp(port);
  std::string pending;
  long n;
  double rate = runFor(
      seconds,
      [&] {
        return write(s, request.data(), request.size()) == static_cast<ssize_t>(request.size()) &&
               readReply(s, replySize, pending);
      },
      n);
  close(s);
  return rate;
}

// One connection per document: connect, write, close.
double rawConnectPerDocument(std::uint16_t port, const std::string& doc, double seconds) {
  long n;
  return runFor(
      seconds,
      [&] {
        int s = connectTcp(port);
        if (s < 0) return false;
        bool ok = write(s, doc.data(), doc.size()) == static_cast<ssize_t>(doc.size());
        shutdown(s, SHUT_WR);
        close(s);
        return ok;
      },
      n);
}

double rawDatagrams(std::uint16_t port, const std::string& doc, double seconds) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  long n;
  double rate = runFor(
      seconds,
      [&] {
        return sendto(s, doc.data(), doc.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) > 0;
      },
      n);
  close(s);
  return rate;
}

std::string httpRequest(const std::string& path, const std::string& type, const std::string& extra,
                        const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Keep-Alive\r\n" + extra +
         "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dcgw = DCGW_BINARY;
  double seconds = 3;
  std::string only;  // --methods binary,rest,...: run only these
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    if (a == "--dcgw") dcgw = argv[i + 1];
    if (a == "--methods") only = "," + std::string(argv[i + 1]) + ",";
  }
  signal(SIGPIPE, SIG_IGN);
  Child child;
  startReceiver(dcgw, child);
  if (child.ports.size() != 5) {
    std::cerr << "dcgw receive did not report five listeners\n";
    return 1;
  }
  const adapters::Envelope env{"12345678", "AB12CDE", [] {
                                 codecs::Bytes b;
                                 codecs::fromHex(
                                     "47006b016ba001d77f20fffee6c0002301a90a91000009f6ff6a00e100"
                                     "3c0001e24009006b016b9f",
                                     b);
                                 return b;
                               }()};
  std::printf("%-8s %10s %10s %10s %10s %7s  %s\n", "method", "adapter/s", "received", "raw/s",
              "received", "ratio", "target");
  struct Row {
    const char* name;
    adapters::Method method;
    double target;
  };
  const Row rows[] = {{"binary", adapters::Method::Binary, 15000},
                      {"rest", adapters::Method::Rest, 8000},
                      {"soap", adapters::Method::Soap, 0},
                      {"xml-tcp", adapters::Method::XmlTcp, 5000},
                      {"xml-udp", adapters::Method::XmlUdp, 20000}};
  int failures = 0;
  for (const Row& row : rows) {
    if (!only.empty() && only.find("," + std::string(row.name) + ",") == std::string::npos)
      continue;
    adapters::DestinationSettings s;
    s.name = row.name;
    s.method = row.method;
    std::uint16_t port = child.ports[row.name];
    if (row.method == adapters::Method::Rest || row.method == adapters::Method::Soap) {
      s.host = "http://127.0.0.1:" + std::to_string(port) + "/api/datapacket";
    } else {
      s.host = "127.0.0.1";
      s.port = port;
    }
    s.customTags = row.method == adapters::Method::Rest     ? "accountID:\"123456\""
                   : row.method == adapters::Method::Binary ? "123456"
                                                            : "<accountID>123456</accountID>";
    auto adapter = adapters::makeAdapter(s);
    if (!adapter) {
      std::cerr << adapter.error().message() << '\n';
      return 1;
    }
    const std::string wire = (*adapter)->render(env).value();
    long before = child.lines;  // updated again before the raw run
    long n = 0;
    std::string lastError;
    double rate = runFor(
        seconds,
        [&] {
          auto r = (*adapter)->deliver(env);
          if (r.outcome != adapters::Outcome::Delivered) lastError = r.reason;
          return r.outcome == adapters::Outcome::Delivered;
        },
        n);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    long received = child.lines - before;
    before = child.lines;
    double raw = 0;
    switch (row.method) {
      case adapters::Method::Binary:
        raw = rawPingPong(port, wire, 5, seconds);
        break;
      case adapters::Method::Rest:
        raw = rawPingPong(
            port, httpRequest("/api/datapacket", "application/json; charset=utf-8", "", wire), 0,
            seconds);
        break;
      case adapters::Method::Soap:
        raw = rawPingPong(
            port,
            httpRequest("/api/datapacket", "text/xml; charset=utf-8",
                        "SOAPAction: \"digicentral.Website/digicentralDataPacket\"\r\n", wire),
            0, seconds);
        break;
      case adapters::Method::XmlTcp:
        raw = rawConnectPerDocument(port, wire, seconds);
        break;
      case adapters::Method::XmlUdp:
        raw = rawDatagrams(port, wire, seconds);
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    long rawReceived = child.lines - before;
    bool ok = !lastError.size() && rate >= row.target &&
              (row.method != adapters::Method::Binary || rate >= 0.8 * raw);
    failures += ok ? 0 : 1;
    char target[64] = "-";
    if (row.target > 0)
      std::snprintf(target, sizeof target, ">= %.0f/s%s %s", row.target,
                    row.method == adapters::Method::Binary ? " and 80% of raw" : "",
                    ok ? "MET" : "MISSED");
    std::printf("%-8s %10.0f %10ld %10.0f %10ld %6.0f%%  %s\n", row.name, rate, received, raw,
                rawReceived, 100 * rate / raw, target);
    if (!lastError.empty()) std::printf("         stopped on: %s\n", lastError.c_str());
  }
  stopReceiver(child);
  return failures == 0 ? 0 : 1;
}
