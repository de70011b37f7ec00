// Google Benchmark of the codecs. Target (issue #2): decode + validate a Tracking packet at
// 5 million packets/s or more on one core.
//   ninja -C build codec_bench && build/tests/bench/codec_bench --benchmark_min_time=2
//
// The library seams (JSON parse, CRC-32, base64) have one case each; the JSON writer is measured
// against nlohmann's dump of the same document (BM_RenderTracking*).
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "codecs/bytes.hpp"
#include "codecs/forwarding/binary_frame.hpp"
#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/uplink/frame.hpp"

namespace {

using namespace dcgw::codecs;

Bytes trackingPacket() {
  Bytes b;
  fromHex("47006b016ba001d77f20fffee6c0002301a90a91000009f6ff6a00e1003c0001e24009006b016b9f", b);
  return b;
}

void BM_DecodeTracking(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  for (auto _ : state) {
    Status s = decodePacket(b, p);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(p.fields[3].raw);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeTracking);

void BM_DecodeAndRenderTracking(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  std::string json;
  for (auto _ : state) {
    decodePacket(b, p);
    json.clear();
    JsonWriter w(json);
    renderPacketJson(p, w);
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndRenderTracking);

void BM_EncodeBinaryFrame(benchmark::State& state) {
  BinaryDataFrame f{"12345678", "AB12CDE", trackingPacket(), "<accountID>1</accountID>"};
  for (auto _ : state) {
    auto r = encodeBinaryDataFrame(f);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeBinaryFrame);

// A typical admin API body: a destination with a filter (PUT /api/destinations/{name}).
constexpr std::string_view kAdminBody = R"({
  "name": "Fleet REST", "method": "rest", "host": "https://receiver.example.com/api/datapacket",
  "format": "json", "customTags": "accountID:\"123456\" site:\"Nord\u00e9\"",
  "timeoutSeconds": 30, "retrySeconds": [1, 5, 30, 300], "enabled": true,
  "filter": {"include": [{"type": 71, "subtype": 1}, {"type": 71, "subtype": 2},
                         {"type": 72, "subtype": 0}], "minSpeedKmh": 2.5, "note": null}
})";

std::string readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void BM_ParseJsonAdminBody(benchmark::State& state) {
  for (auto _ : state) {
    auto v = parseJson(kAdminBody);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kAdminBody.size()));
}
BENCHMARK(BM_ParseJsonAdminBody);

void BM_ParseJsonConfigFile(benchmark::State& state) {
  const std::string text = readFile(DCGW_SOURCE_DIR "/etc/dcgw.json");
  if (!parseJson(text)) state.SkipWithError("etc/dcgw.json does not parse");
  for (auto _ : state) {
    auto v = parseJson(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseJsonConfigFile);

// The packet rendering hot path (forwarding renders JSON per packet), decode excluded.
void BM_RenderTrackingJsonWriter(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  decodePacket(b, p);
  std::string json;
  for (auto _ : state) {
    json.clear();
    JsonWriter w(json);
    renderPacketJson(p, w);
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderTrackingJsonWriter);

nlohmann::ordered_json toNlohmann(const JsonValue& v) {
  switch (v.kind()) {
    case JsonValue::Kind::Null:
      return nullptr;
    case JsonValue::Kind::Bool:
      return v.asBool();
    case JsonValue::Kind::Number:
      if (auto i = v.asExactInteger()) return *i;
      return v.asDouble();
    case JsonValue::Kind::String:
      return v.asString();
    case JsonValue::Kind::Array: {
      auto a = nlohmann::ordered_json::array();
      for (const auto& e : v.asArray()) a.push_back(toNlohmann(e));
      return a;
    }
    case JsonValue::Kind::Object: {
      auto o = nlohmann::ordered_json::object();
      for (const auto& [k, e] : v.asObject()) o[k] = toNlohmann(e);
      return o;
    }
  }
  return nullptr;
}

void writeShape(const JsonValue& v, JsonWriter& w) {
  switch (v.kind()) {
    case JsonValue::Kind::Null:
      return w.null();
    case JsonValue::Kind::Bool:
      return w.boolean(v.asBool());
    case JsonValue::Kind::Number:
      if (auto i = v.asExactInteger()) return w.integer(*i);
      return w.number(v.asDouble());
    case JsonValue::Kind::String:
      return w.string(v.asString());
    case JsonValue::Kind::Array:
      w.beginArray();
      for (const auto& e : v.asArray()) writeShape(e, w);
      return w.endArray();
    case JsonValue::Kind::Object:
      w.beginObject();
      for (const auto& [k, e] : v.asObject()) {
        w.key(k);
        writeShape(e, w);
      }
      return w.endObject();
  }
}

// Like for like with BM_RenderTrackingNlohmannBuildAndDump: the rendered packet's members
// replayed through JsonWriter, no packet logic.
void BM_RenderTrackingShapeJsonWriter(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  decodePacket(b, p);
  const JsonValue shape = *parseJson(renderPacketJson(p));
  std::string json;
  for (auto _ : state) {
    json.clear();
    JsonWriter w(json);
    writeShape(shape, w);
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderTrackingShapeJsonWriter);

// The library's lower bound: the document already built, only dump() timed.
void BM_RenderTrackingNlohmannDumpOnly(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  decodePacket(b, p);
  const nlohmann::ordered_json doc = toNlohmann(*parseJson(renderPacketJson(p)));
  for (auto _ : state) {
    std::string json = doc.dump();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderTrackingNlohmannDumpOnly);

// What rendering through the library costs: build the ordered_json document (same members, same
// order) and dump it.
void BM_RenderTrackingNlohmannBuildAndDump(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  decodePacket(b, p);
  const JsonValue shape = *parseJson(renderPacketJson(p));
  for (auto _ : state) {
    std::string json = toNlohmann(shape).dump();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderTrackingNlohmannBuildAndDump);

void BM_Crc32_64KiB(benchmark::State& state) {
  Bytes b(64 * 1024);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 131 + 7);
  for (auto _ : state) {
    auto c = uplink::crc32(b);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(b.size()));
}
BENCHMARK(BM_Crc32_64KiB);

Bytes packet100() {
  Bytes b(100);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 37 + 11);
  return b;
}

void BM_Base64Encode100(benchmark::State& state) {
  const Bytes b = packet100();
  for (auto _ : state) {
    std::string s = toBase64(b);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Base64Encode100);

void BM_Base64Decode100(benchmark::State& state) {
  const std::string text = toBase64(packet100());
  Bytes out;
  for (auto _ : state) {
    bool ok = fromBase64(text, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Base64Decode100);

}  // namespace

BENCHMARK_MAIN();
