// The XML checks: section 3.3's document (XML over TCP and UDP) and section 3.2's SOAP 1.1
// envelope, parsed by libxml2 with no network, DTD or entity expansion.
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <array>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/receive/receiver_internal.hpp"

namespace dcgw::receive {

namespace {

constexpr std::string_view kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kSoap12Ns = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view kPacketNs = "digicentral.Website";

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct XmlCtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

void ignoreXmlError(void*, const char*, ...) {}
void ignoreStructuredXmlError(void*, xmlErrorPtr) {}

std::string xmlErrorText(const xmlError* e) {
  if (!e || !e->message) return ": unknown error";
  std::string s = e->line > 0 ? " at line " + std::to_string(e->line) + ": " : ": ";
  return s + std::string(trim(e->message));
}

// Parses without network access, DTD loading or entity substitution; a document with a DTD is
// refused outright, so no entity can ever be expanded.
XmlDocPtr parseXml(std::string_view text, std::vector<std::string>& errors) {
  // libxml2 would otherwise print its diagnostics on stderr; they are reported as values.
  xmlSetGenericErrorFunc(nullptr, ignoreXmlError);
  xmlSetStructuredErrorFunc(nullptr, ignoreStructuredXmlError);
  if (text.empty()) {
    errors.push_back("malformed XML: the document is empty");
    return nullptr;
  }
  std::unique_ptr<xmlParserCtxt, XmlCtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) throw std::bad_alloc();
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                                  "message.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc || !ctxt->wellFormed) {
    errors.push_back("malformed XML" + xmlErrorText(xmlCtxtGetLastError(ctxt.get())));
    return nullptr;
  }
  if (!ctxt->nsWellFormed) {
    errors.push_back("malformed XML namespaces" + xmlErrorText(xmlCtxtGetLastError(ctxt.get())));
    return nullptr;
  }
  if (doc->intSubset || doc->extSubset) {
    errors.push_back("the document has a DTD, which section 3 messages never carry");
    return nullptr;
  }
  if (!xmlDocGetRootElement(doc.get())) {
    errors.push_back("malformed XML: no root element");
    return nullptr;
  }
  return doc;
}

std::string_view nameOf(const xmlNode* n) {
  return reinterpret_cast<const char*>(n->name);
}
std::string_view nsOf(const xmlNode* n) {
  return n->ns && n->ns->href ? reinterpret_cast<const char*>(n->ns->href) : "";
}
std::string describe(const xmlNode* n) {
  std::string s = "<" + std::string(nameOf(n)) + ">";
  if (!nsOf(n).empty()) s += " in namespace " + quoted(nsOf(n));
  return s;
}
std::string nsText(std::string_view ns) {
  return ns.empty() ? "no namespace" : quoted(ns);
}

bool isBlankText(const xmlNode* n) {
  if (n->type != XML_TEXT_NODE) return false;
  auto* s = reinterpret_cast<const char*>(n->content);
  return !s || trim(s).empty();
}

std::vector<xmlNode*> elementChildren(xmlNode* parent) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

std::string textOf(xmlNode* n, Message& m) {
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) {
      m.errors.push_back("<" + std::string(nameOf(n)) + "> must contain text only");
      break;
    }
  xmlChar* s = xmlNodeGetContent(n);
  std::string r = s ? reinterpret_cast<const char*>(s) : "";
  xmlFree(s);
  return r;
}

std::string serialize(xmlDoc* doc, xmlNode* n) {
  xmlBuffer* buf = xmlBufferCreate();
  if (!buf) throw std::bad_alloc();
  xmlNodeDump(buf, doc, n, 0, 0);
  std::string r(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                static_cast<std::size_t>(xmlBufferLength(buf)));
  xmlBufferFree(buf);
  return r;
}

// The children of <digiCentralDataPacket> / <digicentralDataPacket>: the three placeholders in
// the seed's order, then the custom tags (section 3.5), kept as the text they were sent as.
void parsePacketElement(xmlDoc* doc, xmlNode* packet, std::string_view section,
                        adapters::DataFormat format, Message& m) {
  static constexpr std::array<std::string_view, 3> kNames = {"deviceSerialNumber",
                                                             "vehicleRegistrationNumber", "data"};
  const std::string_view ns = nsOf(packet);
  TextFields f;
  std::array<std::optional<std::string>*, 3> slots = {&f.serial, &f.registration, &f.data};
  std::size_t next = 0;  // one past the latest placeholder seen
  bool orderReported = false;
  xmlNode* tagsFrom = nullptr;
  for (xmlNode* c = packet->children; c; c = c->next) {
    // Whatever follows <data> is custom tags, even a placeholder sent too late.
    if (*slots[2]) {
      tagsFrom = c;
      break;
    }
    if (c->type == XML_COMMENT_NODE || isBlankText(c)) continue;
    if (c->type != XML_ELEMENT_NODE) {
      m.errors.push_back("unexpected text in " + describe(packet) + " before <data>");
      continue;
    }
    auto it = std::find(kNames.begin(), kNames.end(), nameOf(c));
    if (it == kNames.end()) {
      m.errors.push_back("unexpected element " + describe(c) +
                         " before <data>; custom tags follow <data> (" + std::string(section) +
                         ")");
      continue;
    }
    const std::size_t i = static_cast<std::size_t>(it - kNames.begin());
    if (*slots[i]) {
      m.errors.push_back("<" + std::string(kNames[i]) + "> appears more than once");
      continue;
    }
    if (i + 1 < next && !orderReported) {
      const std::string order = "<deviceSerialNumber>, <vehicleRegistrationNumber>, <data>";
      m.errors.push_back(order + " must come in that order (" + std::string(section) + ")");
      orderReported = true;
    }
    if (nsOf(c) != ns)
      m.errors.push_back("<" + std::string(kNames[i]) + "> is in " + nsText(nsOf(c)) +
                         ", expected " + nsText(ns) + " as its parent");
    *slots[i] = textOf(c, m);
    next = std::max(next, i + 1);
  }
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (!*slots[i])
      m.errors.push_back("missing <" + std::string(kNames[i]) + "> in " + describe(packet));
  std::string tags;
  for (xmlNode* c = tagsFrom; c; c = c->next)
    if (!isBlankText(c)) tags += serialize(doc, c);
  m.customTags = std::move(tags);
  checkFields(f, format, m);
}

bool sameIgnoringCase(std::string_view a, std::string_view b) {
  return lower(a) == lower(b);
}

}  // namespace

void parseXmlDocument(std::string_view text, adapters::DataFormat format, Message& m) {
  XmlDocPtr doc = parseXml(text, m.errors);
  if (!doc) return;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  constexpr std::string_view kRoot = "digiCentralDataPacket";
  if (nameOf(root) != kRoot) {
    m.errors.push_back("root element must be <digiCentralDataPacket> (section 3.3), got " +
                       describe(root));
    // A near miss (the SOAP spelling with a small c) is still worth reading for the report.
    if (!sameIgnoringCase(nameOf(root), kRoot)) return;
  } else if (!nsOf(root).empty()) {
    m.errors.push_back(
        "<digiCentralDataPacket> must be in no namespace (section 3.3), got namespace " +
        quoted(nsOf(root)));
  }
  parsePacketElement(doc.get(), root, "section 3.3", format, m);
}

void parseSoapEnvelope(std::string_view text, adapters::DataFormat format, Message& m) {
  XmlDocPtr doc = parseXml(text, m.errors);
  if (!doc) return;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (nameOf(root) != "Envelope" || nsOf(root) != kSoap11Ns) {
    if (nameOf(root) == "Envelope" && nsOf(root) == kSoap12Ns)
      m.errors.push_back("a SOAP 1.2 envelope; section 3.2 uses SOAP 1.1 (namespace " +
                         std::string(kSoap11Ns) + ")");
    else
      m.errors.push_back("root element must be soap:Envelope in namespace " +
                         std::string(kSoap11Ns) + " (section 3.2), got " + describe(root));
    return;
  }
  xmlNode* body = nullptr;
  auto envelopeChildren = elementChildren(root);
  for (std::size_t i = 0; i < envelopeChildren.size(); ++i) {
    xmlNode* c = envelopeChildren[i];
    const bool soapNs = nsOf(c) == kSoap11Ns;
    if (soapNs && nameOf(c) == "Header" && i == 0 && !body) continue;
    if (soapNs && nameOf(c) == "Body" && !body) {
      body = c;
      continue;
    }
    m.errors.push_back("unexpected element " + describe(c) + " in soap:Envelope");
  }
  if (!body) {
    m.errors.push_back("missing soap:Body in the envelope (section 3.2)");
    return;
  }
  auto bodyChildren = elementChildren(body);
  if (bodyChildren.empty()) {
    m.errors.push_back("soap:Body is empty; expected <digicentralDataPacket xmlns=\"" +
                       std::string(kPacketNs) + "\"> (section 3.2)");
    return;
  }
  for (std::size_t i = 1; i < bodyChildren.size(); ++i)
    m.errors.push_back("unexpected element " + describe(bodyChildren[i]) +
                       " after the packet in soap:Body");
  xmlNode* packet = bodyChildren[0];
  constexpr std::string_view kPacket = "digicentralDataPacket";
  if (nameOf(packet) != kPacket) {
    m.errors.push_back("soap:Body must hold <digicentralDataPacket> (section 3.2), got " +
                       describe(packet));
    if (!sameIgnoringCase(nameOf(packet), kPacket)) return;
  }
  if (nsOf(packet) != kPacketNs)
    m.errors.push_back("<" + std::string(nameOf(packet)) + "> must be in namespace " +
                       quoted(kPacketNs) + " (section 3.2), got " + nsText(nsOf(packet)));
  parsePacketElement(doc.get(), packet, "section 3.2", format, m);
}

}  // namespace dcgw::receive
