// Version strings made comparable as plain strings, for the $veq $vne $vgt $vgte $vlt $vlte
// operators.
//
// GrowthBook compares versions by padding them into strings whose ordinary string order is the
// version order: strip a leading "v" and any "+build" suffix, split on "-" and ".", append "~" to a
// bare MAJOR.MINOR.PATCH (so a release sorts after its pre-releases: "~" is the largest printable
// ASCII character), left-pad every all-digit part with spaces to 5 characters and join with "-".
// "1.2.3-rc.1+build" -> "    1-    2-    3-rc-    1", "v1.2.3" -> "    1-    2-    3-~".
// Compare the results with CompareUtf16 (js_value.h), as JavaScript compares strings.
// Source: growthbook/growthbook packages/sdk-js/src/util.ts (paddedVersionString).
//
// Thread safety: pure functions.
#ifndef LIFT_SERVER_ASSIGNMENT_VERSION_STRING_H_
#define LIFT_SERVER_ASSIGNMENT_VERSION_STRING_H_

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace lift::assignment {

// Returns the padded form of `version` (an empty string is treated as "0").
std::string PaddedVersionString(std::string_view version);
inline std::string PaddedVersionString(const std::string& version) {
  return PaddedVersionString(std::string_view(version));
}
inline std::string PaddedVersionString(const char* version) {
  return PaddedVersionString(std::string_view(version));
}

// Returns the padded form of a JSON value as GrowthBook does: numbers use their JavaScript string
// form, strings are used as they are, anything else (null, booleans, arrays, objects) counts as
// "0".
std::string PaddedVersionString(const nlohmann::json& version);

// Like PaddedVersionString(version), but writes into *out (replacing its contents) so that a
// reused buffer avoids an allocation per comparison on the evaluation path.
void PaddedVersionStringTo(const nlohmann::json& version, std::string* out);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_VERSION_STRING_H_
