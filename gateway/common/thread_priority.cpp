// On Linux a thread's nice value is its own (setpriority on its thread id), not the process's.
#include "gateway/common/thread_priority.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dcgw::common {

void lowerThisThreadsPriority(const char* what) {
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10) != 0)
    spdlog::debug("{}: the thread keeps its priority: {}", what, std::strerror(errno));
}

}  // namespace dcgw::common
