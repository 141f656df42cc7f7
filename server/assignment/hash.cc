#include "server/assignment/hash.h"

#include <array>
#include <cstddef>

#include "server/assignment/utf16.h"

namespace lift::assignment {
namespace {

inline uint32_t Step(uint32_t state, uint32_t code_unit) { return (state ^ code_unit) * kFnvPrime; }

// FNV-1a 32-bit of the decimal digits of `value` (JavaScript's `n + ""` for a uint32), from the
// offset basis. Every digit is computed from `value` directly, with a constant divisor (a
// multiplication), so the ten divisions run in parallel instead of as one serial chain ahead of
// the hash; this halves the cost of the second pass of hash v2.
uint32_t Fnv1a32OfDecimal(uint32_t value) {
  const uint32_t digits[10] = {value / 1000000000u,     value / 100000000u % 10,
                               value / 10000000u % 10,  value / 1000000u % 10,
                               value / 100000u % 10,    value / 10000u % 10,
                               value / 1000u % 10,      value / 100u % 10,
                               value / 10u % 10,        value % 10};
  int first = 0;  // the most significant non-zero digit; "0" for zero
  while (first < 9 && digits[first] == 0) ++first;
  uint32_t state = kFnvOffsetBasis;
  for (int k = first; k < 10; ++k) state = Step(state, '0' + digits[k]);
  return state;
}

// Continues FNV-1a from each of `states` over the UTF-16 code units of `utf8`, in one pass (N
// independent chains, interleaved).
template <size_t N>
void Fnv1a32Each(std::string_view utf8, std::array<uint32_t, N>& states) {
  const auto* data = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t size = utf8.size();
  size_t i = 0;
  while (i < size) {
    if (data[i] < 0x80) {  // ASCII: one byte is one code unit.
      for (uint32_t& state : states) state = Step(state, data[i]);
      ++i;
      continue;
    }
    uint32_t code_point;
    i += DecodeUtf8(utf8, i, &code_point);
    uint16_t units[2];
    const int count = ToUtf16(code_point, units);
    for (int k = 0; k < count; ++k) {
      for (uint32_t& state : states) state = Step(state, units[k]);
    }
  }
}

double BucketOfSecondPass(uint32_t first_pass) {
  return static_cast<double>(Fnv1a32OfDecimal(first_pass) % 10000) / 10000.0;
}

}  // namespace

uint32_t Fnv1a32(std::string_view utf8, uint32_t state) {
  std::array<uint32_t, 1> states = {state};
  Fnv1a32Each(utf8, states);
  return states[0];
}

double HashV1(std::string_view seed, std::string_view value) {
  const uint32_t h = Fnv1a32(seed, Fnv1a32(value));
  return static_cast<double>(h % 1000) / 1000.0;
}

double HashV2WithSeedState(uint32_t seed_state, std::string_view value) {
  return BucketOfSecondPass(Fnv1a32(value, seed_state));
}

std::array<double, 2> HashV2PairWithSeedStates(uint32_t seed_state_a, uint32_t seed_state_b,
                                               std::string_view value) {
  std::array<uint32_t, 2> states = {seed_state_a, seed_state_b};
  Fnv1a32Each(value, states);
  return {BucketOfSecondPass(states[0]), BucketOfSecondPass(states[1])};
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
