// `dcgw receive`: the options, the signal handling and the writer thread that prints one JSON
// line per message.
#include <pthread.h>
#include <signal.h>

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/receive/receiver.hpp"
#include "gateway/receive/receiver_internal.hpp"

namespace dcgw::receive {

namespace {

constexpr const char* kReceiveUsage =
    R"(usage: dcgw receive [--rest PORT] [--soap PORT] [--xml-tcp PORT] [--xml-udp PORT]
                    [--binary PORT] [--bind ADDR] [--refuse-first N]
                    [--format base64binary|hex]
Listens on ADDR (default 127.0.0.1) for each method given (PORT 0: an ephemeral port), checks
every message against seed 004 section 3, replies as a receiver does and prints one JSON line
per message. Runs until SIGINT or SIGTERM.
)";

std::optional<std::uint64_t> parseUnsigned(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

}  // namespace

int runReceive(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Receiver::Options o;
  const std::map<std::string, std::optional<std::uint16_t> Receiver::Options::*> portOptions = {
      {"--rest", &Receiver::Options::rest},      {"--soap", &Receiver::Options::soap},
      {"--xml-tcp", &Receiver::Options::xmlTcp}, {"--xml-udp", &Receiver::Options::xmlUdp},
      {"--binary", &Receiver::Options::binary},
  };
  auto fail = [&err](const std::string& message) {
    err << "dcgw receive: " << message << "\n" << kReceiveUsage;
    return 2;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "--help" || name == "-h") {
      out << kReceiveUsage;
      return 0;
    }
    const auto port = portOptions.find(name);
    const bool known = port != portOptions.end() || name == "--bind" || name == "--refuse-first" ||
                       name == "--format";
    if (!known) return fail("unknown option " + quoted(args[i]));
    if (!value) {
      if (i + 1 >= args.size()) return fail(name + " needs a value");
      value = args[++i];
    }
    if (port != portOptions.end()) {
      auto v = parseUnsigned(*value, 65535);
      if (!v) return fail(name + " needs a port number 0-65535, got " + quoted(*value));
      o.*(port->second) = static_cast<std::uint16_t>(*v);
    } else if (name == "--bind") {
      Poco::Net::IPAddress ip;
      if (!Poco::Net::IPAddress::tryParse(*value, ip))
        return fail("--bind needs an IP address, got " + quoted(*value));
      o.bindAddress = *value;
    } else if (name == "--refuse-first") {
      auto v = parseUnsigned(*value, UINT32_MAX);
      if (!v) return fail("--refuse-first needs a count of messages, got " + quoted(*value));
      o.refuseFirst = *v;
    } else {
      auto f = adapters::parseDataFormat(*value);
      if (!f) return fail("--format needs base64binary or hex, got " + quoted(*value));
      o.format = *f;
    }
  }
  if (!o.rest && !o.soap && !o.xmlTcp && !o.xmlUdp && !o.binary)
    return fail("give at least one of --rest, --soap, --xml-tcp, --xml-udp, --binary");

  // Blocked before any listener thread exists, so every thread inherits the mask and the
  // signals wait for sigwait below instead of killing the process mid-line.
  // A peer or a reader of stdout that goes away must end that exchange, not the receiver.
  signal(SIGPIPE, SIG_IGN);
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  int status = 0;
  {
    // Lines go to a writer thread that flushes what has gathered within 2 ms, so printing does
    // not cost a write(2) and a reader wake-up per message.
    std::mutex lineMutex;
    std::condition_variable lineReady, lineSpace;
    constexpr std::size_t kMaxPending = 16 << 20;  // a stuck stdout slows receiving, bounded
    std::string pending;
    bool writerStop = false;
    std::thread writer([&] {
      std::string batch;
      std::unique_lock lock(lineMutex);
      for (;;) {
        lineReady.wait(lock, [&] { return writerStop || !pending.empty(); });
        if (pending.empty() && writerStop) return;
        // Gather for up to 2 ms: under load this writes dozens of lines per write(2).
        lineReady.wait_for(lock, std::chrono::milliseconds(2),
                           [&] { return writerStop || pending.size() >= 16384; });
        batch.swap(pending);
        lineSpace.notify_all();
        lock.unlock();
        out.write(batch.data(), static_cast<std::streamsize>(batch.size()));
        out.flush();
        batch.clear();
        lock.lock();
      }
    });
    Receiver receiver(o, [&](const std::string& line) {
      std::unique_lock lock(lineMutex);
      lineSpace.wait(lock, [&] { return writerStop || pending.size() < kMaxPending; });
      const bool wake = pending.empty() || pending.size() + line.size() >= 16384;
      pending += line;
      pending += '\n';
      if (wake) lineReady.notify_one();
    });
    try {
      receiver.start();
    } catch (const Poco::Exception& e) {
      err << "dcgw receive: " << e.message() << "\n";
      status = 1;
    }
    if (status == 0) {
      for (Method m : kAllMethods)
        if (receiver.configured(m))
          err << "dcgw receive: " << methodName(m) << " listening on "
              << Poco::Net::SocketAddress(o.bindAddress, receiver.port(m)).toString() << "\n";
      err.flush();
      int sig = 0;
      sigwait(&signals, &sig);
      receiver.stop();
    }
    {
      std::lock_guard lock(lineMutex);
      writerStop = true;
    }
    lineReady.notify_one();
    writer.join();
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return status;
}

}  // namespace dcgw::receive
