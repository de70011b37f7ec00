// The codec subcommands; one line in, one line out, errors as JSON objects on their line.
#include "gateway/cli/codec_commands.hpp"

#include <fstream>
#include <istream>
#include <ostream>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/packets/schema_gen.hpp"

namespace dcgw::cli {
namespace {

void writeError(std::ostream& out, std::size_t line, const codecs::Error& e) {
  std::string s;
  codecs::JsonWriter w(s);
  w.beginObject();
  w.key("line");
  w.integer(static_cast<std::int64_t>(line));
  w.key("error");
  w.string(e.message());
  w.key("field");
  w.string(e.field);
  w.key("offset");
  w.integer(static_cast<std::int64_t>(e.offset));
  w.endObject();
  out << s << '\n';
}

bool skippable(const std::string& line) {
  std::size_t i = line.find_first_not_of(" \t\r");
  return i == std::string::npos || line[i] == '#';
}

}  // namespace

int runDecode(std::istream& in, std::ostream& out, TextEncoding enc) {
  std::string line;
  std::size_t number = 0;
  int status = 0;
  codecs::Bytes bytes;
  codecs::Packet packet;
  while (std::getline(in, line)) {
    ++number;
    if (skippable(line)) continue;
    std::size_t bad = 0;
    bool ok = enc == TextEncoding::Hex ? codecs::fromHex(line, bytes, &bad)
                                       : codecs::fromBase64(line, bytes, &bad);
    if (!ok) {
      writeError(out, number,
                 codecs::makeError("input", bad,
                                   enc == TextEncoding::Hex ? "hex digits (0-9, a-f) in pairs"
                                                            : "base64 text (A-Z a-z 0-9 + / =)"));
      status = 1;
      continue;
    }
    codecs::Status s = codecs::decodePacket(bytes, packet);
    if (!s) {
      writeError(out, number, s.error());
      status = 1;
      continue;
    }
    out << codecs::renderPacketJson(packet) << '\n';
  }
  out.flush();
  return status;
}

int runEncode(std::istream& in, std::ostream& out, TextEncoding enc) {
  std::string line;
  std::size_t number = 0;
  int status = 0;
  while (std::getline(in, line)) {
    ++number;
    if (skippable(line)) continue;
    auto json = codecs::parseJson(line);
    if (!json) {
      writeError(out, number, json.error());
      status = 1;
      continue;
    }
    auto bytes = codecs::encodePacket(*json);
    if (!bytes) {
      writeError(out, number, bytes.error());
      status = 1;
      continue;
    }
    out << (enc == TextEncoding::Hex ? codecs::toHex(*bytes) : codecs::toBase64(*bytes)) << '\n';
  }
  out.flush();
  return status;
}

int runSchema(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // dcgw schema packets [DIR]: with DIR, write the files; without, list the families.
  if (args.empty() || args[0] != "packets") {
    err << "usage: dcgw schema packets [DIR]\n";
    return 2;
  }
  for (const std::string& family : codecs::packetFamilies()) {
    if (args.size() < 2) {
      out << family << '\n';
      continue;
    }
    std::string path = args[1] + "/" + family + ".schema.json";
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << codecs::packetFamilySchema(family);
    if (!f) {
      err << "dcgw schema: cannot write " << path << '\n';
      return 1;
    }
    out << path << '\n';
  }
  return 0;
}

}  // namespace dcgw::cli
