#include "server/auth/authenticator.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace lift::auth {
namespace {

constexpr size_t kMaxCachedPrefixes = 100'000;

absl::Status UnknownKey() {
  return absl::UnauthenticatedError(
      "unknown API key: no key with this prefix and secret exists (create one with 'liftctl keys "
      "create')");
}

}  // namespace

Authenticator::Authenticator(Lookup lookup, AuthenticatorOptions options)
    : lookup_(std::move(lookup)), options_(std::move(options)) {}

absl::StatusOr<Principal> Authenticator::Decide(const std::optional<ApiKeyRecord>& key,
                                                std::string_view token) const {
  if (!key.has_value() || !ConstantTimeEquals(HexOf(Sha256(token)), key->sha256_hex)) {
    return UnknownKey();
  }
  if (key->revoked_at_micros != 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("API key '", key->name, "' was revoked by ", key->revoked_by));
  }
  return Principal{key->name, key->scopes};
}

std::optional<absl::StatusOr<Principal>> Authenticator::VerifyCached(std::string_view token) {
  absl::StatusOr<std::string> prefix = KeyPrefix(token);
  if (!prefix.ok()) {
    return absl::StatusOr<Principal>(absl::UnauthenticatedError(prefix.status().message()));
  }
  const auto now = options_.now();
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = cache_.find(*prefix);
  if (it == cache_.end() || now - it->second.checked_at >= options_.ttl) return std::nullopt;
  return Decide(it->second.key, token);
}

absl::StatusOr<Principal> Authenticator::VerifyBlocking(std::string_view token) {
  if (auto cached = VerifyCached(token)) return *std::move(cached);
  const std::string prefix = *KeyPrefix(token);  // VerifyCached checked the format
  const auto now = options_.now();
  std::optional<Entry> stale;
  bool blocked = false;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    if (auto it = cache_.find(prefix); it != cache_.end()) stale = it->second;
    blocked = now < lookups_blocked_until_;
  }
  absl::Status failure;
  if (!blocked) {
    absl::StatusOr<std::optional<ApiKeyRecord>> found = lookup_(prefix);
    if (found.ok()) {
      std::unique_lock<std::shared_mutex> lock(mutex_);
      if (cache_.size() >= kMaxCachedPrefixes) cache_.clear();
      cache_[prefix] = Entry{*found, options_.now()};
      if (found->has_value()) names_[prefix] = (*found)->name;
      return Decide(*found, token);
    }
    failure = found.status();
    std::unique_lock<std::shared_mutex> lock(mutex_);
    lookups_blocked_until_ = options_.now() + options_.retry_after_failure;
  } else {
    failure = absl::UnavailableError("the database did not answer a moment ago");
  }
  // The database did not answer: a key verified (valid) recently keeps working.
  if (stale.has_value() && stale->key.has_value() && stale->key->revoked_at_micros == 0 &&
      now - stale->checked_at < options_.grace) {
    absl::StatusOr<Principal> principal = Decide(stale->key, token);
    if (principal.ok()) {
      SPDLOG_DEBUG("API key '{}' accepted from cache: {}", principal->name,
                   std::string(failure.message()));
      return principal;
    }
  }
  spdlog::warn("cannot verify API key {}...: {}", prefix, std::string(failure.message()));
  return absl::UnavailableError(
      "cannot verify the API key now: the database is unreachable; retry shortly");
}

std::optional<std::string> Authenticator::NameOf(const std::string& prefix) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = names_.find(prefix);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

void Authenticator::Invalidate(const std::string& prefix) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  cache_.erase(prefix);
}

}  // namespace lift::auth
