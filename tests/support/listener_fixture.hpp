// Test helper: the gateway side of the listener tests over loopback, a store of their own
// (tests/support/test_store.hpp), an ingestor and a listener, the uplink's (Listener) or the
// Teltonika one, on a port the system picks; stopped after each test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gateway/common/clock.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "tests/support/test_store.hpp"

namespace dcgw::testing {

// ListenerT is constructed (store, ingestor, clock, options) and has start() and stop();
// OptionsT has a port. A fixture that needs more (a change feed, a channel) writes its own
// start() and calls stop() first in its own TearDown.
template <class ListenerT, class OptionsT>
class ListenerFixture : public ::testing::Test {
 protected:
  explicit ListenerFixture(const std::string& dbPrefix) : store_(dbPrefix) { options_.port = 0; }
  void TearDown() override { stop(); }

  // An ingestor without a change feed and the listener with options_, both on store_.
  void start() {
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    listener_ = std::make_unique<ListenerT>(*store_, *ingestor_, clock_, options_);
    listener_->start();
  }
  // The listener first (no packet comes in after), then the ingestor (the last batch commits).
  void stop() {
    if (listener_) listener_->stop();
    if (ingestor_) ingestor_->stop();
    listener_.reset();
    ingestor_.reset();
  }
  std::int64_t storedPackets() const { return store_.storedPackets(); }

  TestStore store_;  // first: destroyed after the listener and the ingestor that use it
  common::SystemClock clock_;
  OptionsT options_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<ListenerT> listener_;
};

}  // namespace dcgw::testing
