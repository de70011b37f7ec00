// Builds the REST body, the SOAP envelope and the XML document of seed 004 section 3.
#include "adapters/xml_message.hpp"

#include "codecs/json.hpp"

namespace dcgw::adapters {

std::string xmlEscape(std::string_view t) {
  std::string out;
  out.reserve(t.size() + 8);
  for (char c : t) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no way to carry this character
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string buildRestBody(const MessageFields& m, const JsonTags& tags) {
  std::string s;
  s.reserve(96 + m.data.size());
  codecs::JsonWriter w(s);
  w.beginObject();
  w.key("deviceSerialNumber");
  w.string(m.deviceSerialNumber);
  w.key("vehicleRegistrationNumber");
  w.string(m.vehicleRegistrationNumber);
  w.key("data");
  w.string(m.data);
  for (const auto& [k, v] : tags) {
    w.key(k);
    w.string(v);
  }
  w.endObject();
  return s;
}

namespace {

void appendFields(std::string& s, const MessageFields& m, std::string_view tags,
                  std::string_view indent) {
  s += indent;
  s += "<deviceSerialNumber>";
  s += xmlEscape(m.deviceSerialNumber);
  s += "</deviceSerialNumber>\n";
  s += indent;
  s += "<vehicleRegistrationNumber>";
  s += xmlEscape(m.vehicleRegistrationNumber);
  s += "</vehicleRegistrationNumber>\n";
  s += indent;
  s += "<data>";
  s += xmlEscape(m.data);
  s += "</data>\n";
  if (tags.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    s += indent;
    s += tags;  // checked well-formed when the destination was configured
    s += "\n";
  }
}

}  // namespace

std::string buildSoapEnvelope(const MessageFields& m, std::string_view customTags) {
  std::string s;
  s.reserve(512 + m.data.size() + customTags.size());
  s += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  s += "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
       "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n";
  s += "  <soap:Body>\n";
  s += "    <digicentralDataPacket xmlns=\"digicentral.Website\">\n";
  appendFields(s, m, customTags, "      ");
  s += "    </digicentralDataPacket>\n";
  s += "  </soap:Body>\n";
  s += "</soap:Envelope>\n";
  return s;
}

std::string buildXmlDocument(const MessageFields& m, std::string_view customTags) {
  std::string s;
  s.reserve(192 + m.data.size() + customTags.size());
  s += "<digiCentralDataPacket>\n";
  appendFields(s, m, customTags, "  ");
  s += "</digiCentralDataPacket>\n";
  return s;
}

}  // namespace dcgw::adapters
