// Schema migrations against a real PostgreSQL (the harness's throwaway cluster).
#include "server/store/migrations.h"

#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_cluster.h"

namespace lift::store {
namespace {

using ::testing::HasSubstr;
using testing::TestDatabase;

std::vector<Migration> TwoMigrations() {
  return {
      {1, "first", "CREATE TABLE t1 (id int PRIMARY KEY);", "DROP TABLE t1;"},
      {2, "second", "CREATE TABLE t2 (id int PRIMARY KEY);", "DROP TABLE t2;"},
  };
}

int64_t CountTables(const std::string& cs, const std::string& like) {
  pqxx::connection conn(cs);
  pqxx::nontransaction tx(conn);
  return tx.exec_params1("SELECT count(*) FROM pg_tables WHERE tablename LIKE $1", like)[0]
      .as<int64_t>();
}

void SetState(const std::string& cs, int64_t version, bool dirty) {
  pqxx::connection conn(cs);
  pqxx::work tx(conn);
  tx.exec("DELETE FROM schema_migrations");
  tx.exec_params("INSERT INTO schema_migrations VALUES ($1, $2)", version, dirty);
  tx.commit();
}

TEST(MigrationsTest, AppliesInOrderAndIsIdempotent) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  auto version = Migrate(db.connection_string(), TwoMigrations());
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 2);
  EXPECT_EQ(CountTables(db.connection_string(), "t_"), 2);
  auto again = Migrate(db.connection_string(), TwoMigrations());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 2);
}

TEST(MigrationsTest, EmbeddedMigrationsApplyAndRevertCleanly) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  const auto& embedded = EmbeddedMigrations();
  ASSERT_FALSE(embedded.empty());
  EXPECT_EQ(embedded.front().version, 1);
  EXPECT_EQ(embedded.front().name, "init");
  auto up = Migrate(db.connection_string());
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(*up, embedded.back().version);
  EXPECT_EQ(CountTables(db.connection_string(), "audit_log"), 1);
  auto down = MigrateDown(db.connection_string(), 0);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(*down, 0);
  EXPECT_EQ(CountTables(db.connection_string(), "audit_log"), 0);
  auto up_again = Migrate(db.connection_string());
  ASSERT_TRUE(up_again.ok()) << up_again.status();
  EXPECT_EQ(*up_again, embedded.back().version);
}

TEST(MigrationsTest, RefusesDirtySchema) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  ASSERT_TRUE(Migrate(db.connection_string(), TwoMigrations()).ok());
  SetState(db.connection_string(), 2, true);
  auto result = Migrate(db.connection_string(), TwoMigrations());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("schema is dirty at version 2"));
}

TEST(MigrationsTest, RefusesSchemaNewerThanBinary) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  ASSERT_TRUE(Migrate(db.connection_string(), TwoMigrations()).ok());
  SetState(db.connection_string(), 7, false);
  auto result = Migrate(db.connection_string(), TwoMigrations());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("version 7, newer than this liftd knows (2)"));
}

TEST(MigrationsTest, FailedMigrationRollsBackAndKeepsPreviousVersion) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  auto migrations = TwoMigrations();
  migrations[1].up_sql = "CREATE TABLE t2 (id int); SELECT no_such_function();";
  auto result = Migrate(db.connection_string(), migrations);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("migration 0002_second failed"));
  EXPECT_THAT(result.status().message(), HasSubstr("no_such_function"));
  EXPECT_EQ(CountTables(db.connection_string(), "t2"), 0);  // rolled back with its transaction
  auto fixed = Migrate(db.connection_string(), TwoMigrations());
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(*fixed, 2);
}

TEST(MigrationsTest, NonTransactionalMigrationThatFailsLeavesSchemaDirty) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  auto migrations = TwoMigrations();
  migrations[1].up_sql = "-- lift:no-transaction\nCREATE INDEX CONCURRENTLY i ON missing (id);";
  EXPECT_EQ(Migrate(db.connection_string(), migrations).status().code(),
            absl::StatusCode::kInternal);
  auto result = Migrate(db.connection_string(), TwoMigrations());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("dirty"));
}

TEST(MigrationsTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  // Not idempotent on purpose: a second application would fail on the duplicate table.
  std::vector<absl::StatusOr<int64_t>> results(4, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = Migrate(db.connection_string(), TwoMigrations()); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, 2);
  }
}

TEST(MigrationsTest, UnreachableDatabaseIsUnavailableWithRedactedUrl) {
  auto result = Migrate("postgresql://lift:hunter2@127.0.0.1:1/lift?connect_timeout=2");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("postgresql://lift:***@127.0.0.1:1/lift"));
  EXPECT_THAT(result.status().message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(RedactConnectionStringTest, MasksPasswordsInBothForms) {
  EXPECT_EQ(RedactConnectionString("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
  EXPECT_EQ(RedactConnectionString("host=h password=pw dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(RedactConnectionString("postgres://h/db?password=pw&sslmode=require"),
            "postgres://h/db?password=***&sslmode=require");
  EXPECT_EQ(RedactConnectionString("postgres://u@h/db"), "postgres://u@h/db");
}

}  // namespace
}  // namespace lift::store
