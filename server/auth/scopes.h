// The one table of which scope each RPC requires, and the authorisation rule that reads it.
//
// Scopes are `assign`, `ingest`, `read` and `admin`. They are not a hierarchy, except that `admin`
// may call every RPC (proto/lift/v1/auth.proto states the rule and lists the same table; the test
// tests/server/auth_scopes_test.cc checks that every method of every lift.v1 service appears here
// and that the two lists agree). `public` methods (Ping, health, reflection) need no key. A method
// missing from the table is refused: a new RPC cannot become callable by forgetting to declare it.
//
// Thread safety: everything here is immutable after static initialisation; thread-safe.
#ifndef LIFT_SERVER_AUTH_SCOPES_H_
#define LIFT_SERVER_AUTH_SCOPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lift::auth {

enum class Scope : uint8_t { kPublic = 0, kAssign = 1, kIngest = 2, kRead = 4, kAdmin = 8 };

// "public", "assign", "ingest", "read", "admin".
std::string_view ScopeName(Scope scope);

// The scope a key may hold: one of "assign", "ingest", "read", "admin" ("public" is not a key
// scope). InvalidArgument naming the accepted values otherwise.
absl::StatusOr<Scope> ParseKeyScope(std::string_view name);

// Every declared method: gRPC path ("/lift.v1.ExperimentService/CreateExperiment") and its scope.
const std::vector<std::pair<std::string_view, Scope>>& ScopeTable();

// The scope `path` requires; nullopt when the method is not in the table (it must be refused).
std::optional<Scope> RequiredScope(std::string_view path);

// Who is calling: an API key's name and its scopes (a bit set of Scope values).
struct Principal {
  std::string name;
  uint8_t scopes = 0;

  bool Holds(Scope scope) const { return (scopes & static_cast<uint8_t>(scope)) != 0; }
  // The scopes as names, sorted as assign, ingest, read, admin.
  std::vector<std::string> ScopeNames() const;
};

// Whether `principal` may call a method requiring `required` (`path` is for the message):
// OK when `required` is public, when the key holds it, or when it holds admin. Otherwise
// PermissionDenied naming the method, the scope it needs, and the key's name and scopes, e.g.
// "/lift.v1.ExperimentService/CreateExperiment requires scope 'admin'; API key 'flags' has
// scopes [assign]".
absl::Status Authorize(std::string_view path, Scope required, const Principal& principal);

// PermissionDenied for a method missing from the table.
absl::Status UndeclaredMethodError(std::string_view path);

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_SCOPES_H_
