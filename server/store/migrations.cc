#include "server/store/migrations.h"

#include <optional>
#include <regex>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lift::store {
namespace {

// Session advisory lock key shared by every liftd that migrates the same database ("lift").
constexpr int64_t kMigrationLockKey = 0x6C696674;

struct SchemaState {
  int64_t version = 0;
  bool dirty = false;
};

std::string MigrationLabel(const Migration& migration) {
  return absl::StrFormat("%04d_%s", migration.version, migration.name);
}

bool RunsOutsideTransaction(const std::string& sql) {
  const std::string first_line = sql.substr(0, sql.find('\n'));
  return first_line.find("lift:no-transaction") != std::string::npos;
}

SchemaState ReadState(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version bigint NOT NULL, dirty boolean NOT NULL)");
  pqxx::result rows = tx.exec("SELECT version, dirty FROM schema_migrations LIMIT 1");
  if (rows.empty()) return {};
  return {rows[0][0].as<int64_t>(), rows[0][1].as<bool>()};
}

void WriteState(pqxx::transaction_base& tx, int64_t version, bool dirty) {
  tx.exec("DELETE FROM schema_migrations");
  tx.exec_params("INSERT INTO schema_migrations (version, dirty) VALUES ($1, $2)", version, dirty);
}

// Runs `sql` and records `version_after` atomically, or (for lift:no-transaction files) between
// two dirty-flag updates.
void Apply(pqxx::connection& conn, const std::string& sql, int64_t version_before,
           int64_t version_after) {
  if (!RunsOutsideTransaction(sql)) {
    pqxx::work tx(conn);
    tx.exec(sql);
    WriteState(tx, version_after, false);
    tx.commit();
    return;
  }
  {
    pqxx::work tx(conn);
    WriteState(tx, std::max(version_before, version_after), true);
    tx.commit();
  }
  {
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
  }
  pqxx::work tx(conn);
  WriteState(tx, version_after, false);
  tx.commit();
}

// libpq's messages span several lines; start-up errors must be one line.
std::string OneLine(std::string text) {
  static const std::regex kBreaks(R"(\s*\n\s*)");
  text = std::regex_replace(text, kBreaks, " ");
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Opens a connection and takes the migration lock; the lock goes with the connection.
absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectAndLock(const std::string& cs) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(cs);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot connect to the database ",
                                               RedactConnectionString(cs), ": ", OneLine(e.what())));
  }
  pqxx::nontransaction tx(*conn);
  tx.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  return conn;
}

template <typename Body>
absl::StatusOr<int64_t> WithLockedSchema(const std::string& cs, const std::vector<Migration>& known,
                                         Body body) {
  auto conn = ConnectAndLock(cs);
  if (!conn.ok()) return conn.status();
  try {
    const SchemaState state = ReadState(**conn);
    if (state.dirty) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the database schema is dirty at version ", state.version,
          " (a migration failed half-way): repair it by hand, then run "
          "`UPDATE schema_migrations SET dirty = false`"));
    }
    const int64_t newest = known.empty() ? 0 : known.back().version;
    if (state.version > newest) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database schema is at version ", state.version,
                       ", newer than this liftd knows (", newest, "): upgrade liftd"));
    }
    return body(**conn, state.version);
  } catch (const std::exception& e) {
    return absl::InternalError(e.what());
  }
}

}  // namespace

absl::StatusOr<int64_t> Migrate(const std::string& connection_string,
                                const std::vector<Migration>& migrations) {
  return WithLockedSchema(
      connection_string, migrations,
      [&](pqxx::connection& conn, int64_t version) -> absl::StatusOr<int64_t> {
        for (const Migration& migration : migrations) {
          if (migration.version <= version) continue;
          try {
            Apply(conn, migration.up_sql, version, migration.version);
          } catch (const std::exception& e) {
            return absl::InternalError(
                absl::StrCat("migration ", MigrationLabel(migration), " failed: ", e.what()));
          }
          version = migration.version;
        }
        return version;
      });
}

absl::StatusOr<int64_t> MigrateDown(const std::string& connection_string, int64_t target_version,
                                    const std::vector<Migration>& migrations) {
  return WithLockedSchema(
      connection_string, migrations,
      [&](pqxx::connection& conn, int64_t version) -> absl::StatusOr<int64_t> {
        for (auto it = migrations.rbegin(); it != migrations.rend(); ++it) {
          if (it->version > version || it->version <= target_version) continue;
          const int64_t previous = std::next(it) == migrations.rend() ? 0 : std::next(it)->version;
          try {
            Apply(conn, it->down_sql, version, previous);
          } catch (const std::exception& e) {
            return absl::InternalError(
                absl::StrCat("down migration ", MigrationLabel(*it), " failed: ", e.what()));
          }
          version = previous;
        }
        return version;
      });
}

std::string RedactConnectionString(std::string_view connection_string) {
  std::string text(connection_string);
  // URL form: scheme://user:password@host
  static const std::regex kUrlPassword(R"(^([a-z]+://[^:/@]*):[^@/]*@)");
  text = std::regex_replace(text, kUrlPassword, "$1:***@");
  // key=value form and URL query parameter
  static const std::regex kKeyPassword(R"((password=)('[^']*'|[^ &]*))");
  return std::regex_replace(text, kKeyPassword, "$1***");
}

}  // namespace lift::store
