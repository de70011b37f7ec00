// The card bridge's configuration file (JSON; README "Remote company-card authentication"):
// where the gateway is, the bridge's ident and key, and which card number each company card's
// extended serial number stands for. Every error names the member and what was wrong.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "gateway/common/frame_link.hpp"

namespace dcgw::cardbridge {

struct BridgeConfig {
  common::LinkOptions gateway;  // port default 7710
  std::string ident;
  codecs::Bytes key;
  // The extended serial number (16 hex digits, as EF_ICC holds it) -> the card number.
  std::map<std::string, std::string> cards;
  std::vector<std::string> readers;  // reader name prefixes to use; empty: every reader
  bool logApdus{false};
  int retryFirstMs{10'000};  // reconnect delay, doubling
  int retryMaxMs{300'000};
};

// Parses the file's text; errors are "member: what was expected".
codecs::Result<BridgeConfig, std::string> parseBridgeConfig(const std::string& text);
codecs::Result<BridgeConfig, std::string> loadBridgeConfig(const std::string& path);

}  // namespace dcgw::cardbridge
