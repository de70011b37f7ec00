// On Linux a thread's nice value is its own (setpriority on its thread id), not the process's.
#include "gateway/common/thread_priority.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dcgw::common {

void lowerThisThreadsPriority(const char* what, int by) {
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);  // -1 is a nice value too: errno tells
  if (errno != 0 || ::setpriority(PRIO_PROCESS, tid, std::min(now + by, 19)) != 0)
    spdlog::debug("{}: the thread keeps its priority: {}", what, std::strerror(errno));
}

}  // namespace dcgw::common
