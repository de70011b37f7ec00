// Parsing and checking of custom tags per method.
#include "adapters/custom_tags.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <set>

#include "codecs/json.hpp"

namespace dcgw::adapters {
namespace {

bool isKeyStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool isKeyChar(char c) {
  return isKeyStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void skipSpace(std::string_view t, std::size_t& i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n')) ++i;
}

// A JSON string literal starting at t[i] == '"'; returns false when unterminated or invalid.
bool jsonString(std::string_view t, std::size_t& i, std::string& out) {
  std::size_t start = i++;
  while (i < t.size() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
  if (i >= t.size()) return false;
  ++i;
  auto v = codecs::parseJson(t.substr(start, i - start));
  if (!v.ok() || !v->isString()) return false;
  out = v->asString();
  return true;
}

}  // namespace

codecs::Result<JsonTags> parseRestCustomTags(std::string_view t) {
  JsonTags tags;
  std::set<std::string> seen = {"deviceSerialNumber", "vehicleRegistrationNumber", "data"};
  std::size_t i = 0;
  skipSpace(t, i);
  if (i == t.size()) return tags;
  for (;;) {
    std::string key;
    skipSpace(t, i);
    if (i < t.size() && t[i] == '"') {
      if (!jsonString(t, i, key) || key.empty())
        return codecs::makeError("customTags", i, "a quoted key with a closing '\"'");
    } else if (i < t.size() && isKeyStart(t[i])) {
      std::size_t start = i;
      while (i < t.size() && isKeyChar(t[i])) ++i;
      key = std::string(t.substr(start, i - start));
    } else {
      return codecs::makeError(
          "customTags", i, "key:\"value\" pairs separated by commas, e.g. accountID:\"123456\"");
    }
    if (!seen.insert(key).second)
      return codecs::makeError("customTags", i,
                               "a key used once and not one of deviceSerialNumber, "
                               "vehicleRegistrationNumber, data (got '" +
                                   key + "' again)");
    skipSpace(t, i);
    if (i >= t.size() || t[i] != ':')
      return codecs::makeError("customTags", i, "':' after the key '" + key + "'");
    ++i;
    skipSpace(t, i);
    std::string value;
    if (i >= t.size() || t[i] != '"' || !jsonString(t, i, value))
      return codecs::makeError(
          "customTags", i,
          "a value in double quotes for '" + key + "', e.g. " + key + ":\"123456\"");
    tags.emplace_back(std::move(key), std::move(value));
    skipSpace(t, i);
    if (i == t.size()) return tags;
    if (t[i] != ',') return codecs::makeError("customTags", i, "',' between key:\"value\" pairs");
    ++i;
  }
}

codecs::Status checkXmlCustomTags(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return codecs::Ok{};
  // A fragment is well-formed when it is the content of an element.
  std::string doc = "<customTags>";
  doc += text;
  doc += "</customTags>";
  std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(),
                                                                    xmlFreeParserCtxt);
  if (!ctxt) return codecs::makeError("customTags", 0, "memory to parse XML");
  xmlDocPtr parsed =
      xmlCtxtReadMemory(ctxt.get(), doc.data(), static_cast<int>(doc.size()), nullptr, "utf-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (parsed) {
    // Well-formed for namespaces too (an undeclared prefix breaks every SOAP message), and
    // only elements, text, comments and CDATA: no processing instruction, no DTD.
    std::string refused;
    if (!ctxt->nsWellFormed) refused = "an undeclared namespace prefix";
    if (parsed->intSubset || parsed->extSubset) refused = "a DTD";
    std::vector<xmlNodePtr> stack = {parsed->children};
    while (refused.empty() && !stack.empty()) {
      xmlNodePtr n = stack.back();
      stack.pop_back();
      for (; n; n = n->next) {
        if (n->type == XML_PI_NODE) refused = "a processing instruction";
        if (n->type == XML_ENTITY_REF_NODE) refused = "an entity reference";
        if (n->children && n->type == XML_ELEMENT_NODE) stack.push_back(n->children);
      }
    }
    xmlFreeDoc(parsed);
    if (refused.empty()) return codecs::Ok{};
    return codecs::makeError(
        "customTags", 0,
        "a well-formed XML fragment of elements and text (it has " + refused + ")");
  }
  const xmlError* err = xmlCtxtGetLastError(ctxt.get());
  std::string why = err && err->message ? err->message : "well-formed XML";
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  std::size_t column = err && err->int2 > 12 ? static_cast<std::size_t>(err->int2 - 13) : 0;
  return codecs::makeError(
      "customTags", column,
      "a well-formed XML fragment such as <accountID>123456</accountID> (" + why + ")");
}

codecs::Status checkBinaryCustomTags(std::string_view text) {
  if (text.size() > 255)
    return codecs::makeError(
        "customTags", 255,
        "at most 255 bytes in binary mode (got " + std::to_string(text.size()) + ")");
  for (std::size_t i = 0; i < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) > 0x7F)
      return codecs::makeError("customTags", i, "7-bit ASCII text in binary mode");
  return codecs::Ok{};
}

}  // namespace dcgw::adapters
