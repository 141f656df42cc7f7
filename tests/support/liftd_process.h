// Runs the real liftd binary for end-to-end and fault-injection tests: a child process with its
// output captured to a file, a free port, and a readiness wait that calls Ping over a real channel.
// The child gets SIGTERM if the test process dies. Not thread-safe; one object per process.
#ifndef LIFT_TESTS_SUPPORT_LIFTD_PROCESS_H_
#define LIFT_TESTS_SUPPORT_LIFTD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lift::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int FreePort();

// A fresh directory under /tmp, removed (with its contents) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// How a test wants liftd started (security; see proto/lift/v1/auth.proto).
struct LiftdOptions {
  // false (the default): `--insecure-no-auth` is added unless args already hold it, so tests that
  // are not about security need no API keys. true: API keys are required (and on a database
  // without keys liftd prints its bootstrap admin key, see Output()).
  bool auth = false;
  // When liftd serves TLS (--tls-cert/--tls-key): the CA that signed its certificate, and for
  // mutual TLS a client certificate and key, for the readiness Ping.
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::chrono::seconds ready_timeout = std::chrono::seconds(60);
};

class LiftdProcess {
 public:
  // Starts `liftd --listen 127.0.0.1:<free port> <args>` and waits up to `ready_timeout` for Ping
  // to answer. FailedPrecondition (with liftd's output) if it exits or never answers. Adds
  // `--insecure-no-auth` (LiftdOptions::auth is false).
  static absl::StatusOr<std::unique_ptr<LiftdProcess>> Start(
      std::vector<std::string> args,
      std::chrono::seconds ready_timeout = std::chrono::seconds(60));
  static absl::StatusOr<std::unique_ptr<LiftdProcess>> Start(std::vector<std::string> args,
                                                             const LiftdOptions& options);

  // Runs liftd with exactly `args` until it exits (at most `timeout`), for start-up failures.
  // Returns the exit code and everything it printed.
  struct Exit {
    int code = -1;
    std::string output;
  };
  static Exit RunToExit(std::vector<std::string> args,
                        std::chrono::seconds timeout = std::chrono::seconds(60));

  ~LiftdProcess();  // SIGKILL if still running

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for exit; the exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> StopWith(int signal, std::chrono::seconds timeout = std::chrono::seconds(60));
  std::string Output() const;  // everything liftd printed so far

 private:
  LiftdProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  std::filesystem::path output_path_;
  std::unique_ptr<TempDir> output_dir_;
};

// Runs the real liftctl binary with `--server server args...` to completion; its exit code and
// everything it printed (stdout and stderr).
struct CommandResult {
  int code = -1;
  std::string output;
};
CommandResult RunLiftctl(const std::string& server, const std::vector<std::string>& args);

}  // namespace lift::testing

#endif  // LIFT_TESTS_SUPPORT_LIFTD_PROCESS_H_
