// The documents the adapters build validate against schema/forwarding (XSD and the WSDL's types).
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <string>

#include "adapters/xml_message.hpp"

namespace dcgw::adapters {
namespace {

const std::string kDir = std::string(DCGW_SOURCE_DIR) + "/schema/forwarding/";

struct Schema {
  xmlSchemaPtr schema{nullptr};
  ~Schema() {
    if (schema) xmlSchemaFree(schema);
  }
};

void loadSchema(xmlDocPtr schemaDoc, Schema& out) {
  xmlSchemaParserCtxtPtr pc = xmlSchemaNewDocParserCtxt(schemaDoc);
  out.schema = xmlSchemaParse(pc);
  xmlSchemaFreeParserCtxt(pc);
}

// Validates the element `root` of `doc` (copied into a document of its own).
bool validates(xmlSchemaPtr schema, xmlNodePtr root) {
  xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
  xmlDocSetRootElement(d, xmlDocCopyNode(root, d, 1));
  xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
  int rc = xmlSchemaValidateDoc(vc, d);
  xmlSchemaFreeValidCtxt(vc);
  xmlFreeDoc(d);
  return rc == 0;
}

xmlNodePtr findElement(xmlNodePtr n, const char* name) {
  for (; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name)) return n;
    if (xmlNodePtr c = findElement(n->children, name)) return c;
  }
  return nullptr;
}

const MessageFields kFields{"12345678", "AB12 <CDE>", "RwJqAAAAAQ=="};

TEST(XmlSchema, XmlDocumentValidatesAgainstTheXsd) {
  xmlDocPtr xsd = xmlReadFile((kDir + "digicentral-xml.xsd").c_str(), nullptr, XML_PARSE_NONET);
  ASSERT_NE(xsd, nullptr);
  Schema s;
  loadSchema(xsd, s);
  ASSERT_NE(s.schema, nullptr);
  for (const char* tags : {"", "<accountID>123456</accountID>", "<a>1</a><b/>"}) {
    std::string doc = buildXmlDocument(kFields, tags);
    xmlDocPtr d = xmlReadMemory(doc.data(), static_cast<int>(doc.size()), nullptr, nullptr, 0);
    ASSERT_NE(d, nullptr) << doc;
    EXPECT_TRUE(validates(s.schema, xmlDocGetRootElement(d))) << doc;
    xmlFreeDoc(d);
  }
  // And the schema does reject a document with the seed's other spelling of the root.
  const char bad[] = "<digicentralDataPacket><deviceSerialNumber/></digicentralDataPacket>";
  xmlDocPtr d = xmlReadMemory(bad, sizeof bad - 1, nullptr, nullptr, 0);
  EXPECT_FALSE(validates(s.schema, xmlDocGetRootElement(d)));
  xmlFreeDoc(d);
  xmlFreeDoc(xsd);
}

TEST(XmlSchema, SoapBodyValidatesAgainstTheWsdlTypes) {
  xmlDocPtr wsdl = xmlReadFile((kDir + "digicentral.wsdl").c_str(), nullptr, XML_PARSE_NONET);
  ASSERT_NE(wsdl, nullptr);
  xmlNodePtr schemaNode = findElement(xmlDocGetRootElement(wsdl), "schema");
  ASSERT_NE(schemaNode, nullptr);
  xmlDocPtr schemaDoc = xmlNewDoc(BAD_CAST "1.0");
  xmlDocSetRootElement(schemaDoc, xmlDocCopyNode(schemaNode, schemaDoc, 1));
  Schema s;
  loadSchema(schemaDoc, s);
  ASSERT_NE(s.schema, nullptr);
  std::string env = buildSoapEnvelope(kFields, "<accountID>123456</accountID>");
  xmlDocPtr d = xmlReadMemory(env.data(), static_cast<int>(env.size()), nullptr, nullptr, 0);
  ASSERT_NE(d, nullptr);
  xmlNodePtr root = xmlDocGetRootElement(d);
  EXPECT_STREQ(reinterpret_cast<const char*>(root->name), "Envelope");
  EXPECT_STREQ(reinterpret_cast<const char*>(root->ns->href),
               "http://schemas.xmlsoap.org/soap/envelope/");
  xmlNodePtr packet = findElement(root, "digicentralDataPacket");
  ASSERT_NE(packet, nullptr);
  EXPECT_STREQ(reinterpret_cast<const char*>(packet->ns->href), "digicentral.Website");
  EXPECT_TRUE(validates(s.schema, packet)) << env;
  xmlFreeDoc(d);
  xmlFreeDoc(schemaDoc);
  xmlFreeDoc(wsdl);
}

}  // namespace
}  // namespace dcgw::adapters
