// The JSON views of the configuration, queues and tokens, shared by the admin API's responses
// and the audit log's "before" and "after" (so both always show an object the same way).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::control {

// ISO-8601 UTC with milliseconds ("2026-11-22T10:15:30.250Z"), and its parser (a 'Z' or
// "+00:00" zone, fraction optional); nullopt for anything else.
std::string formatTimeMs(std::int64_t ms);
std::optional<std::int64_t> parseTimeMs(const std::string& text);

std::string jsonString(std::string_view s);
void writeOptionalTime(codecs::JsonWriter& w, const char* key, std::optional<std::int64_t> ms);

std::string renderDestination(const store::DestinationConfig& d,
                              const std::vector<std::int64_t>& locationIds);
std::string renderLocation(const store::LocationConfig& l, std::int64_t devices);
// The key only when one was just generated (shown once).
std::string renderDevice(const store::DeviceRecord& d, const std::string& generatedKey = "");
const char* stateName(store::DeliveryState s);
void writeEntry(codecs::JsonWriter& w, const store::QueueEntry& e);
const char* forwarderStateName(forward::Forwarder::State s);
// The secret only when the token was just created (shown once).
void writeToken(codecs::JsonWriter& w, const store::TokenRecord& t, const std::string& secret);
std::string renderToken(const store::TokenRecord& t);

// What a destination's worker is doing (a read of the forwarder; may be empty: then the
// configuration's view alone).
using WorkerStatus = std::function<forward::Forwarder::Status(std::int64_t destinationId)>;
// Holds a destination's worker between two runs (Forwarder::hold); nullptr when it could not be
// held in time. May be empty (no forwarder: nothing to hold).
using WorkerHold = std::function<std::shared_ptr<void>(std::int64_t destinationId)>;
void writeQueue(codecs::JsonWriter& w, const store::QueueOverview& q,
                const forward::Forwarder::Status& st, std::int64_t now,
                const std::optional<store::QueueEntry>& blocking);
std::string renderQueue(store::QueueViews& views, const forward::Forwarder::Status& worker,
                        std::int64_t nowMs, const store::QueueOverview& q);

}  // namespace dcgw::control
