// API key material: generation, the `lift_<prefix>_<secret>` format, hashing and comparison.
//
// A key is `lift_` + 8 lowercase hex digits (the prefix: 4 random bytes, public, used to find the
// key's row) + `_` + 64 lowercase hex digits (the secret: 32 bytes from OpenSSL's CSPRNG). liftd
// stores SHA-256 of the whole key string (OpenSSL EVP) and compares digests in constant time
// (CRYPTO_memcmp), so neither the database nor timing reveals a usable key.
//
// Thread safety: stateless functions; thread-safe.
#ifndef LIFT_SERVER_AUTH_API_KEY_H_
#define LIFT_SERVER_AUTH_API_KEY_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lift::auth {

inline constexpr size_t kKeyPrefixHexDigits = 8;
inline constexpr size_t kKeySecretBytes = 32;

struct KeyMaterial {
  std::string token;   // the whole key, shown once
  std::string prefix;  // 8 hex digits
  std::string sha256;  // 32 raw bytes: SHA-256(token)
};

// A fresh random key. Internal when the CSPRNG fails.
absl::StatusOr<KeyMaterial> GenerateKey();

// The prefix of a well-formed key; InvalidArgument ("API key must look like lift_<8 hex>_<64 hex>")
// otherwise. Never quotes the secret in its message.
absl::StatusOr<std::string> KeyPrefix(std::string_view token);

// KeyMaterial (prefix and digest) of a well-formed key given by the user
// (LIFT_BOOTSTRAP_ADMIN_KEY).
absl::StatusOr<KeyMaterial> MaterialOf(std::string_view token);

// SHA-256 of `data` (FIPS 180-4), 32 raw bytes, through OpenSSL's EVP interface.
std::string Sha256(std::string_view data);

// a == b in time independent of where they differ (CRYPTO_memcmp); false when lengths differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The key of an `authorization` metadata value "Bearer <key>" (scheme case-insensitive, surrounding
// spaces ignored). Unauthenticated "malformed authorization metadata: expected 'Bearer <key>'"
// otherwise.
absl::StatusOr<std::string_view> BearerToken(std::string_view authorization);

// Key names: 1-63 characters of [a-z0-9_.-], starting with a letter or digit. InvalidArgument
// naming the rule otherwise.
absl::Status ValidateKeyName(std::string_view name);

// Lowercase hex of raw bytes.
std::string HexOf(std::string_view bytes);

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_API_KEY_H_
