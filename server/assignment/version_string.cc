#include "server/assignment/version_string.h"

#include <cstddef>

#include "server/assignment/js_value.h"

namespace lift::assignment {
namespace {

// Width numeric parts are padded to ("9" < "10" fails as strings, "    9" < "   10" holds).
constexpr size_t kPaddedPartWidth = 5;

bool IsAllDigits(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Appends the padded form of `version` to *out.
void AppendPadded(std::string_view version, std::string* out) {
  if (version.empty()) version = "0";
  // Remove a leading "v" and everything from the first "+" (build metadata).
  if (version.front() == 'v') version.remove_prefix(1);
  const size_t plus = version.find('+');
  if (plus != std::string_view::npos) version = version.substr(0, plus);

  size_t parts = 0;
  size_t start = 0;
  while (true) {
    size_t end = version.find_first_of("-.", start);
    if (end == std::string_view::npos) end = version.size();
    const std::string_view part = version.substr(start, end - start);
    if (parts > 0) *out += '-';
    if (IsAllDigits(part) && part.size() < kPaddedPartWidth) {
      out->append(kPaddedPartWidth - part.size(), ' ');
    }
    out->append(part.data(), part.size());
    ++parts;
    if (end == version.size()) break;
    start = end + 1;
  }
  if (parts == 3) *out += "-~";
}

}  // namespace

std::string PaddedVersionString(std::string_view version) {
  std::string out;
  out.reserve(version.size() + 16);
  AppendPadded(version, &out);
  return out;
}

void PaddedVersionStringTo(const nlohmann::json& version, std::string* out) {
  out->clear();
  if (version.is_string()) {
    AppendPadded(version.get_ref<const std::string&>(), out);
  } else if (version.is_number()) {
    AppendPadded(JsToString(version), out);
  } else {
    AppendPadded("0", out);
  }
}

std::string PaddedVersionString(const nlohmann::json& version) {
  std::string out;
  PaddedVersionStringTo(version, &out);
  return out;
}

}  // namespace lift::assignment
