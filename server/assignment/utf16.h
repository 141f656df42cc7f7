// UTF-8 text seen as the UTF-16 code units JavaScript works with.
//
// JavaScript strings are sequences of UTF-16 code units (`charCodeAt`, string comparison), while
// Lift receives UTF-8. These helpers decode one code point at a time and split it into code units
// (a surrogate pair above U+FFFF). Malformed UTF-8 decodes as U+FFFD, one byte at a time.
// Source: Unicode 15 §3.9 (UTF-8 well-formed byte sequences, Table 3-7), §3.9 D91 (UTF-16).
//
// Header-only (used on the hashing hot path). Thread safety: pure functions.
#ifndef LIFT_SERVER_ASSIGNMENT_UTF16_H_
#define LIFT_SERVER_ASSIGNMENT_UTF16_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lift::assignment {

inline constexpr uint32_t kReplacementCharacter = 0xFFFD;

inline bool IsUtf8Continuation(unsigned char byte) { return (byte & 0xC0u) == 0x80u; }

// Decodes the code point that starts at text[i] (i < text.size()), stores it in *code_point and
// returns the number of bytes it used. Malformed or overlong sequences, encoded surrogates and
// values above U+10FFFF give U+FFFD and consume one byte.
inline size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* code_point) {
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char lead = data[i];
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  const size_t remaining = text.size() - i;
  if ((lead & 0xE0u) == 0xC0u && remaining >= 2 && IsUtf8Continuation(data[i + 1])) {
    const uint32_t cp = ((lead & 0x1Fu) << 6) | (data[i + 1] & 0x3Fu);
    if (cp >= 0x80) {
      *code_point = cp;
      return 2;
    }
  } else if ((lead & 0xF0u) == 0xE0u && remaining >= 3 && IsUtf8Continuation(data[i + 1]) &&
             IsUtf8Continuation(data[i + 2])) {
    const uint32_t cp =
        ((lead & 0x0Fu) << 12) | ((data[i + 1] & 0x3Fu) << 6) | (data[i + 2] & 0x3Fu);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
      *code_point = cp;
      return 3;
    }
  } else if ((lead & 0xF8u) == 0xF0u && remaining >= 4 && IsUtf8Continuation(data[i + 1]) &&
             IsUtf8Continuation(data[i + 2]) && IsUtf8Continuation(data[i + 3])) {
    const uint32_t cp = ((lead & 0x07u) << 18) | ((data[i + 1] & 0x3Fu) << 12) |
                        ((data[i + 2] & 0x3Fu) << 6) | (data[i + 3] & 0x3Fu);
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      *code_point = cp;
      return 4;
    }
  }
  *code_point = kReplacementCharacter;
  return 1;
}

// Writes the UTF-16 code units of `code_point` (<= U+10FFFF) to units[0..n) and returns n (1 or 2).
inline int ToUtf16(uint32_t code_point, uint16_t units[2]) {
  if (code_point < 0x10000) {
    units[0] = static_cast<uint16_t>(code_point);
    return 1;
  }
  const uint32_t offset = code_point - 0x10000;
  units[0] = static_cast<uint16_t>(0xD800 + (offset >> 10));
  units[1] = static_cast<uint16_t>(0xDC00 + (offset & 0x3FF));
  return 2;
}

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_UTF16_H_
