// Child processes for the embedded PostgreSQL: run-to-completion commands (initdb) and long-lived
// servers (postgres). When liftd runs as root, children run as another user (PostgreSQL refuses
// root), with their working directory set to one that user can enter.
//
// Thread safety: the functions are thread-safe, but a long-lived child is tied to the *thread* that
// started it (it receives `parent_death_signal` when that thread exits), so start servers from the
// main thread.
#ifndef LIFT_SERVER_EMBEDDED_PG_PROCESS_H_
#define LIFT_SERVER_EMBEDDED_PG_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lift::embedded_pg {

// The account a child runs as. Resolved from a user name with LookUpUser.
struct UserIdentity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// NotFound when no such user exists.
absl::StatusOr<UserIdentity> LookUpUser(const std::string& name);

struct ProcessOptions {
  std::vector<std::string> argv;                // argv[0] is the executable's absolute path
  std::optional<UserIdentity> run_as;           // switch to this user (requires root)
  std::string working_directory = "/";          // chdir here before exec
  std::string output_path;                      // append stdout+stderr here; empty: /dev/null
  bool new_process_group = true;                // keep terminal signals (Ctrl-C) away from the child
  int parent_death_signal = 0;                  // signal sent to the child if the starting thread dies
};

// Runs a command to completion. Returns its exit code; Internal when it cannot be started or is
// killed by a signal. The command's output goes to `options.output_path`.
absl::StatusOr<int> RunToCompletion(const ProcessOptions& options);

// Starts a command and returns its pid without waiting. Internal when fork/exec fails.
absl::StatusOr<pid_t> StartProcess(const ProcessOptions& options);

// Waits up to `timeout` for `pid` to exit. Returns true when it exited (and was reaped).
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout);

// True while `pid` (a child of this process) has not exited. Reaps it when it has.
bool IsRunning(pid_t pid);

// The last `max_bytes` of a text file (for error messages quoting a log); empty if unreadable.
std::string ReadTail(const std::string& path, size_t max_bytes = 2000);

}  // namespace lift::embedded_pg

#endif  // LIFT_SERVER_EMBEDDED_PG_PROCESS_H_
