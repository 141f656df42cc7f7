#include "server/embedded_pg/process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace lift::embedded_pg {
namespace {

// Everything the child needs, prepared before fork() so the child only makes async-signal-safe calls.
struct PreparedExec {
  std::vector<std::string> storage;
  std::vector<char*> argv;
};

PreparedExec Prepare(const ProcessOptions& options) {
  PreparedExec prepared;
  prepared.storage = options.argv;
  for (auto& arg : prepared.storage) prepared.argv.push_back(arg.data());
  prepared.argv.push_back(nullptr);
  return prepared;
}

[[noreturn]] void ExecChild(const ProcessOptions& options, const PreparedExec& prepared,
                            pid_t parent) {
  if (options.new_process_group) setpgid(0, 0);
  const char* out = options.output_path.empty() ? "/dev/null" : options.output_path.c_str();
  int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  if (options.run_as) {
    if (setgroups(0, nullptr) != 0 || setgid(options.run_as->gid) != 0 ||
        setuid(options.run_as->uid) != 0) {
      _exit(126);
    }
  }
  // Set after the credential change, which would clear it (prctl(2)).
  if (options.parent_death_signal != 0) {
    prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
    if (getppid() != parent) _exit(125);
  }
  if (chdir(options.working_directory.c_str()) != 0) _exit(124);
  // Signals blocked by the parent (liftd blocks SIGINT/SIGTERM for sigwait) must not stay blocked.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_UNBLOCK, &all, nullptr);
  execv(prepared.argv[0], prepared.argv.data());
  _exit(127);
}

}  // namespace

absl::StatusOr<UserIdentity> LookUpUser(const std::string& name) {
  struct passwd pwd;
  struct passwd* result = nullptr;
  std::vector<char> buffer(16384);
  getpwnam_r(name.c_str(), &pwd, buffer.data(), buffer.size(), &result);
  if (result == nullptr) {
    return absl::NotFoundError(absl::StrCat("no system user named '", name, "'"));
  }
  return UserIdentity{name, pwd.pw_uid, pwd.pw_gid};
}

absl::StatusOr<pid_t> StartProcess(const ProcessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("argv must not be empty");
  PreparedExec prepared = Prepare(options);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork failed: ", std::strerror(errno)));
  }
  if (pid == 0) ExecChild(options, prepared, parent);
  return pid;
}

absl::StatusOr<int> RunToCompletion(const ProcessOptions& options) {
  auto pid = StartProcess(options);
  if (!pid.ok()) return pid.status();
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid failed: ", std::strerror(errno)));
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return absl::InternalError(
      absl::StrCat(options.argv[0], " was killed by signal ", WTERMSIG(status)));
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool IsRunning(pid_t pid) {
  int status = 0;
  pid_t done = waitpid(pid, &status, WNOHANG);
  return done == 0;
}

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

}  // namespace lift::embedded_pg
