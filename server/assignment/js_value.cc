#include "server/assignment/js_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "server/assignment/utf16.h"

namespace lift::assignment {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Integers up to 2^53 are exact doubles, so they print the same through either path.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53);

// Number of bytes of the JavaScript WhiteSpace or LineTerminator character starting at text[i],
// or 0 (ECMAScript §12.2 and §12.3: TAB VT FF SP NBSP ZWNBSP USP, LF CR LS PS).
size_t WhitespaceAt(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const size_t remaining = text.size() - i;
  switch (byte(0)) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
      return 1;
    default:
      break;
  }
  if (remaining >= 2 && byte(0) == 0xC2 && byte(1) == 0xA0) return 2;  // U+00A0
  if (remaining < 3) return 0;
  const uint32_t cp = (static_cast<uint32_t>(byte(0)) << 16) | (byte(1) << 8) | byte(2);
  if (cp == 0xE19A80 ||                      // U+1680
      (cp >= 0xE28080 && cp <= 0xE2808A) ||  // U+2000..U+200A
      cp == 0xE280A8 || cp == 0xE280A9 ||    // U+2028, U+2029
      cp == 0xE280AF || cp == 0xE2819F ||    // U+202F, U+205F
      cp == 0xE38080 || cp == 0xEFBBBF) {    // U+3000, U+FEFF
    return 3;
  }
  return 0;
}

std::string_view TrimJsWhitespace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t n = WhitespaceAt(text, begin);
    if (n == 0) break;
    begin += n;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t found = 0;
    for (size_t n = 1; n <= 3 && n <= end - begin; ++n) {
      if (WhitespaceAt(text.substr(0, end), end - n) == n) {
        found = n;
        break;
      }
    }
    if (found == 0) break;
    end -= found;
  }
  return text.substr(begin, end - begin);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// StrUnsignedDecimalLiteral without "Infinity": digits [. digits] | . digits, then an optional
// exponent. Returns false when `text` does not match exactly.
bool IsUnsignedDecimalLiteral(std::string_view text) {
  size_t i = 0;
  size_t digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < text.size() && IsDigit(text[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == text.size();
}

// Value of a 0x / 0o / 0b literal body, NaN when a character is not a digit of `base`.
double ParseNonDecimal(std::string_view digits, int base) {
  if (digits.empty()) return kNaN;
  double value = 0.0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return kNaN;
    }
    if (d >= base) return kNaN;
    value = value * base + d;
  }
  return value;
}

std::string IntegerToString(int64_t value) { return std::to_string(value); }

std::string NumberToString(const nlohmann::json& number) {
  if (number.is_number_integer() && !number.is_number_unsigned()) {
    const int64_t v = number.get<int64_t>();
    if (v >= -kMaxSafeInteger && v <= kMaxSafeInteger) return IntegerToString(v);
  } else if (number.is_number_unsigned()) {
    const uint64_t v = number.get<uint64_t>();
    if (v <= static_cast<uint64_t>(kMaxSafeInteger)) return std::to_string(v);
  }
  return JsNumberToString(number.get<double>());
}

}  // namespace

std::string JsNumberToString(double value) {
  if (std::isnan(value)) return "NaN";
  if (value == 0.0) return "0";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";

  // Shortest round-trip digits in scientific form, e.g. "1.2345e+02" (C++17 std::to_chars).
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), std::fabs(value),
                                    std::chars_format::scientific);
  const std::string_view scientific(buffer, static_cast<size_t>(result.ptr - buffer));
  const size_t e_position = scientific.find('e');
  std::string digits;
  for (char c : scientific.substr(0, e_position)) {
    if (c != '.') digits.push_back(c);
  }
  const int exponent = std::atoi(std::string(scientific.substr(e_position + 1)).c_str());

  // ECMAScript Number::toString: digits s (k of them) and n such that value = s × 10^(n−k).
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  std::string out = value < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 >= 0) ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

double JsStringToNumber(std::string_view text) {
  text = TrimJsWhitespace(text);
  if (text.empty()) return 0.0;
  if (text.size() > 2 && text[0] == '0') {
    switch (text[1]) {
      case 'x':
      case 'X':
        return ParseNonDecimal(text.substr(2), 16);
      case 'o':
      case 'O':
        return ParseNonDecimal(text.substr(2), 8);
      case 'b':
      case 'B':
        return ParseNonDecimal(text.substr(2), 2);
      default:
        break;
    }
  }
  double sign = 1.0;
  std::string_view body = text;
  if (body[0] == '+' || body[0] == '-') {
    if (body[0] == '-') sign = -1.0;
    body.remove_prefix(1);
  }
  if (body == "Infinity") return sign * std::numeric_limits<double>::infinity();
  if (!IsUnsignedDecimalLiteral(body)) return kNaN;
  double value = 0.0;
  const auto result = std::from_chars(body.data(), body.data() + body.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    // Overflow becomes Infinity, underflow 0 (ECMAScript rounds the mathematical value).
    const size_t e = body.find_first_of("eE");
    const bool underflow = e != std::string_view::npos && e + 1 < body.size() && body[e + 1] == '-';
    return underflow ? sign * 0.0 : sign * std::numeric_limits<double>::infinity();
  }
  if (result.ec != std::errc()) return kNaN;
  return sign * value;
}

std::string JsToString(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return value.get_ref<const std::string&>();
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return NumberToString(value);
    case nlohmann::json::value_t::array: {
      // Array.prototype.join(","): null and undefined elements become "".
      std::string out;
      bool first = true;
      for (const auto& element : value) {
        if (!first) out += ',';
        first = false;
        if (!element.is_null()) out += JsToString(element);
      }
      return out;
    }
    case nlohmann::json::value_t::object:
      return "[object Object]";
    default:
      return "";
  }
}

double JsToNumber(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return 0.0;
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? 1.0 : 0.0;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return value.get<double>();
    case nlohmann::json::value_t::string:
      return JsStringToNumber(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::array:
      return JsStringToNumber(JsToString(value));
    default:
      return kNaN;
  }
}

bool JsTruthy(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return false;
    case nlohmann::json::value_t::boolean:
      return value.get<bool>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: {
      const double d = value.get<double>();
      return d != 0.0 && !std::isnan(d);
    }
    case nlohmann::json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    default:
      return true;  // arrays and objects
  }
}

bool JsStrictEquals(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.is_string() && b.is_string()) {
    return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  }
  if (a.is_boolean() && b.is_boolean()) return a.get<bool>() == b.get<bool>();
  if (a.is_null() && b.is_null()) return true;
  return false;
}

JsOrder JsCompare(const nlohmann::json& a, const nlohmann::json& b) {
  // ToPrimitive turns arrays and objects into strings; strings compare as strings only when both
  // sides are strings after that step.
  const auto string_like = [](const nlohmann::json& v) {
    return v.is_string() || v.is_array() || v.is_object();
  };
  if (string_like(a) && string_like(b)) {
    std::string a_storage;
    std::string b_storage;
    const std::string_view a_text = a.is_string()
                                        ? std::string_view(a.get_ref<const std::string&>())
                                        : std::string_view(a_storage = JsToString(a));
    const std::string_view b_text = b.is_string()
                                        ? std::string_view(b.get_ref<const std::string&>())
                                        : std::string_view(b_storage = JsToString(b));
    const int c = CompareUtf16(a_text, b_text);
    return c < 0 ? JsOrder::kLess : (c > 0 ? JsOrder::kGreater : JsOrder::kEqual);
  }
  const double x = JsToNumber(a);
  const double y = JsToNumber(b);
  if (std::isnan(x) || std::isnan(y)) return JsOrder::kUnordered;
  if (x < y) return JsOrder::kLess;
  if (x > y) return JsOrder::kGreater;
  return JsOrder::kEqual;
}

int CompareUtf16(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < common && a[i] == b[i]) ++i;
  if (i == common) {
    if (a.size() == b.size()) return 0;
    return a.size() < b.size() ? -1 : 1;
  }
  // Back up to the start of the code point in which the strings differ.
  while (i > 0 && (IsUtf8Continuation(static_cast<unsigned char>(a[i])) ||
                   IsUtf8Continuation(static_cast<unsigned char>(b[i])))) {
    --i;
  }
  uint32_t a_code_point;
  uint32_t b_code_point;
  DecodeUtf8(a, i, &a_code_point);
  DecodeUtf8(b, i, &b_code_point);
  uint16_t a_units[2];
  uint16_t b_units[2];
  const int a_count = ToUtf16(a_code_point, a_units);
  const int b_count = ToUtf16(b_code_point, b_units);
  for (int k = 0; k < a_count && k < b_count; ++k) {
    if (a_units[k] != b_units[k]) return a_units[k] < b_units[k] ? -1 : 1;
  }
  // Same code units: only possible when malformed bytes decoded to U+FFFD on both sides; order the
  // remainders bytewise so the result stays a total order.
  if (a_count != b_count) return a_count < b_count ? -1 : 1;
  const int c = a.substr(i).compare(b.substr(i));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace lift::assignment
