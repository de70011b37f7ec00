// The adaptive spin in front of a blocking receive (adapters/socket_wait.hpp): it spins while
// spinning finds the answer, and nearly stops when it does not, so a loaded machine does not
// lose a core to waits that end in sleep anyway.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <thread>

#include "adapters/socket_wait.hpp"

namespace dcgw::adapters {
namespace {

using namespace std::chrono_literals;

TEST(AdaptiveSpin, SpinsOnEveryWaitWhileTheAnswerIsThereInTime) {
  AdaptiveSpin spin(50us);
  int found = 0;
  for (int i = 0; i < 2000; ++i) found += spin.spin([] { return true; }) ? 1 : 0;
  EXPECT_EQ(found, 2000);
  EXPECT_EQ(spin.spins(), 2000u);
  EXPECT_EQ(spin.missed(), 0u);
}

TEST(AdaptiveSpin, NearlyStopsSpinningWhenSpinsFindNothing) {
  AdaptiveSpin spin(1us);
  for (int i = 0; i < 10000; ++i) EXPECT_FALSE(spin.spin([] { return false; }));
  // Misses at waits 1, 3, 6, 11, 20 ... (each doubles the sleeps that follow, up to 1,024), then
  // one in 1,025: 11 to reach the cap, and 9,000 more waits hold about 8 more.
  EXPECT_EQ(spin.missed(), spin.spins());
  EXPECT_LE(spin.spins(), 20u) << "a spin that keeps missing must not be tried on every wait";
  EXPECT_GE(spin.spins(), 11u) << "it must still try now and then, to notice the peer is back";
}

TEST(AdaptiveSpin, SpinsAgainOnEveryWaitOnceTheAnswerComesBackInTime) {
  AdaptiveSpin spin(1us);
  for (int i = 0; i < 5000; ++i) spin.spin([] { return false; });
  // Within one back-off (at most 1,025 waits) a spin is tried, finds the answer, and from then
  // on every wait spins.
  int lastFound = -1;
  for (int i = 0; i < 1100; ++i)
    if (!spin.spin([] { return true; })) lastFound = i;
  EXPECT_LT(lastFound, static_cast<int>(AdaptiveSpin::kMaxSkip) + 1);
  const auto before = spin.spins();
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(spin.spin([] { return true; }));
  EXPECT_EQ(spin.spins(), before + 100);
}

TEST(AdaptiveSpin, ReceiveGetsTheBytesWhetherTheySpinOrSleep) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket client(listener.address());
  Poco::Net::StreamSocket server = listener.acceptConnection();
  server.setReceiveTimeout(Poco::Timespan(2, 0));
  AdaptiveSpin spin(20us);
  // A peer that answers 5 ms later: the spin misses, the blocking receive gets it.
  for (int i = 0; i < 20; ++i) {
    std::thread late([&client, i] {
      std::this_thread::sleep_for(5ms);
      const char b = static_cast<char>('a' + i);
      client.sendBytes(&b, 1);
    });
    char got = 0;
    ASSERT_EQ(spin.receive(server, &got, 1), 1);
    EXPECT_EQ(got, static_cast<char>('a' + i));
    late.join();
  }
  EXPECT_LT(spin.spins(), 10u);
  // Bytes already there are read without sleeping, and a closed peer reads as 0.
  client.sendBytes("xyz", 3);
  std::this_thread::sleep_for(10ms);
  char buf[8];
  EXPECT_EQ(spin.receive(server, buf, sizeof buf), 3);
  client.shutdownSend();
  EXPECT_EQ(spin.receive(server, buf, sizeof buf), 0);
}

}  // namespace
}  // namespace dcgw::adapters
