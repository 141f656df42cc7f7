// GrowthBook-compatible hashing of unit ids into [0, 1).
//
// GrowthBook's SDKs hash JavaScript strings: FNV-1a 32-bit over the UTF-16 code units that
// `String.prototype.charCodeAt` yields (each 16-bit unit is XORed in whole, then multiplied by the
// FNV prime modulo 2^32). Lift receives UTF-8, so these functions decode UTF-8 to UTF-16 code units
// on the fly (code points above U+FFFF become a surrogate pair, as in JavaScript) and hash exactly
// what a GrowthBook SDK would hash for the same text. ASCII input takes a fast path; nothing here
// allocates.
//
// Source: growthbook/growthbook packages/sdk-js/src/util.ts (hashFnv32a, hash, inNamespace);
// FNV-1a: Fowler, Noll, Vo, offset basis 0x811c9dc5, prime 16777619.
//
// Invalid UTF-8 (which protobuf strings never contain) hashes as U+FFFD per offending byte.
// Concatenation (seed + value) is hashed incrementally, which equals hashing the concatenated
// string whenever each part is valid UTF-8 on its own.
//
// Thread safety: pure functions, safe to call concurrently.
#ifndef LIFT_SERVER_ASSIGNMENT_HASH_H_
#define LIFT_SERVER_ASSIGNMENT_HASH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lift::assignment {

inline constexpr uint32_t kFnvOffsetBasis = 0x811c9dc5u;
inline constexpr uint32_t kFnvPrime = 16777619u;

// Continues FNV-1a 32-bit from `state` over the UTF-16 code units of the UTF-8 text `utf8` and
// returns the new state. Fnv1a32(b, Fnv1a32(a)) == Fnv1a32(a + b) for valid UTF-8 a and b.
uint32_t Fnv1a32(std::string_view utf8, uint32_t state = kFnvOffsetBasis);

// GrowthBook hash v1: fnv1a32(value + seed) % 1000 / 1000. Returns a value in [0, 1) with 1,000
// possible buckets. Kept for compatibility (GrowthBook calls it biased).
double HashV1(std::string_view seed, std::string_view value);

// GrowthBook hash v2: fnv1a32(decimal(fnv1a32(seed + value))) % 10000 / 10000. Returns [0, 1) with
// 10,000 buckets.
double HashV2(std::string_view seed, std::string_view value);

// HashV2 with the seed already folded in: `seed_state` must be Fnv1a32(seed). Lets a snapshot hash
// each experiment's seed once instead of on every request.
double HashV2WithSeedState(uint32_t seed_state, std::string_view value);

// HashV2WithSeedState for two seeds over the same value at once: returns
// {HashV2(seed a, value), HashV2(seed b, value)} given seed_state_a = Fnv1a32(seed a) and
// seed_state_b = Fnv1a32(seed b). FNV-1a is one serial chain of multiplications per hash; the two
// chains here are independent and interleaved, so the CPU runs them side by side and the pair
// costs little more than one hash (a unit's holdout hash and its experiment hash, engine.h).
std::array<double, 2> HashV2PairWithSeedStates(uint32_t seed_state_a, uint32_t seed_state_b,
                                               std::string_view value);

// GrowthBook's hash(seed, value, version): HashV1 for version 1, HashV2 for version 2, nullopt for
// any other version (GrowthBook returns null there).
std::optional<double> Hash(std::string_view seed, std::string_view value, int version);

// The unit's position in a layer, i.e. GrowthBook's namespace hash: hash v1 with seed
// "__" + layer_key. An experiment owning the slice [start, end) of the layer gets the unit when
// start <= LayerBucket(...) < end (GrowthBook inNamespace). Returns [0, 1) with 1,000 buckets.
double LayerBucket(std::string_view layer_key, std::string_view unit_id);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_HASH_H_
