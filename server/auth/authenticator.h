// Authenticator: turns an API key into a Principal (name and scopes), with a short-lived cache so
// the hot path (Assign) does not query PostgreSQL per call.
//
// A verification result (key valid, revoked, or unknown) is trusted for `ttl` (5 s): revoking a key
// takes effect on every liftd within that time. When a lookup fails because the database is
// unreachable, a key that verified successfully within `grace` (10 min) keeps working, so Assign
// survives a database outage; unknown keys are refused (UNAVAILABLE) until the database answers.
// The key itself is never stored: the cache holds SHA-256 digests and compares them in constant
// time.
//
// Thread safety: thread-safe. VerifyCached never blocks on I/O; VerifyBlocking may wait for the
// database (run it off gRPC's threads).
#ifndef LIFT_SERVER_AUTH_AUTHENTICATOR_H_
#define LIFT_SERVER_AUTH_AUTHENTICATOR_H_

#include <chrono>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "server/auth/key_store.h"
#include "server/auth/scopes.h"

namespace lift::auth {

struct AuthenticatorOptions {
  std::chrono::steady_clock::duration ttl = std::chrono::seconds(5);
  std::chrono::steady_clock::duration grace = std::chrono::minutes(10);
  // After a failed lookup, lookups are not retried for this long (calls use the grace rule), so
  // an unreachable database does not make every call wait for a connection timeout.
  std::chrono::steady_clock::duration retry_after_failure = std::chrono::seconds(1);
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
};

class Authenticator {
 public:
  // Finds a key's row by prefix (KeyStore::FindByPrefix in liftd; a fake in tests).
  using Lookup =
      std::function<absl::StatusOr<std::optional<ApiKeyRecord>>(const std::string& prefix)>;

  explicit Authenticator(Lookup lookup, AuthenticatorOptions options = {});

  // The answer from the cache when it is fresh enough: the Principal, or Unauthenticated for a
  // malformed, unknown or revoked key. nullopt when the database must be asked (VerifyBlocking).
  std::optional<absl::StatusOr<Principal>> VerifyCached(std::string_view token);

  // Like VerifyCached, asking the database when needed. Unavailable when the database cannot be
  // reached and the grace rule does not apply.
  absl::StatusOr<Principal> VerifyBlocking(std::string_view token);

  // Forgets what is known about `prefix` (after a revocation through this liftd).
  void Invalidate(const std::string& prefix);

  // The name of the key with this prefix, if this process ever found it in the database (names and
  // prefixes never change, so this never expires). For ActorOf, on calls the interceptor accepted.
  std::optional<std::string> NameOf(const std::string& prefix) const;

 private:
  struct Entry {
    std::optional<ApiKeyRecord> key;  // nullopt: no key has this prefix
    std::chrono::steady_clock::time_point checked_at;
  };
  absl::StatusOr<Principal> Decide(const std::optional<ApiKeyRecord>& key,
                                   std::string_view token) const;

  const Lookup lookup_;
  const AuthenticatorOptions options_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;        // by prefix
  std::unordered_map<std::string, std::string> names_;  // prefix -> name, never cleared
  std::chrono::steady_clock::time_point lookups_blocked_until_{};
};

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_AUTHENTICATOR_H_
