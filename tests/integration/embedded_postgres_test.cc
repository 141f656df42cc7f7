// The embedded PostgreSQL that liftd owns: first start (initdb), data surviving a restart,
// refusal to share a data directory, and clear errors for unusable directories.
#include "server/embedded_pg/embedded_postgres.h"

#include <signal.h>

#include <fstream>
#include <thread>

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/liftd_process.h"

namespace lift::embedded_pg {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

EmbeddedPostgresOptions OptionsIn(const TempDir& dir) {
  EmbeddedPostgresOptions options;
  options.data_dir = (dir.path() / "data").string();
  options.fsync = false;
  return options;
}

TEST(EmbeddedPostgresTest, StartsCreatesDatabaseAndKeepsDataAcrossRestarts) {
  TempDir dir;
  {
    auto pg = EmbeddedPostgres::Start(OptionsIn(dir));
    ASSERT_TRUE(pg.ok()) << pg.status();
    pqxx::connection conn((*pg)->ConnectionString());
    pqxx::work tx(conn);
    EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), "lift");
    tx.exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
    tx.commit();
    EXPECT_THAT((*pg)->Url(), HasSubstr("postgresql://postgres@/lift?host=%2Ftmp%2Flift-pg-"));
  }
  auto pg = EmbeddedPostgres::Start(OptionsIn(dir));
  ASSERT_TRUE(pg.ok()) << pg.status();
  pqxx::connection conn((*pg)->ConnectionString());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT v FROM kept")[0].as<int>(), 42);
}

TEST(EmbeddedPostgresTest, StopAndRestartOnTheSameSocket) {
  TempDir dir;
  auto pg = EmbeddedPostgres::Start(OptionsIn(dir));
  ASSERT_TRUE(pg.ok()) << pg.status();
  const std::string cs = (*pg)->ConnectionString();
  ASSERT_TRUE((*pg)->Stop().ok());
  EXPECT_FALSE((*pg)->running());
  EXPECT_THROW(pqxx::connection{cs}, pqxx::broken_connection);
  ASSERT_TRUE((*pg)->Restart().ok());
  pqxx::connection conn(cs);
  EXPECT_TRUE(conn.is_open());
}

TEST(EmbeddedPostgresTest, RefusesADataDirectoryAnotherServerUses) {
  TempDir dir;
  auto first = EmbeddedPostgres::Start(OptionsIn(dir));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = EmbeddedPostgres::Start(OptionsIn(dir));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("is another liftd using the same --data-dir"));
}

TEST(EmbeddedPostgresTest, DataDirUnderAFileIsFailedPrecondition) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  EmbeddedPostgresOptions options;
  options.data_dir = (dir.path() / "file" / "data").string();
  auto pg = EmbeddedPostgres::Start(options);
  EXPECT_EQ(pg.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pg.status().message(), HasSubstr("cannot create data directory"));
}

TEST(EmbeddedPostgresTest, MissingBinariesNameThePackage) {
  TempDir dir;
  auto options = OptionsIn(dir);
  options.bin_dir = "/nonexistent/bin";
  auto pg = EmbeddedPostgres::Start(options);
  EXPECT_EQ(pg.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pg.status().message(), HasSubstr("install postgresql-15"));
}

TEST(EmbeddedPostgresTest, ServerShutsDownWhenItsOwnerIsKilled) {
  TempDir dir;
  // liftd owns the cluster; SIGKILL gives it no chance to stop PostgreSQL itself.
  auto liftd = testing::LiftdProcess::Start({"--data-dir", (dir.path() / "data").string()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  const auto pid_file = dir.path() / "data" / "pg" / "postmaster.pid";
  ASSERT_TRUE(std::filesystem::exists(pid_file));
  pid_t postmaster = 0;
  std::ifstream(pid_file) >> postmaster;
  ASSERT_GT(postmaster, 0);
  EXPECT_EQ((*liftd)->StopWith(SIGKILL), 128 + SIGKILL);
  // The parent-death signal makes PostgreSQL shut down by itself; wait (bounded) for that.
  for (int i = 0; i < 600 && kill(postmaster, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(kill(postmaster, 0), 0) << "PostgreSQL outlived the liftd that owned it";
  // And a new liftd can take the directory over.
  auto again = testing::LiftdProcess::Start({"--data-dir", (dir.path() / "data").string()});
  EXPECT_TRUE(again.ok()) << again.status();
}

}  // namespace
}  // namespace lift::embedded_pg
