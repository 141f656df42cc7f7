// Schema migrations: numbered SQL files from migrations/ (embedded into the binary at build time),
// applied in order at start-up, in the manner of golang-migrate.
//
// State lives in `schema_migrations(version, dirty)` (one row). Migrate() takes a session advisory
// lock so concurrent liftd replicas apply each migration once. Each migration runs in one transaction
// together with its version bump, so a failure leaves the schema at the previous version; a file whose
// first line contains `lift:no-transaction` runs outside a transaction and leaves the row dirty if it
// fails. Thread-compatible.
#ifndef LIFT_SERVER_STORE_MIGRATIONS_H_
#define LIFT_SERVER_STORE_MIGRATIONS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lift::store {

struct Migration {
  int64_t version = 0;       // NNNN of NNNN_name.up.sql
  std::string name;          // e.g. "init"
  std::string up_sql;
  std::string down_sql;
};

// The migrations compiled into this binary, ascending by version (generated from migrations/).
const std::vector<Migration>& EmbeddedMigrations();

// Applies every migration newer than the database's version. Returns the resulting version.
// Errors: Unavailable — cannot connect (the message names the database, never a password);
// FailedPrecondition — the schema is dirty, or newer than the newest migration known here;
// Internal — a migration failed (the message names it and quotes PostgreSQL's error).
absl::StatusOr<int64_t> Migrate(const std::string& connection_string,
                                const std::vector<Migration>& migrations = EmbeddedMigrations());

// Reverts migrations down to `target_version` (0 reverts everything). For tests and operators.
absl::StatusOr<int64_t> MigrateDown(const std::string& connection_string, int64_t target_version,
                                    const std::vector<Migration>& migrations = EmbeddedMigrations());

// A connection string safe to print: the password of a URL or key=value string is masked.
std::string RedactConnectionString(std::string_view connection_string);

}  // namespace lift::store

#endif  // LIFT_SERVER_STORE_MIGRATIONS_H_
