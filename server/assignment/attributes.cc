#include "server/assignment/attributes.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lift::assignment {

absl::StatusOr<Attributes> Attributes::FromJson(nlohmann::json object) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("attributes must be a JSON object, got ", object.type_name()));
  }
  return Attributes(std::move(object));
}

const nlohmann::json* Attributes::Find(std::string_view name) const {
  const auto it = json_.find(name);
  return it == json_.end() ? nullptr : &*it;
}

}  // namespace lift::assignment
