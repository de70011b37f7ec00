// The table of forwarding methods (seed 004 section 3): one row per method, the factory behind
// each row, the defaults it publishes, and validation that reports every bad setting at once.
#include "adapters/methods.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "codecs/json.hpp"

namespace dcgw::adapters {
namespace {

const Method kAll[] = {Method::Rest, Method::Soap, Method::XmlTcp, Method::XmlUdp, Method::Binary};

DestinationSettings validFor(const MethodInfo& m) {
  DestinationSettings s;
  s.name = "t";
  s.method = m.method;
  s.host = m.addressing == Addressing::Url ? "http://127.0.0.1:1/in" : "127.0.0.1";
  if (m.takes("port")) s.port = 1;
  s.customTags = std::string(m.customTags.example);
  return s;
}

std::set<std::string> fieldsOf(const std::vector<codecs::Error>& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) {
    EXPECT_FALSE(e.expected.empty()) << e.field;
    out.insert(e.field);
  }
  return out;
}

TEST(MethodTable, EveryMethodHasExactlyOneRow) {
  std::map<Method, int> rows;
  for (const MethodInfo& m : methods()) ++rows[m.method];
  for (Method m : kAll) {
    EXPECT_EQ(rows[m], 1) << methodName(m);
    EXPECT_EQ(methodInfo(m).method, m);
  }
  EXPECT_EQ(methods().size(), std::size(kAll)) << "a row for a method the enum does not have";
}

TEST(MethodTable, NamesAndFigureNamesParseBackToTheirRow) {
  std::set<std::string_view> names;
  for (const MethodInfo& m : methods()) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_EQ(parseMethod(m.name), m.method);
    EXPECT_EQ(parseMethod(m.figureName), m.method) << "seed 004 figures 1-4 say " << m.figureName;
    EXPECT_EQ(methodName(m.method), m.name);
    EXPECT_EQ(findMethod(m.name), &m);
    EXPECT_FALSE(m.label.empty());
  }
  EXPECT_EQ(findMethod("smtp"), nullptr);
  EXPECT_EQ(methodNameList(), "rest, soap, xml-tcp, xml-udp or binary");
  EXPECT_EQ(methodInfo(Method::Rest).label, "REST JSON");
  EXPECT_EQ(methodInfo(Method::XmlTcp).label, "XML over TCP");
}

TEST(MethodTable, AddressingAndSettingsFollowWhatEachAdapterReads) {
  for (const MethodInfo& m : methods()) {
    EXPECT_EQ(m.takes("port"), m.addressing == Addressing::HostAndPort) << m.name;
    EXPECT_TRUE(m.takes("customTags")) << m.name;
    // TLS is for https, which only the URL methods have.
    EXPECT_EQ(m.takes("tlsVerify"), m.addressing == Addressing::Url) << m.name;
    EXPECT_EQ(m.takes("tlsCaFile"), m.addressing == Addressing::Url) << m.name;
  }
  // Binary mode (section 3.4), REST and SOAP (the HTTP response) wait for a reply; the XML
  // socket methods have none. Binary mode writes the packet bytes as they are.
  for (Method m : kAll) {
    EXPECT_EQ(methodInfo(m).takes("replyTimeoutMs"), m != Method::XmlTcp && m != Method::XmlUdp)
        << methodName(m);
    EXPECT_EQ(methodInfo(m).takes("format"), m != Method::Binary) << methodName(m);
  }
}

TEST(MethodTable, DefaultsAreThoseOfDestinationSettings) {
  const DestinationSettings d;
  const std::map<std::string_view, std::string> expected = {
      {"port", "null"},
      {"format", "\"" + std::string(dataFormatName(d.format)) + "\""},
      {"customTags", "\"" + d.customTags + "\""},
      {"tlsVerify", d.tlsVerify ? "true" : "false"},
      {"tlsCaFile", "\"" + d.tlsCaFile + "\""},
      {"replyTimeoutMs", std::to_string(d.replyTimeout.count())},
  };
  for (const MethodInfo& m : methods())
    for (const Setting& s : m.settings) {
      ASSERT_TRUE(expected.count(s.name)) << m.name << " takes an unknown setting " << s.name;
      EXPECT_EQ(s.defaultJson, expected.at(s.name)) << m.name << "." << s.name;
      EXPECT_EQ(s.required, s.defaultJson == "null") << m.name << "." << s.name;
      EXPECT_FALSE(s.description.empty());
    }
}

TEST(MethodTable, EachRowsExamplesAreValidAndItsFactoryMakesItsAdapter) {
  for (const MethodInfo& m : methods()) {
    SCOPED_TRACE(std::string(m.name));
    EXPECT_TRUE(m.customTags.check(m.customTags.example).ok());
    EXPECT_TRUE(m.customTags.check("").ok()) << "custom tags may be left blank";
    DestinationSettings s = validFor(m);
    EXPECT_TRUE(validateDestinationAll(s).empty());
    auto adapter = makeAdapter(s);
    ASSERT_TRUE(adapter.ok()) << adapter.error().message();
    auto wire = (*adapter)->render(Envelope{"12345678", "AB12CDE", {0x47, 0x02, 0x6A}});
    ASSERT_TRUE(wire.ok()) << wire.error().message();
    EXPECT_NE(wire->find("123456"), std::string::npos)
        << "the custom tags are in the message: " << *wire;
    // The row's factory on its own builds the same kind of adapter.
    EXPECT_NE(m.make(s), nullptr);
  }
}

TEST(MethodTable, HostExamplesFitTheirAddressing) {
  for (const MethodInfo& m : methods()) {
    DestinationSettings s = validFor(m);
    s.host = std::string(m.hostExample);
    EXPECT_TRUE(validateDestinationAll(s).empty()) << m.name << ": " << m.hostExample;
  }
}

TEST(ValidateDestination, ReturnsEveryBadSettingAtOnce) {
  DestinationSettings s;
  s.method = Method::XmlTcp;
  s.host = "http://receiver.example/";
  s.port = 0;
  s.customTags = "<open>";
  s.tlsCaFile = "/nonexistent/ca.pem";
  auto errors = validateDestinationAll(s);
  EXPECT_EQ(fieldsOf(errors), (std::set<std::string>{"host", "port", "tlsCaFile", "customTags"}));
  ASSERT_EQ(errors.size(), 4u) << "one error per setting";
  EXPECT_EQ(errors[0].field, "host") << "in a fixed order";
  // The single-error form is the first of them.
  EXPECT_EQ(validateDestination(s).error().field, "host");

  DestinationSettings r;
  r.method = Method::Rest;
  r.host = "receiver.example/in";
  r.customTags = "accountID=42";
  EXPECT_EQ(fieldsOf(validateDestinationAll(r)), (std::set<std::string>{"host", "customTags"}));

  DestinationSettings b;
  b.method = Method::Binary;
  b.host = "h";
  b.customTags = std::string(256, 'x');
  b.replyTimeout = std::chrono::milliseconds(0);
  EXPECT_EQ(fieldsOf(validateDestinationAll(b)),
            (std::set<std::string>{"port", "timeout", "customTags"}));
}

TEST(MethodTable, RendersAsJsonWithEveryRowAndSetting) {
  auto doc = codecs::parseJson(renderMethodsJson());
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const auto& rows = doc->find("methods")->asArray();
  ASSERT_EQ(rows.size(), methods().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const MethodInfo& m = methods()[i];
    EXPECT_EQ(rows[i].find("name")->asString(), m.name);
    EXPECT_EQ(rows[i].find("label")->asString(), m.label);
    EXPECT_EQ(rows[i].find("addressing")->asString(), addressingName(m.addressing));
    EXPECT_EQ(rows[i].find("customTags")->find("example")->asString(), m.customTags.example);
    EXPECT_EQ(rows[i].find("settings")->asArray().size(), m.settings.size());
  }
}

}  // namespace
}  // namespace dcgw::adapters
