// The test harness's PostgreSQL: one throwaway cluster per test run, a fresh database per test.
//
// Where the cluster comes from, in order: LIFT_TEST_PG_CONNINFO (libpq key=value settings without
// dbname, for an existing server); the cluster that ctest's `lift_test_cluster` fixture started in
// LIFT_TEST_CLUSTER_DIR; otherwise an embedded cluster started on first use inside this process (in
// a temporary directory, removed at exit), so a test binary also runs on its own.
//
// TestDatabase creates a uniquely named database (migrated to the newest schema unless asked not
// to) and drops it when destroyed. Thread-safe.
#ifndef LIFT_TESTS_SUPPORT_TEST_CLUSTER_H_
#define LIFT_TESTS_SUPPORT_TEST_CLUSTER_H_

#include <string>

namespace lift::testing {

// libpq key=value settings (host, port, user) of the shared cluster, without dbname. Aborts the
// test binary with a clear message when no cluster can be had.
const std::string& ClusterConnectionBase();

// Restartable handle on the in-process cluster (for outage tests). Null when the cluster is shared
// (fixture or external): tests that stop the database must start their own EmbeddedPostgres.
class TestDatabase {
 public:
  enum class Schema { kMigrated, kEmpty };
  explicit TestDatabase(Schema schema = Schema::kMigrated);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // libpq key=value connection string for this database.
  const std::string& connection_string() const { return connection_string_; }

 private:
  std::string name_;
  std::string connection_string_;
};

}  // namespace lift::testing

#endif  // LIFT_TESTS_SUPPORT_TEST_CLUSTER_H_
