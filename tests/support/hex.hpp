// Test helper: bytes written as hex in a test (a test failure, naming the text, when it is not).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "codecs/bytes.hpp"

namespace dcgw::testing {

inline codecs::Bytes hexBytes(const std::string& hex) {
  codecs::Bytes b;
  EXPECT_TRUE(codecs::fromHex(hex, b)) << "not hex: " << hex;
  return b;
}

}  // namespace dcgw::testing
