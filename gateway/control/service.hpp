// What every control service shares: the caller, the field errors of a refused request, a
// refusal as a value (never HTTP), and the context a service runs in (store, clock, feed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/common/change_feed.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/store/errors.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::control {

// Who asks: the token's name and role, as the audit log records them.
struct Actor {
  std::string name;
  std::string role;
};

// Every bad field of a request, the first reason for each (the useful one), in order.
struct FieldErrors {
  std::vector<std::pair<std::string, std::string>> list;
  void add(const std::string& field, const std::string& reason);
  // Adds it before the first error of one of `later` (so the list keeps the input's order).
  void addBefore(const std::string& field, const std::string& reason,
                 std::initializer_list<const char*> later);
  bool has(const std::string& field) const;
  bool empty() const { return list.empty(); }
};

// Why a request was refused. The admin API maps Invalid to 400, NotFound to 404, Conflict to 409.
struct Failure {
  enum class Kind { Invalid, NotFound, Conflict };
  Kind kind;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;

  static Failure invalid(const FieldErrors& e);
  static Failure notFound(std::string message) { return {Kind::NotFound, std::move(message), {}}; }
  static Failure conflict(std::string message) { return {Kind::Conflict, std::move(message), {}}; }
  // A store refusal of a valid-looking request: a taken name is a conflict, a missing object
  // (field "id") is not found, the rest invalid.
  static Failure fromStore(const store::Error& e);
};

struct Done {};

template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Outcome(Failure failure) : v_(std::move(failure)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }  // REQUIRES: ok()
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Failure& failure() const { return std::get<1>(v_); }  // REQUIRES: !ok()

 private:
  std::variant<T, Failure> v_;
};

// What a service works on. feed may be null (nothing is told of the change).
struct Context {
  store::Backend& store;
  common::Clock& clock;
  common::ChangeFeed* feed{nullptr};

  // REQUIRES: called after the change's commit, never inside a transaction.
  void publish(common::Change change) const {
    if (feed) feed->publish(std::move(change));
  }
  void publish(const std::vector<common::Change>& changes) const {
    if (feed) feed->publish(changes);
  }
  // The audit row of a change, written in the change's own transaction.
  void audit(store::AdminTransaction& tx, const Actor& a, std::string action, std::string target,
             std::optional<std::string> before, std::optional<std::string> after) const {
    tx.appendAudit(store::AuditRecord{0, clock.nowMs(), a.name, a.role, std::move(action),
                                      std::move(target), std::move(before), std::move(after)});
  }
};

}  // namespace dcgw::control
