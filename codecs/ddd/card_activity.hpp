// The driver activity buffer of a card (Annex 1C data dictionary 2.17 CardDriverActivity): the
// cyclic walk from the newest daily record back to the oldest, shared by card.cpp and its tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codecs/ddd/summary.hpp"

namespace dcgw::codecs::ddd {

struct ActivityDays {
  std::optional<std::uint32_t> firstDay;  // earliest activityRecordDate on the chain
  std::optional<std::uint32_t> lastDay;   // latest activityRecordDate on the chain
  std::size_t records{0};                 // daily records followed
  bool empty{false};    // a never-used card: the newest pointer names an all-zero record
  bool damaged{false};  // the walk stopped on a bad pointer, length, date or loop
};

// `ef` is the value of EF Driver_Activity_Data (pointers, then activityDailyRecords); `fileOffset`
// is where that value starts in the file, for the warnings' offsets. `label` names the block in
// the warnings ("tag 05 04 02"). Never reads outside `ef`; stops after at most one visit per
// byte of the buffer.
ActivityDays walkActivity(ByteView ef, std::size_t fileOffset, const std::string& label,
                          std::vector<Warning>& warnings);

}  // namespace dcgw::codecs::ddd
