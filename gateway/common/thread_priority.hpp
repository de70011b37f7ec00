// Background threads that do bulk work (hashing uploaded files, TLS handshakes) run at a lower
// priority than those that acknowledge packets, so that on a small machine a burst of the former
// does not delay the latter.
#pragma once

namespace dcgw::common {

// Lowers the calling thread's own priority (Linux: its nice value + `by`, at most 19); a failure
// is logged at debug level and changes nothing else. Raising a nice value needs no privilege.
void lowerThisThreadsPriority(const char* what, int by = 10);

}  // namespace dcgw::common
