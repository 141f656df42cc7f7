#include "tests/support/test_cluster.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/store/migrations.h"

namespace lift::testing {
namespace {

namespace fs = std::filesystem;

// The in-process fallback cluster; destroyed (stopped, removed) at exit.
struct OwnedCluster {
  fs::path directory;
  std::unique_ptr<embedded_pg::EmbeddedPostgres> postgres;
  ~OwnedCluster() {
    postgres.reset();
    std::error_code error;
    fs::remove_all(directory, error);
  }
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "test harness: " << message << std::endl;
  std::abort();
}

std::string ResolveClusterBase() {
  if (const char* conninfo = std::getenv("LIFT_TEST_PG_CONNINFO"); conninfo && *conninfo) {
    return conninfo;
  }
  if (const char* dir = std::getenv("LIFT_TEST_CLUSTER_DIR"); dir && *dir) {
    std::ifstream in(fs::path(dir) / "connection");
    std::string base;
    if (std::getline(in, base) && !base.empty()) return base;
  }
  static OwnedCluster owned;
  char pattern[] = "/tmp/lift-test-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) Fail("cannot create a temporary directory for PostgreSQL");
  owned.directory = pattern;
  embedded_pg::EmbeddedPostgresOptions options;
  options.data_dir = owned.directory.string();
  options.database = "postgres";
  options.fsync = false;
  auto started = embedded_pg::EmbeddedPostgres::Start(options);
  if (!started.ok()) Fail("cannot start a PostgreSQL cluster: " + started.status().ToString());
  owned.postgres = std::move(*started);
  const std::string with_db = owned.postgres->ConnectionString("postgres");
  return with_db.substr(0, with_db.rfind(" dbname="));
}

}  // namespace

const std::string& ClusterConnectionBase() {
  static const std::string base = ResolveClusterBase();
  return base;
}

TestDatabase::TestDatabase(Schema schema) {
  static std::atomic<int> counter{0};
  name_ = absl::StrCat("lift_test_", getpid(), "_", counter++);
  const std::string& base = ClusterConnectionBase();
  try {
    pqxx::connection admin(base + " dbname=postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  } catch (const std::exception& e) {
    Fail(absl::StrCat("cannot create database ", name_, ": ", e.what()));
  }
  connection_string_ = absl::StrCat(base, " dbname=", name_);
  if (schema == Schema::kMigrated) {
    auto migrated = store::Migrate(connection_string_);
    if (!migrated.ok()) Fail("cannot migrate " + name_ + ": " + migrated.status().ToString());
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(ClusterConnectionBase() + " dbname=postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::cerr << "test harness: could not drop " << name_ << ": " << e.what() << std::endl;
  }
}

}  // namespace lift::testing
