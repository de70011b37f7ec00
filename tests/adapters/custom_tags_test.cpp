// Custom tags per method (seed 004 section 3.5 and figures 1-4) and the destination checks.
#include <gtest/gtest.h>

#include "adapters/adapter.hpp"
#include "adapters/custom_tags.hpp"
#include "adapters/xml_message.hpp"

namespace dcgw::adapters {
namespace {

TEST(RestCustomTags, AcceptsTheFigure1FormAndEmitsJsonMembers) {
  auto tags = parseRestCustomTags(R"(accountID:"123456", "depot":"North \"A\"" ,x_1:"")");
  ASSERT_TRUE(tags.ok()) << tags.error().message();
  ASSERT_EQ(tags->size(), 3u);
  EXPECT_EQ((*tags)[1].second, "North \"A\"");
  std::string body = buildRestBody({"12345678", "AB12CDE", "RwJqAAAAAQ=="}, *tags);
  EXPECT_EQ(body, R"({"deviceSerialNumber":"12345678","vehicleRegistrationNumber":"AB12CDE",)"
                  R"("data":"RwJqAAAAAQ==","accountID":"123456","depot":"North \"A\"","x_1":""})");
  EXPECT_TRUE(parseRestCustomTags("  ").ok());
}

TEST(RestCustomTags, RefusesAnythingElseSayingWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {{"accountID:123456", "double quotes"},
                        {"<accountID>1</accountID>", "key:\"value\" pairs"},
                        {"a:\"1\" b:\"2\"", "','"},
                        {"a \"1\"", "':'"},
                        {"a:\"1\",a:\"2\"", "used once"},
                        {"data:\"x\"", "used once"},
                        {"a:\"unterminated", "double quotes"}};
  for (const Case& c : cases) {
    auto r = parseRestCustomTags(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().expected.find(c.why), std::string::npos)
        << c.text << " -> " << r.error().message();
  }
}

TEST(XmlCustomTags, AcceptsWellFormedFragmentsOnly) {
  EXPECT_TRUE(checkXmlCustomTags("<accountID>123456</accountID>").ok());
  EXPECT_TRUE(checkXmlCustomTags("<a>1</a><b x=\"2\"/>").ok());
  EXPECT_TRUE(checkXmlCustomTags("").ok());
  for (const char* bad : {"<accountID>123456", "<a></b>", "a & b", "</customTags><x>",
                          "<!DOCTYPE x [<!ENTITY e \"x\">]><a/>", "<a:accountID>1</a:accountID>",
                          "<?xml-stylesheet href=\"x\"?><x/>"}) {
    auto r = checkXmlCustomTags(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "customTags");
    EXPECT_NE(r.error().expected.find("well-formed"), std::string::npos);
  }
}

TEST(BinaryCustomTags, MustBeShortSevenBitAscii) {
  EXPECT_TRUE(checkBinaryCustomTags("123456").ok());
  EXPECT_FALSE(checkBinaryCustomTags(std::string(256, 'x')).ok());
  EXPECT_FALSE(checkBinaryCustomTags("caf\xC3\xA9").ok());
}

TEST(DestinationSettings, RefusesInvalidSettingsNamingTheField) {
  DestinationSettings s;
  s.method = Method::Rest;
  s.host = "www.sample.com/api";
  EXPECT_EQ(validateDestination(s).error().field, "host");
  s.host = "http://www.sample.com/api/datapacket";
  EXPECT_TRUE(validateDestination(s).ok());
  s.customTags = "<accountID>1</accountID>";
  EXPECT_EQ(validateDestination(s).error().field, "customTags");
  s.method = Method::Soap;
  EXPECT_TRUE(validateDestination(s).ok());
  s.method = Method::XmlTcp;
  s.host = "www.sample.com";
  s.port = 0;
  EXPECT_EQ(validateDestination(s).error().field, "port");
  s.port = 9090;
  EXPECT_TRUE(validateDestination(s).ok());
  s.host = "http://www.sample.com";
  EXPECT_EQ(validateDestination(s).error().field, "host");
  s.host = "www.sample.com";
  s.method = Method::Binary;
  s.customTags = "caf\xC3\xA9";
  EXPECT_EQ(validateDestination(s).error().field, "customTags");
  s.customTags = "123456";
  EXPECT_TRUE(validateDestination(s).ok());
  s.host = "::1";
  EXPECT_TRUE(validateDestination(s).ok()) << "IPv6 literals are host names too";
  s.method = Method::Rest;
  s.customTags = "";
  s.host = "https://www.sample.com/api";
  s.tlsCaFile = "/nonexistent/ca.pem";
  EXPECT_EQ(validateDestination(s).error().field, "tlsCaFile");
  auto a = makeAdapter(s);
  ASSERT_FALSE(a.ok()) << "a missing CA file is a settings error, not a crash";
}

TEST(XmlMessage, EscapesValues) {
  EXPECT_EQ(xmlEscape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&apos;\xEF\xBF\xBD");
  std::string doc = buildXmlDocument({"1234<567", "AB&CD", "abc"}, "");
  EXPECT_NE(doc.find("<deviceSerialNumber>1234&lt;567</deviceSerialNumber>"), std::string::npos);
  EXPECT_NE(doc.find("<vehicleRegistrationNumber>AB&amp;CD</vehicleRegistrationNumber>"),
            std::string::npos);
}

}  // namespace
}  // namespace dcgw::adapters
