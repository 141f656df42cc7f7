// An embedded PostgreSQL cluster owned by this process: liftd's default database when no
// --database-url is given, and the throwaway cluster of the test harness.
//
// Start() runs `initdb` on first use of `data_dir`, then starts `postgres` listening only on a
// private unix socket (no TCP), waits until it accepts connections and creates the database.
// When running as root the server runs as the `postgres` system user. The server is put in its own
// process group (Ctrl-C in a terminal does not reach it, so liftd can drain its queues first) and
// is told to shut down fast if the thread that started it dies, so a `kill -9` of liftd does not
// leave it orphaned. Stop() shuts it down (fast mode: in-flight transactions roll back, committed
// data is durable). The destructor calls Stop().
//
// Thread safety: not thread-safe; start and stop from the main thread.
#ifndef LIFT_SERVER_EMBEDDED_PG_EMBEDDED_POSTGRES_H_
#define LIFT_SERVER_EMBEDDED_PG_EMBEDDED_POSTGRES_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "server/embedded_pg/process.h"

namespace lift::embedded_pg {

struct EmbeddedPostgresOptions {
  std::string data_dir;                         // the cluster lives in data_dir (created if missing)
  std::string bin_dir = "/usr/lib/postgresql/15/bin";  // initdb, postgres
  std::string database = "lift";               // created on first start
  bool fsync = true;                            // false only for throwaway test clusters
  int port = 0;                                 // socket name's port; 0 picks one not in use
  bool stop_with_owner = true;                  // fast shutdown if the starting thread dies
};

class EmbeddedPostgres {
 public:
  // Initialises (if needed) and starts the cluster. Errors:
  //   FailedPrecondition — data_dir cannot be created or written, the PostgreSQL binaries are
  //     missing, root without a `postgres` user, or another server already runs on data_dir;
  //   Internal — initdb or postgres failed (the message quotes the end of their log).
  static absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> Start(EmbeddedPostgresOptions options);

  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // Fast shutdown; waits for the server to exit. Idempotent.
  absl::Status Stop();
  // Starts the server again after Stop() on the same socket and port (for outage tests).
  absl::Status Restart();
  bool running() const { return pid_ > 0; }
  // Gives up ownership: the server keeps running after this object is destroyed (the test
  // harness's fixture starts a cluster in one process and stops it from another with StopCluster).
  void Detach();
  // Fast shutdown of the server whose cluster lives in `data_dir` (as written by Start), by the pid
  // in its postmaster.pid. OK when no server runs there.
  static absl::Status StopCluster(const std::string& data_dir);

  // libpq connection string (key=value form) for `database`, or for another database on the cluster.
  std::string ConnectionString() const { return ConnectionString(options_.database); }
  std::string ConnectionString(const std::string& database) const;
  // postgresql:// URL form of ConnectionString(), for display and for --database-url.
  std::string Url() const;
  const std::string& data_dir() const { return options_.data_dir; }
  const std::string& log_path() const { return log_path_; }
  int port() const { return port_; }

 private:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {}
  absl::Status Initialize();
  absl::Status Launch();
  absl::Status CreateDatabaseIfMissing();

  EmbeddedPostgresOptions options_;
  std::optional<UserIdentity> run_as_;
  std::string cluster_dir_;  // data_dir/pg
  std::string socket_dir_;   // private directory under /tmp (unix socket paths are short)
  std::string log_path_;     // data_dir/postgres.log
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace lift::embedded_pg

#endif  // LIFT_SERVER_EMBEDDED_PG_EMBEDDED_POSTGRES_H_
