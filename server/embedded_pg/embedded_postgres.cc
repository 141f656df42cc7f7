#include "server/embedded_pg/embedded_postgres.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "spdlog/spdlog.h"

namespace lift::embedded_pg {
namespace fs = std::filesystem;
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(30);

absl::Status CheckWritableDirectory(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory '", dir.string(), "': ", error.message()));
  }
  const fs::path probe = dir / ".lift-write-probe";
  {
    std::ofstream out(probe);
    if (!out) {
      return absl::FailedPreconditionError(absl::StrCat("data directory '", dir.string(),
                                                        "' is not writable: ", std::strerror(errno)));
    }
  }
  fs::remove(probe, error);
  return absl::OkStatus();
}

// PostgreSQL runs as another user when we are root: it must be able to reach its directory.
void MakeAncestorsTraversable(const fs::path& dir) {
  for (fs::path p = dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat info;
    if (stat(p.c_str(), &info) != 0) continue;
    if ((info.st_mode & S_IXOTH) == 0) {
      spdlog::warn("adding o+x to '{}' so the postgres user can reach the embedded cluster",
                   p.string());
      chmod(p.c_str(), (info.st_mode & 07777) | S_IXOTH);
    }
  }
}

absl::Status GiveTo(const fs::path& path, const std::optional<UserIdentity>& user, mode_t mode) {
  if (user && chown(path.c_str(), user->uid, user->gid) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot chown '", path.string(), "' to ", user->name, ": ", std::strerror(errno)));
  }
  if (chmod(path.c_str(), mode) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot chmod '", path.string(), "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// A TCP port nobody listens on now. The cluster listens on a unix socket only, so the port just
// names the socket file; a free one keeps it unique if TCP is ever enabled.
int PickUnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 54320;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  int port = 54320;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::string PercentEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

// What a cluster's postmaster.pid says: the server's pid (-1 when there is no file) and its status
// line ("starting", "ready", "stopping"; see PostgreSQL's pidfile.h).
struct PostmasterState {
  pid_t pid = -1;
  std::string status;
};

PostmasterState ReadPostmasterState(const fs::path& cluster_dir) {
  std::ifstream in(cluster_dir / "postmaster.pid");
  PostmasterState state;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (number == 1) state.pid = static_cast<pid_t>(std::atol(line.c_str()));
    if (number == 8) state.status = std::string(absl::StripAsciiWhitespace(line));
  }
  if (state.pid <= 0) state.pid = -1;
  return state;
}

pid_t ReadPostmasterPid(const fs::path& cluster_dir) { return ReadPostmasterState(cluster_dir).pid; }

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::Start(
    EmbeddedPostgresOptions options) {
  std::error_code error;
  options.data_dir = fs::absolute(options.data_dir, error).lexically_normal().string();
  if (!options.data_dir.empty() && options.data_dir.back() == '/') options.data_dir.pop_back();
  std::unique_ptr<EmbeddedPostgres> pg(new EmbeddedPostgres(std::move(options)));
  if (auto s = pg->Initialize(); !s.ok()) return s;
  if (auto s = pg->Launch(); !s.ok()) return s;
  if (auto s = pg->CreateDatabaseIfMissing(); !s.ok()) {
    (void)pg->Stop();
    return s;
  }
  return pg;
}

absl::Status EmbeddedPostgres::Initialize() {
  const fs::path data_dir = options_.data_dir;
  if (auto s = CheckWritableDirectory(data_dir); !s.ok()) return s;
  for (const char* binary : {"initdb", "postgres"}) {
    const fs::path path = fs::path(options_.bin_dir) / binary;
    if (access(path.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL server binary '", path.string(),
          "' not found: install postgresql-15 (scripts/setup does) or pass --database-url"));
    }
  }
  if (geteuid() == 0) {
    auto user = LookUpUser("postgres");
    if (!user.ok()) {
      return absl::FailedPreconditionError(
          "running as root needs the 'postgres' system user for the embedded database (PostgreSQL "
          "refuses to run as root); install postgresql-15 or run liftd as an ordinary user");
    }
    run_as_ = *user;
    MakeAncestorsTraversable(data_dir);
  }
  cluster_dir_ = (data_dir / "pg").string();
  log_path_ = (data_dir / "postgres.log").string();

  if (!fs::exists(fs::path(cluster_dir_) / "PG_VERSION")) {
    std::error_code error;
    fs::remove_all(cluster_dir_, error);  // leftovers of an interrupted initdb
    fs::create_directories(cluster_dir_, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create '", cluster_dir_, "': ", error.message()));
    }
    if (auto s = GiveTo(cluster_dir_, run_as_, 0700); !s.ok()) return s;
    ProcessOptions initdb;
    initdb.argv = {(fs::path(options_.bin_dir) / "initdb").string(), "-D", cluster_dir_,
                   "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"};
    if (!options_.fsync) initdb.argv.push_back("--no-sync");
    initdb.run_as = run_as_;
    initdb.output_path = log_path_;
    auto code = RunToCompletion(initdb);
    if (!code.ok()) return code.status();
    if (*code != 0) {
      return absl::InternalError(absl::StrCat("initdb failed (exit ", *code, "); end of ",
                                              log_path_, ":\n", ReadTail(log_path_)));
    }
  }
  if (auto s = GiveTo(cluster_dir_, run_as_, 0700); !s.ok()) return s;

  char socket_template[] = "/tmp/lift-pg-XXXXXX";
  if (mkdtemp(socket_template) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create a socket directory under /tmp: ", std::strerror(errno)));
  }
  socket_dir_ = socket_template;
  if (auto s = GiveTo(socket_dir_, run_as_, 0700); !s.ok()) return s;
  port_ = options_.port > 0 ? options_.port : PickUnusedPort();
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::Launch() {
  // A server left over from a liftd that was killed shuts itself down (parent-death signal): wait
  // for it. One that stays "ready" belongs to somebody else.
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  const auto ready_grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (PostmasterState stale = ReadPostmasterState(cluster_dir_);
       stale.pid > 0 && kill(stale.pid, 0) == 0; stale = ReadPostmasterState(cluster_dir_)) {
    const auto now = std::chrono::steady_clock::now();
    if (now > deadline || (stale.status == "ready" && now > ready_grace)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "another PostgreSQL (pid ", stale.pid, ") is running on '", cluster_dir_,
          "': is another liftd using the same --data-dir?"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ProcessOptions server;
  server.argv = {(fs::path(options_.bin_dir) / "postgres").string(),
                 "-D", cluster_dir_, "-p", std::to_string(port_), "-k", socket_dir_,
                 "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"};
  if (!options_.fsync) {
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      server.argv.push_back("-c");
      server.argv.push_back(setting);
    }
  }
  server.run_as = run_as_;
  server.working_directory = cluster_dir_;
  server.output_path = log_path_;
  if (options_.stop_with_owner) server.parent_death_signal = SIGINT;  // fast shutdown if liftd dies
  auto pid = StartProcess(server);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;

  const std::string ping = ConnectionString("postgres");
  const auto start_deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (PQping(ping.c_str()) != PQPING_OK) {
    if (!IsRunning(pid_)) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("PostgreSQL exited during start-up; end of ",
                                              log_path_, ":\n", ReadTail(log_path_)));
    }
    if (std::chrono::steady_clock::now() > start_deadline) {
      (void)Stop();
      return absl::InternalError(absl::StrCat("PostgreSQL did not accept connections within 60 s; end of ",
                                              log_path_, ":\n", ReadTail(log_path_)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::CreateDatabaseIfMissing() {
  PGconn* conn = PQconnectdb(ConnectionString("postgres").c_str());
  auto close = [&] { PQfinish(conn); };
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    close();
    return absl::InternalError(absl::StrCat("cannot connect to the embedded PostgreSQL: ", message));
  }
  const char* params[] = {options_.database.c_str()};
  PGresult* found = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr,
                                 params, nullptr, nullptr, 0);
  const bool exists = PQresultStatus(found) == PGRES_TUPLES_OK && PQntuples(found) == 1;
  PQclear(found);
  absl::Status status = absl::OkStatus();
  if (!exists) {
    char* quoted = PQescapeIdentifier(conn, options_.database.c_str(), options_.database.size());
    PGresult* created = PQexec(conn, absl::StrCat("CREATE DATABASE ", quoted).c_str());
    PQfreemem(quoted);
    if (PQresultStatus(created) != PGRES_COMMAND_OK) {
      status = absl::InternalError(absl::StrCat("cannot create database '", options_.database,
                                                "': ", PQerrorMessage(conn)));
    }
    PQclear(created);
  }
  close();
  return status;
}

namespace {

// Sends the fast-shutdown signal and escalates if the server does not exit in time. `wait` reports
// whether `pid` has exited (waitpid for a child, kill(pid, 0) for a detached server).
template <typename WaitFn>
absl::Status ShutDown(pid_t pid, WaitFn wait) {
  kill(pid, SIGINT);  // fast shutdown: roll back open transactions, checkpoint, exit
  if (wait(kStopTimeout)) return absl::OkStatus();
  kill(pid, SIGQUIT);  // immediate shutdown; crash recovery on next start
  if (!wait(std::chrono::seconds(5))) {
    kill(pid, SIGKILL);
    wait(std::chrono::seconds(5));
  }
  return absl::InternalError("PostgreSQL did not shut down within 30 s and was killed");
}

}  // namespace

absl::Status EmbeddedPostgres::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = pid_;
  pid_ = -1;
  return ShutDown(pid, [pid](auto timeout) {
    return WaitForExit(pid, std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  });
}

void EmbeddedPostgres::Detach() {
  pid_ = -1;
  socket_dir_.clear();
}

absl::Status EmbeddedPostgres::StopCluster(const std::string& data_dir) {
  const pid_t pid = ReadPostmasterPid(fs::path(data_dir) / "pg");
  if (pid <= 0 || kill(pid, 0) != 0) return absl::OkStatus();
  return ShutDown(pid, [pid](auto timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (kill(pid, 0) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  });
}

absl::Status EmbeddedPostgres::Restart() {
  if (running()) return absl::FailedPreconditionError("the embedded PostgreSQL is already running");
  return Launch();
}

EmbeddedPostgres::~EmbeddedPostgres() {
  if (auto s = Stop(); !s.ok()) spdlog::warn("embedded PostgreSQL: {}", s.ToString());
  if (!socket_dir_.empty()) {
    std::error_code error;
    fs::remove_all(socket_dir_, error);
  }
}

std::string EmbeddedPostgres::ConnectionString(const std::string& database) const {
  return absl::StrCat("host=", socket_dir_, " port=", port_, " user=postgres dbname=", database);
}

std::string EmbeddedPostgres::Url() const {
  return absl::StrCat("postgresql://postgres@/", options_.database,
                      "?host=", PercentEncode(socket_dir_), "&port=", port_);
}

}  // namespace lift::embedded_pg
