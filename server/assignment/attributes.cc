#include "server/assignment/attributes.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lift::assignment {

bool JsonNestsDeeperThan(const nlohmann::json& value, int max_depth) {
  if (!value.is_structured()) return false;
  if (max_depth == 0) return true;
  for (const nlohmann::json& item : value) {
    if (JsonNestsDeeperThan(item, max_depth - 1)) return true;
  }
  return false;
}

absl::StatusOr<Attributes> Attributes::FromJson(nlohmann::json object) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("attributes must be a JSON object, got ", object.type_name()));
  }
  if (JsonNestsDeeperThan(object, kMaxAttributeDepth)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attributes must not nest objects and arrays more than ", kMaxAttributeDepth,
        " levels deep"));
  }
  return Attributes(std::move(object));
}

const nlohmann::json* Attributes::Find(std::string_view name) const {
  const auto it = json_.find(name);
  return it == json_.end() ? nullptr : &*it;
}

}  // namespace lift::assignment
