// Between a destination as the store keeps it (plain names and numbers) and the settings an
// adapter is built from: the one place the two meet.
#pragma once

#include "adapters/adapter.hpp"
#include "codecs/result.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::forward {

// An unknown method or format name is an error naming the field ("method", "format").
codecs::Result<adapters::DestinationSettings> toAdapterSettings(
    const store::DestinationSettings& s);
store::DestinationSettings fromAdapterSettings(const adapters::DestinationSettings& s);

// How an adapter's delivery result is recorded.
store::AttemptResult toAttemptResult(const adapters::DeliveryResult& r);

}  // namespace dcgw::forward
