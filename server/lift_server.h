// LiftServer: one running liftd — its database (embedded PostgreSQL or an external URL), the schema
// migrations, and the gRPC server with every Lift service, the standard health service and server
// reflection. main.cc only parses flags, calls Start and waits for a signal.
//
// Thread safety: Start/Shutdown from one (the main) thread; the services are thread-safe.
#ifndef LIFT_SERVER_LIFT_SERVER_H_
#define LIFT_SERVER_LIFT_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/ingest/fold_delay.h"

namespace lift {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // host:port, [v6]:port, or unix:/path
  std::string database_url;                // empty: start an embedded PostgreSQL in data_dir
  std::string data_dir = ".lift";          // embedded cluster lives in data_dir/pg
  std::string pg_bin_dir = "/usr/lib/postgresql/15/bin";
  // Security (proto/lift/v1/auth.proto). Default: API keys required.
  // Development only: no API keys checked, every call allowed (actor "anonymous").
  bool insecure_no_auth = false;
  // First start only (no keys yet): install this key (lift_<8 hex>_<64 hex>) as admin key
  // 'bootstrap-admin' instead of generating one. From LIFT_BOOTSTRAP_ADMIN_KEY.
  std::string bootstrap_admin_key;
  // TLS when both are set (PEM files); mutual TLS (client certificates required and verified
  // against this CA) when tls_client_ca_file is set too.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Admin-scope RPCs per second per API key (bursts of twice that); 0 disables the limit.
  double admin_rate_limit = 20;
  // Rows each ingest queue (exposures, metric events) holds while waiting for the database before
  // LogExposures / LogEvents answer RESOURCE_EXHAUSTED (back-pressure; ~700 bytes per row).
  size_t ingest_queue_rows = 200'000;
  // How long acknowledged exposures wait before the background folder merges them into
  // first_exposures (ingest/first_exposure_folder.h); readouts fold whatever is left first.
  std::chrono::milliseconds exposure_fold_delay = ingest::kDefaultFoldDelay;
  // How often finished days of running (and just stopped) experiments are aggregated and stored
  // for readout time series (readout/snapshot_scheduler.h); the first run is one interval after
  // start. 0 disables it (time series then aggregate missing days on request).
  std::chrono::seconds snapshot_interval{600};
};

class LiftServer {
 public:
  // Checks the listen address, brings up the database, migrates it and starts serving.
  // Errors (each message is one line a person can act on):
  //   InvalidArgument — malformed listen address;
  //   FailedPrecondition — port in use, data_dir unusable, schema dirty or newer than this binary;
  //   Unavailable — the database at database_url cannot be reached.
  static absl::StatusOr<std::unique_ptr<LiftServer>> Start(const ServerOptions& options);

  ~LiftServer();
  LiftServer(const LiftServer&) = delete;
  LiftServer& operator=(const LiftServer&) = delete;

  // Stops accepting RPCs, lets in-flight ones finish (up to a deadline), then stops the database
  // it owns. Idempotent.
  void Shutdown();

  // The address actually bound (port resolved when listening on port 0).
  const std::string& listen_address() const;
  // "embedded PostgreSQL in DIR" or the redacted external URL.
  const std::string& database_description() const;
  int64_t schema_version() const;
  // The admin key generated on this (first) start, to print once; empty otherwise.
  const std::string& generated_bootstrap_key() const;
  // "api-keys" or "insecure-no-auth"; "tls", "mutual-tls" or "plaintext".
  std::string security_description() const;

 private:
  struct State;
  explicit LiftServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace lift

#endif  // LIFT_SERVER_LIFT_SERVER_H_
