#include "server/auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace lift::auth {
namespace {

constexpr std::string_view kKeyPrefix = "lift_";
constexpr size_t kSecretHexDigits = 2 * kKeySecretBytes;
constexpr size_t kTokenLength = kKeyPrefix.size() + kKeyPrefixHexDigits + 1 + kSecretHexDigits;

// Debian's Abseil has its own string_view: convert before calling absl functions.
absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<KeyMaterial> GenerateKey() {
  unsigned char random[kKeyPrefixHexDigits / 2 + kKeySecretBytes];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("cannot generate an API key: OpenSSL's RAND_bytes failed");
  }
  const std::string_view bytes(reinterpret_cast<const char*>(random), sizeof(random));
  KeyMaterial key;
  key.prefix = HexOf(bytes.substr(0, kKeyPrefixHexDigits / 2));
  key.token =
      absl::StrCat(Absl(kKeyPrefix), key.prefix, "_", HexOf(bytes.substr(kKeyPrefixHexDigits / 2)));
  key.sha256 = Sha256(key.token);
  OPENSSL_cleanse(random, sizeof(random));
  return key;
}

absl::StatusOr<std::string> KeyPrefix(std::string_view token) {
  if (token.size() != kTokenLength || token.substr(0, kKeyPrefix.size()) != kKeyPrefix ||
      token[kKeyPrefix.size() + kKeyPrefixHexDigits] != '_' ||
      !IsLowerHex(token.substr(kKeyPrefix.size(), kKeyPrefixHexDigits)) ||
      !IsLowerHex(token.substr(kKeyPrefix.size() + kKeyPrefixHexDigits + 1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("API key must look like lift_<8 hex digits>_<64 hex digits> (", kTokenLength,
                     " characters), got ", token.size(), " characters that do not match"));
  }
  return std::string(token.substr(kKeyPrefix.size(), kKeyPrefixHexDigits));
}

absl::StatusOr<KeyMaterial> MaterialOf(std::string_view token) {
  absl::StatusOr<std::string> prefix = KeyPrefix(token);
  if (!prefix.ok()) return prefix.status();
  return KeyMaterial{std::string(token), *prefix, Sha256(token)};
}

absl::StatusOr<std::string_view> BearerToken(std::string_view authorization) {
  std::string_view value = Trim(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(Absl(value.substr(0, kScheme.size())), Absl(kScheme))) {
    return absl::UnauthenticatedError("malformed authorization metadata: expected 'Bearer <key>'");
  }
  value = Trim(value.substr(kScheme.size()));
  if (value.empty()) {
    return absl::UnauthenticatedError("malformed authorization metadata: expected 'Bearer <key>'");
  }
  return value;
}

absl::Status ValidateKeyName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '_' || c == '.' || c == '-'));
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "name must be 1-63 characters of [a-z0-9_.-] starting with a letter or digit, got '",
      Absl(name), "'"));
}

}  // namespace lift::auth
