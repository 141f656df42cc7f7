// Version strings (server/assignment/version_string.h) and the JavaScript value conversions they and
// the condition operators rely on (server/assignment/js_value.h). The input is two lines: two
// version strings (any bytes).
// Properties: padding never crashes; CompareUtf16 is an order (reflexive, antisymmetric) on the
// padded forms; a number's JavaScript string form parses back to the same number.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "nlohmann/json.hpp"
#include "server/assignment/js_value.h"
#include "server/assignment/version_string.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lift::assignment::CompareUtf16;

int Sign(int value) { return (value > 0) - (value < 0); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = lift::fuzz::AsText(data, size);
  const auto [a, b] = lift::fuzz::SplitAt(text, '\n');

  const std::string padded_a = lift::assignment::PaddedVersionString(a);
  const std::string padded_b = lift::assignment::PaddedVersionString(b);
  LIFT_FUZZ_CHECK(CompareUtf16(padded_a, padded_a) == 0);
  LIFT_FUZZ_CHECK(Sign(CompareUtf16(padded_a, padded_b)) == -Sign(CompareUtf16(padded_b, padded_a)));
  LIFT_FUZZ_CHECK(Sign(CompareUtf16(a, b)) == -Sign(CompareUtf16(b, a)));

  // The JSON overload and the reused-buffer form agree with the string form.
  std::string reused = "stale";
  lift::assignment::PaddedVersionStringTo(nlohmann::json(std::string(a)), &reused);
  LIFT_FUZZ_CHECK(reused == padded_a);

  // Numbers: the first 8 bytes as a double.
  if (size >= sizeof(double)) {
    double value = 0;
    std::memcpy(&value, data, sizeof value);
    const std::string js = lift::assignment::JsNumberToString(value);
    const double back = lift::assignment::JsStringToNumber(js);
    if (std::isnan(value)) {
      LIFT_FUZZ_CHECK(std::isnan(back));
    } else {
      LIFT_FUZZ_CHECK(back == value);
    }
    lift::assignment::PaddedVersionString(nlohmann::json(value));
  }

  // Text as JavaScript would convert it.
  const double number = lift::assignment::JsStringToNumber(a);
  if (std::isfinite(number)) {
    LIFT_FUZZ_CHECK(lift::assignment::JsStringToNumber(lift::assignment::JsNumberToString(number)) ==
                    number);
  }
  return 0;
}
