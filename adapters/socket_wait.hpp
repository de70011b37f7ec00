// Receiving on a ping-pong connection without paying a sleep and a wake-up per message.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <chrono>

namespace dcgw::adapters {

// Waits for bytes on a blocking socket, spinning on a non-blocking recv for up to `spin` first:
// a ping-pong peer usually answers within tens of microseconds, and on small virtual machines
// putting the thread to sleep and waking it costs more than the exchange itself.
// Returns what recv returned (0: closed); throws Poco::TimeoutException after the socket's
// receive timeout, as StreamSocket::receiveBytes does.
int receiveSpinning(Poco::Net::StreamSocket& socket, void* buffer, int length,
                    std::chrono::microseconds spin);

}  // namespace dcgw::adapters
