// The admin CLI's shared parts (admin_commands.cpp and the files of each noun): the verbs
// table, the value helpers, and the Runner that sends one command and renders its answer.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/cli/admin_client.hpp"
#include "gateway/cli/admin_commands.hpp"

namespace dcgw::cli::admin_impl {

using codecs::JsonValue;

using Object = JsonValue::Object;

struct Option {
  std::string_view name;
  bool value;  // takes a value (else a flag)
};

struct Verb {
  std::string_view noun;
  std::string_view verb;
  std::string_view operand;  // "ID", "SERIAL" or empty
  std::vector<Option> options;
  std::vector<std::string_view> required;
  std::string_view synopsis;
  std::string_view summary;
};

// The flag that sets each setting of the methods table (adapters/methods.hpp).
struct SettingFlag {
  std::string_view setting;
  std::string_view usage;
};

std::vector<std::string_view> methodNames();

std::string joined(const std::vector<std::string_view>& parts, std::string_view sep);

std::vector<std::string_view> formatValues();

// What each method takes, from the methods table: under `dcgw destinations --help`.
std::string methodsUsage();

const std::vector<Verb>& verbs();
// The verbs of cards and card-bridges, and the devices' card-events and card-sessions
// (admin_cards.cpp).
const std::vector<Verb>& cardVerbs();
// The verbs of files (admin_files.cpp).
const std::vector<Verb>& fileVerbs();

const Verb* findVerb(std::string_view noun, std::string_view verb);

std::string verbList(std::string_view noun);

codecs::Error argError(std::string field, std::string message);

bool parseInt(std::string_view text, long long lo, long long hi, long long& out);

JsonValue jsonInt(long long n);

void put(Object& o, const std::string& key, JsonValue v);

void eraseKey(Object& o, std::string_view key);

const JsonValue* member(const Object& o, std::string_view key);

// The fields of `from` that `keys` names, in that order (an input schema out of a fetched
// object: the read-only fields must not be sent back).
Object pick(const JsonValue& from, std::initializer_list<std::string_view> keys);

std::string numberText(const JsonValue& v);

// One value as a table cell: "-" for nothing, yes/no, lists joined with commas.
std::string cell(const JsonValue* v);

std::string cell(const JsonValue& o, std::string_view key);

std::string filterText(const JsonValue* f);

// REST and SOAP have their port in the URL; the API may still send 0 for them.
std::string portText(const JsonValue& d);

std::string typeText(const JsonValue* t);

void renderPairs(const std::vector<std::pair<std::string, std::string>>& pairs, std::ostream& out,
                 const std::string& indent = "");

// Every member, in the API's order, one per line.
void renderObject(const JsonValue& o, std::ostream& out);

std::size_t displayWidth(const std::string& s);

const std::string* value(const AdminInvocation& inv, const std::string& name);

codecs::Status checkEnum(const AdminInvocation& inv, const std::string& name,
                         const std::vector<std::string_view>& allowed);

// A bool flag and its opposite; neither leaves the field alone.
codecs::Status flagPair(const AdminInvocation& inv, Object& p, const std::string& key,
                        const std::string& onFlag, const std::string& offFlag);

codecs::Result<Object> destinationChanges(const AdminInvocation& inv);

codecs::Result<Object> locationChanges(const AdminInvocation& inv);

codecs::Result<Object> deviceChanges(const AdminInvocation& inv);

// --company-card NUMBER or --no-company-card into a device's changes.
codecs::Status companyCardChange(const AdminInvocation& inv, Object& p);

codecs::Result<std::string> entriesQuery(const AdminInvocation& inv);

// One command: sends it and renders the answer. Each noun's verbs are in its own file
// (admin_destinations.cpp, admin_locations.cpp, admin_devices.cpp, admin_queue.cpp,
// admin_tokens.cpp); the shapes they share and the transport in admin_commands.cpp.
class Runner {
 public:
  Runner(const AdminInvocation& inv, const AdminEnvironment& env, std::ostream& out,
         std::ostream& err)
      : inv_(inv),
        env_(env),
        out_(out),
        err_(err),
        prog_("dcgw " + inv.noun + " " + inv.verb),
        op_(inv.noun == "devices" || inv.noun == "cards" || inv.noun == "card-bridges"
                ? percentEncode(inv.operand)
                : inv.operand) {}

  int run();

 private:
  struct Answer {
    HttpResponse response;
    JsonValue json;  // null when the body is empty
  };
  int destinations(const std::string& v);
  int locations(const std::string& v);
  int locationAlerts(const std::string& target);  // `dcgw locations alerts ID`
  int devices(const std::string& v);
  int queue(const std::string& v);
  int tokens(const std::string& v);
  int compliance(const std::string& v);  // admin_tokens.cpp
  int drivers(const std::string& v);
  int cards(const std::string& v);
  int cardBridges(const std::string& v);
  int files(const std::string& v);  // admin_files.cpp

  // --- the card relay's log (cards, devices) ---

  int cardEvents(const std::string& target);
  int cardSessions(const std::string& target);
  // --location NAME_OR_ID[,...] or none as a JSON array of ids; nullopt when it failed (exit_
  // says how).
  std::optional<JsonValue> locationIds(const std::string& given);

  // --- the shapes every noun shares ---

  int list(const std::string& target, const std::string& key,
           const std::vector<TableColumn>& columns,
           const std::function<std::vector<std::string>(const JsonValue&)>& row);
  int show(const std::string& target);
  int create(const std::string& target, const Object& body, const std::string& what,
             const std::string& idKey);
  int update(const std::string& target, const Object& changes,
             std::initializer_list<std::string_view> inputFields,
             const std::function<void(Object&)>& adjust = {});
  int remove(const std::string& target, const std::string& done);

  // --- queues ---

  std::string stateText(const JsonValue& q) const;
  std::string ageText(const JsonValue& q) const;
  std::string nextRetryText(const JsonValue& q) const;
  void renderQueue(const JsonValue& q);
  static std::string usText(const JsonValue* us);

  // --- transport and errors ---

  std::optional<Answer> call(std::string_view method, const std::string& target,
                             std::optional<std::string> body = std::nullopt);
  void reportApiError(const HttpResponse& r);
  int unexpected(const Answer& a, const std::string& what);
  int badArgs(const codecs::Error& e);
  int printRaw(const Answer& a);
  static std::string statusText(const HttpResponse& r);
  static std::string snippet(const std::string& body);

  const AdminInvocation& inv_;
  const AdminEnvironment& env_;
  std::ostream& out_;
  std::ostream& err_;
  const std::string prog_;
  const std::string op_;  // the operand, ready for a path
  std::unique_ptr<AdminTransport> transport_;
  int exit_{kAdminOk};
};

}  // namespace dcgw::cli::admin_impl
