// Builds the default spdlog logger of `dcgw serve` (service_log.hpp): the formats, the journal's
// priority prefix, and a rotating file sink that can be swapped for a new one on SIGHUP.
#include "gateway/cli/service_log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <regex>

#include "codecs/json.hpp"

namespace dcgw::cli {
namespace {

// The names --log-level takes, not spdlog's ("warning"), so a filter written for one matches both.
std::string_view levelName(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

// sd-daemon(3)'s "<N>" prefix: journald takes the line's priority from it and strips it, so
// `journalctl -p warning` selects by level.
char syslogPriority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return '7';
    case spdlog::level::info:
      return '6';
    case spdlog::level::warn:
      return '4';
    case spdlog::level::err:
      return '3';
    default:
      return '2';
  }
}

void appendPriority(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const char prefix[] = {'<', syslogPriority(msg.level), '>'};
  dest.append(prefix, prefix + sizeof prefix);
}

class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    appendPriority(msg, dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(bool journal) : journal_(journal) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (journal_) appendPriority(msg, dest);
    const std::string line = jsonLogLine(msg.time, levelName(msg.level),
                                         std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(journal_);
  }

 private:
  bool journal_;
};

std::unique_ptr<spdlog::formatter> makeFormatter(LogFormat format, bool journal) {
  if (format == LogFormat::Json) return std::make_unique<JsonFormatter>(journal);
  auto f = std::make_unique<spdlog::pattern_formatter>();
  // The journal stamps every line itself (and shows it in the reader's time zone): a second
  // clock in the message would only repeat it.
  f->add_flag<PriorityFlag>('*').set_pattern(journal ? "%*%l %v"
                                                     : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  return f;
}

}  // namespace

// A rotating file that SIGHUP can reopen: the inner sink is replaced by a new one on the same
// path, under the sink's own lock, so no line is lost or written half into each file.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ReopenableFileSink(std::string path, std::size_t maxBytes, std::size_t maxFiles)
      : path_(std::move(path)), maxBytes_(maxBytes), maxFiles_(maxFiles) {
    inner_ = open();
  }
  std::optional<std::string> reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      inner_ = open();
    } catch (const spdlog::spdlog_ex& e) {
      return std::string(e.what());
    }
    return std::nullopt;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override { inner_->log(msg); }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override {
    set_formatter_(std::make_unique<spdlog::pattern_formatter>(pattern));
  }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    formatter_ = std::move(f);
    inner_->set_formatter(formatter_->clone());
  }

 private:
  std::unique_ptr<spdlog::sinks::rotating_file_sink_st> open() {
    auto s = std::make_unique<spdlog::sinks::rotating_file_sink_st>(path_, maxBytes_, maxFiles_);
    s->set_formatter(formatter_->clone());
    return s;
  }

  std::string path_;
  std::size_t maxBytes_, maxFiles_;
  std::unique_ptr<spdlog::sinks::rotating_file_sink_st> inner_;
};

LogSubject logSubject(std::string_view message) {
  // Serials and IMEIs are one word; "teltonika udp 10.0.0.5:..." names an address, not a device,
  // hence the word must end at a space or a colon.
  static const std::regex serial(
      R"(^(?:uplink|teltonika(?! udp )|teltonika udp|device|files: device|alerts: serial) ([0-9A-Za-z_-]+)[ :])");
  static const std::regex destination(R"(^destination ([^:]+):)");
  LogSubject s;
  std::cmatch m;
  if (std::regex_search(message.begin(), message.end(), m, serial))
    s.serial = m[1];
  else if (std::regex_search(message.begin(), message.end(), m, destination))
    s.destination = m[1];
  return s;
}

std::string jsonLogLine(std::chrono::system_clock::time_point time, std::string_view level,
                        std::string_view message) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[96];  // room for any int the fields may hold, as -Wformat-truncation asks
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  std::string out = "{\"time\":\"";
  out += stamp;
  out += "\",\"level\":";
  codecs::appendJsonString(out, level);
  out += ",\"message\":";
  codecs::appendJsonString(out, message);
  const LogSubject subject = logSubject(message);
  if (!subject.serial.empty()) {
    out += ",\"serial\":";
    codecs::appendJsonString(out, subject.serial);
  }
  if (!subject.destination.empty()) {
    out += ",\"destination\":";
    codecs::appendJsonString(out, subject.destination);
  }
  out += '}';
  return out;
}

bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  std::uintmax_t dev = 0, ino = 0;
  if (std::sscanf(stream, "%" SCNuMAX ":%" SCNuMAX, &dev, &ino) != 2) return false;
  struct stat st {};
  return fstat(STDERR_FILENO, &st) == 0 && static_cast<std::uintmax_t>(st.st_dev) == dev &&
         static_cast<std::uintmax_t>(st.st_ino) == ino;
}

ServiceLog::ServiceLog(const LogSettings& settings) : path_(settings.file) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (path_.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    file_ = std::make_shared<ReopenableFileSink>(path_, settings.maxBytes, settings.maxFiles);
    sink = file_;
  }
  sink->set_formatter(makeFormatter(settings.format, path_.empty() && stderrIsJournal()));
  auto logger = std::make_shared<spdlog::logger>("dcgw", std::move(sink));
  logger->set_level(settings.level);
  // Every line reaches the file at once: `tail -f` and a crash lose nothing, and the gateway
  // logs events, not packets.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

ServiceLog::~ServiceLog() {
  spdlog::default_logger()->flush();
}

std::optional<std::string> ServiceLog::reopen() {
  return file_ ? file_->reopen() : std::nullopt;
}

std::string ServiceLog::destination() const {
  return path_.empty() ? "stderr" : path_;
}

}  // namespace dcgw::cli
