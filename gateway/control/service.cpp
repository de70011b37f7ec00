// Field errors and refusals of the control services.
#include "gateway/control/service.hpp"

#include <algorithm>

namespace dcgw::control {

void FieldErrors::add(const std::string& field, const std::string& reason) {
  if (!has(field)) list.emplace_back(field, reason);
}

void FieldErrors::addBefore(const std::string& field, const std::string& reason,
                            std::initializer_list<const char*> later) {
  if (has(field)) return;
  auto at = std::find_if(list.begin(), list.end(), [&](const auto& e) {
    return std::any_of(later.begin(), later.end(), [&](const char* f) { return e.first == f; });
  });
  list.emplace(at, field, reason);
}

bool FieldErrors::has(const std::string& field) const {
  return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == field; });
}

Failure Failure::invalid(const FieldErrors& e) {
  return Failure{Kind::Invalid,
                 "the request has " + std::to_string(e.list.size()) + " invalid field" +
                     (e.list.size() == 1 ? "" : "s"),
                 e.list};
}

Failure Failure::fromStore(const store::Error& e) {
  if (e.category == store::ErrorCategory::Conflict)
    return Failure{Kind::Conflict, e.field + ": " + e.message, {{e.field, e.message}}};
  if (e.category == store::ErrorCategory::NotFound && e.field == "id")
    return Failure{Kind::NotFound, e.message, {}};
  return Failure{Kind::Invalid, "the request has 1 invalid field", {{e.field, e.message}}};
}

}  // namespace dcgw::control
