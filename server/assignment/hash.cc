#include "server/assignment/hash.h"

#include <cstddef>

#include "server/assignment/utf16.h"

namespace lift::assignment {
namespace {

inline uint32_t Step(uint32_t state, uint32_t code_unit) { return (state ^ code_unit) * kFnvPrime; }

// Writes the decimal digits of `value` (as JavaScript's `n + ""` does for a uint32) into `buffer`
// and returns the number of characters.
size_t FormatDecimal(uint32_t value, char (&buffer)[10]) {
  char reversed[10];
  size_t length = 0;
  do {
    reversed[length++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < length; ++i) buffer[i] = reversed[length - 1 - i];
  return length;
}

}  // namespace

uint32_t Fnv1a32(std::string_view utf8, uint32_t state) {
  const auto* data = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t size = utf8.size();
  size_t i = 0;
  while (i < size) {
    if (data[i] < 0x80) {  // ASCII: one byte is one code unit.
      state = Step(state, data[i]);
      ++i;
      continue;
    }
    uint32_t code_point;
    i += DecodeUtf8(utf8, i, &code_point);
    uint16_t units[2];
    const int count = ToUtf16(code_point, units);
    for (int k = 0; k < count; ++k) state = Step(state, units[k]);
  }
  return state;
}

double HashV1(std::string_view seed, std::string_view value) {
  const uint32_t h = Fnv1a32(seed, Fnv1a32(value));
  return static_cast<double>(h % 1000) / 1000.0;
}

double HashV2WithSeedState(uint32_t seed_state, std::string_view value) {
  const uint32_t first = Fnv1a32(value, seed_state);
  char digits[10];
  const size_t length = FormatDecimal(first, digits);
  const uint32_t second = Fnv1a32(std::string_view(digits, length));
  return static_cast<double>(second % 10000) / 10000.0;
}

double HashV2(std::string_view seed, std::string_view value) {
  return HashV2WithSeedState(Fnv1a32(seed), value);
}

std::optional<double> Hash(std::string_view seed, std::string_view value, int version) {
  if (version == 2) return HashV2(seed, value);
  if (version == 1) return HashV1(seed, value);
  return std::nullopt;
}

double LayerBucket(std::string_view layer_key, std::string_view unit_id) {
  // hash("__" + key, unit_id, 1) = fnv1a32(unit_id + "__" + key) % 1000 / 1000.
  const uint32_t h = Fnv1a32(layer_key, Fnv1a32("__", Fnv1a32(unit_id)));
  return static_cast<double>(h % 1000) / 1000.0;
}

}  // namespace lift::assignment
