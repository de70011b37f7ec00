// `dcgw devices` with Teltonika trackers (issue 15) without a gateway: --protocol and --family
// in the requests create, set and register send, the PROTOCOL column of the list, and the
// argument errors.
#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "gateway/cli/admin_commands.hpp"
#include "tests/cli/admin_cli_fixture.hpp"

namespace dcgw::cli {
namespace {

using testing::reply;

class TeltonikaDeviceCommands : public testing::AdminCliRunTest {};

TEST_F(TeltonikaDeviceCommands, CreateSendsProtocolAndFamily) {
  script_ = {reply(201, R"({"serial":"356307042441013","protocol":"teltonika","family":"FMX6",)"
                        R"("hasKey":false})")};
  ASSERT_EQ(run("devices", {"create", "--serial", "356307042441013", "--protocol", "teltonika",
                            "--family", "FMX6", "--location", "1"}),
            kAdminOk)
      << err_.str();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "POST");
  EXPECT_EQ(seen_[0].target, "/api/v1/devices");
  EXPECT_EQ(
      *seen_[0].body,
      R"({"serial":"356307042441013","locationId":1,"protocol":"teltonika","family":"FMX6"})");
  EXPECT_NE(out_.str().find("teltonika"), std::string::npos) << out_.str();
}

TEST_F(TeltonikaDeviceCommands, SetChangesTheFamilyOrDropsItWithNone) {
  script_ = {reply(200, R"({"serial":"356307042441013","locationId":1,"registration":"AB",)"
                        R"("protocol":"teltonika","family":"FMX6"})"),
             reply(200, R"({"serial":"356307042441013","family":"FMBxxx"})")};
  ASSERT_EQ(run("devices", {"set", "356307042441013", "--family", "FMBxxx"}), kAdminOk)
      << err_.str();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].method, "PUT");
  EXPECT_EQ(seen_[1].target, "/api/v1/devices/356307042441013");
  EXPECT_EQ(*seen_[1].body, R"({"locationId":1,"registration":"AB","family":"FMBxxx"})");
  script_ = {reply(200, R"({"serial":"9","locationId":null,"registration":""})"),
             reply(200, R"({"serial":"9","protocol":"dcgw","family":null})")};
  ASSERT_EQ(run("devices", {"update", "9", "--protocol", "dcgw", "--family", "none"}), kAdminOk)
      << err_.str();
  EXPECT_EQ(*seen_[1].body,
            R"({"locationId":null,"registration":"","protocol":"dcgw","family":null})");
}

TEST_F(TeltonikaDeviceCommands, RegisterARefusedImeiAsATeltonikaDevice) {
  script_ = {reply(201, R"({"serial":"356307042441013","protocol":"teltonika","family":"FMBxxx",)"
                        R"("hasKey":false})")};
  ASSERT_EQ(run("devices",
                {"register", "356307042441013", "--protocol", "teltonika", "--family", "fmbxxx"}),
            kAdminOk)
      << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/refused-idents/356307042441013/register");
  EXPECT_EQ(*seen_[0].body, R"({"protocol":"teltonika","family":"fmbxxx"})");
  EXPECT_EQ(err_.str().find("generated key"), std::string::npos) << "no key: " << err_.str();
}

TEST_F(TeltonikaDeviceCommands, ListShowsEachDevicesProtocolAndFamily) {
  script_ = {reply(200, R"({"locations":[{"id":1,"name":"Depot"}]})"),
             reply(200, R"({"devices":[{"serial":"12345678","locationId":1,"registration":"AB",)"
                        R"("hasKey":true,"lastSequence":7,"companyCard":null,"protocol":"dcgw",)"
                        R"("family":null},{"serial":"356307042441013","locationId":1,)"
                        R"("registration":"","hasKey":false,"lastSequence":0,"companyCard":null,)"
                        R"("protocol":"teltonika","family":"FMX6"}]})")};
  ASSERT_EQ(run("devices", {"list"}), kAdminOk) << err_.str();
  EXPECT_EQ(
      out_.str(),
      "SERIAL           PROTOCOL        LOCATION   REGISTRATION  KEY  LAST SEQ  COMPANY CARD\n"
      "12345678         dcgw            Depot (1)  AB            yes         7  -\n"
      "356307042441013  teltonika FMX6  Depot (1)  -             no          0  -\n");
}

TEST_F(TeltonikaDeviceCommands, ABadProtocolOrAnEmptyFamilyIsRefusedBeforeAnyRequest) {
  EXPECT_EQ(run("devices", {"create", "--serial", "9", "--protocol", "ruptela"}), kAdminBadArgs);
  EXPECT_NE(err_.str().find("--protocol must be dcgw or teltonika, not 'ruptela'"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(run("devices", {"set", "9", "--family", ""}), kAdminBadArgs);
  EXPECT_NE(err_.str().find("--family"), std::string::npos) << err_.str();
  EXPECT_TRUE(seen_.empty());
}

// The gateway's own refusal (schema/openapi.yaml Error) is shown with the field it names.
TEST_F(TeltonikaDeviceCommands, TheGatewaysRefusalNamesTheField) {
  script_ = {reply(400, R"({"error":"the request has 1 invalid field","fields":[{"field":"key",)"
                        R"("reason":"Teltonika devices have no device key; leave it out"}]})")};
  EXPECT_NE(run("devices", {"create", "--serial", "356307042441013", "--protocol", "teltonika",
                            "--family", "FMX6", "--key", "00"}),
            kAdminOk);
  EXPECT_NE(err_.str().find("Teltonika devices have no device key"), std::string::npos)
      << err_.str();
}

}  // namespace
}  // namespace dcgw::cli
