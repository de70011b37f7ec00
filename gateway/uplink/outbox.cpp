// The uplink's outbox: a locked queue and an eventfd that wakes the event loop.
#include "gateway/uplink/outbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dcgw::uplink {

Outbox::Outbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error(std::string("uplink: eventfd: ") + std::strerror(errno));
}

Outbox::~Outbox() {
  ::close(fd_);
}

void Outbox::post(ConnectionId connection, codecs::Bytes frames) {
  push(Item{connection, std::move(frames), {}, {}});
}

void Outbox::post(ConnectionId connection, SessionTask task) {
  push(Item{connection, {}, std::move(task), {}});
}

void Outbox::post(LoopTask task) {
  push(Item{0, {}, {}, std::move(task)});
}

void Outbox::push(Item item) {
  bool first = false;
  {
    std::lock_guard lock(mu_);
    first = items_.empty();
    items_.push_back(std::move(item));
  }
  // One wake per batch: the loop takes everything that is there when it wakes.
  if (first) wake();
}

void Outbox::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

void Outbox::take(std::vector<Item>& into) {
  into.clear();
  std::lock_guard lock(mu_);
  into.swap(items_);
}

}  // namespace dcgw::uplink
