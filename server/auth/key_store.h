// KeyStore: the api_keys table (migrations/0008_api_keys.up.sql) and the audit entries of key
// operations. Every statement is parameterised; secrets never reach the database, only SHA-256.
//
// Errors follow store::ConnectionPool (Unavailable when the database is down, AlreadyExists for a
// name used before, ...), with messages naming the key.
//
// Thread safety: thread-safe (the pool is).
#ifndef LIFT_SERVER_AUTH_KEY_STORE_H_
#define LIFT_SERVER_AUTH_KEY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/auth/api_key.h"
#include "server/auth/scopes.h"
#include "server/store/connection_pool.h"

namespace lift::auth {

// The actor of changes liftd makes itself (the bootstrap key).
inline constexpr char kSystemActor[] = "system";

struct ApiKeyRecord {
  std::string name;
  std::string prefix;
  std::string sha256_hex;  // SHA-256 of the whole key, lowercase hex
  uint8_t scopes = 0;      // bit set of Scope
  int64_t created_at_micros = 0;
  std::string created_by;
  int64_t revoked_at_micros = 0;  // 0 while active
  std::string revoked_by;
};

// What liftd did about the bootstrap admin key at start-up.
struct BootstrapResult {
  // The generated key, to print once; empty when none was generated.
  std::string generated_token;
  // A line for the log: what happened.
  std::string summary;
};

class KeyStore {
 public:
  explicit KeyStore(store::ConnectionPool* pool) : pool_(pool) {}

  // Stores `material` as key `name` with `scopes` (bit set, non-empty), created by `actor`, and
  // audits "api_key.create". InvalidArgument for a bad name or empty scopes; AlreadyExists when the
  // name (or, astronomically unlikely, the prefix) was used before.
  absl::StatusOr<ApiKeyRecord> Create(const std::string& name, uint8_t scopes,
                                      const KeyMaterial& material, const std::string& actor);

  // Active keys by name, then (when asked) revoked ones.
  absl::StatusOr<std::vector<ApiKeyRecord>> List(bool include_revoked);

  // Revokes the key `name` and audits "api_key.revoke". NotFound / FailedPrecondition (already
  // revoked).
  absl::StatusOr<ApiKeyRecord> Revoke(const std::string& name, const std::string& actor);

  // The key whose prefix is `prefix` (revoked or not), or nullopt.
  absl::StatusOr<std::optional<ApiKeyRecord>> FindByPrefix(const std::string& prefix);

  // On a database with no keys at all (first start), installs an admin key named
  // "bootstrap-admin": `provided_token` when not empty (InvalidArgument when malformed), otherwise
  // a fresh one returned in generated_token. With keys present nothing changes. Runs under a table
  // lock, so concurrent first starts of several replicas create one key.
  absl::StatusOr<BootstrapResult> Bootstrap(const std::string& provided_token);

 private:
  store::ConnectionPool* pool_;
};

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_KEY_STORE_H_
