// `dcgw serve`'s logs: spdlog to stderr (the journal under systemd) or to a size-rotated file,
// as text or one JSON object per line, the file reopened on SIGHUP.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dcgw::cli {

enum class LogFormat { Text, Json };

struct LogSettings {
  spdlog::level::level_enum level{spdlog::level::info};
  LogFormat format{LogFormat::Text};
  std::string file;  // empty: stderr
  std::size_t maxBytes{100u << 20};
  std::size_t maxFiles{5};
};

// The members a JSON log line may carry besides time, level and message, found at the start of
// the message by the prefixes the gateway's lines use ("uplink 12345678 ...", "device 12345678:",
// "alerts: serial 12345678:", "teltonika 356307042441013 ...", "destination 3: ...").
struct LogSubject {
  std::string serial, destination;
};
LogSubject logSubject(std::string_view message);

// One JSON log line (no newline): {"time":"2026-12-01T08:15:25.123Z","level":"info",
// "message":"...","serial":"..."} with "serial" and "destination" only when logSubject finds them.
std::string jsonLogLine(std::chrono::system_clock::time_point time, std::string_view level,
                        std::string_view message);

// Whether stderr is the journal's stream: systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the
// stream it connects to stderr; a child whose stderr was redirected elsewhere inherits the
// variable but not the stream, hence the comparison.
bool stderrIsJournal();

class ReopenableFileSink;

// Makes the default logger from `settings` and owns its file, if any. REQUIRES: one at a time.
// Throws spdlog::spdlog_ex when the file cannot be opened (a start-up failure).
class ServiceLog {
 public:
  explicit ServiceLog(const LogSettings& settings);
  ~ServiceLog();
  ServiceLog(const ServiceLog&) = delete;
  ServiceLog& operator=(const ServiceLog&) = delete;

  // Closes and opens the file again at its path (after logrotate or an admin moved it away);
  // nothing for stderr. The error when the path cannot be opened: logging goes on into the
  // file it had.
  std::optional<std::string> reopen();
  // Where the lines go, for the start-up summary: the file's path, or "stderr".
  std::string destination() const;

 private:
  std::shared_ptr<ReopenableFileSink> file_;
  std::string path_;
};

}  // namespace dcgw::cli
