#include "tests/support/liftd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "lift/v1/system.grpc.pb.h"
#include "server/embedded_pg/process.h"

namespace lift::testing {
namespace fs = std::filesystem;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TempDir::TempDir() {
  char pattern[] = "/tmp/lift-test-XXXXXX";
  path_ = mkdtemp(pattern);
  // Traversable, so a PostgreSQL running as another user can reach clusters placed inside.
  std::filesystem::permissions(path_, std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
}

TempDir::~TempDir() {
  std::error_code error;
  fs::remove_all(path_, error);
}

namespace {

// Waits for `pid` to exit; its exit code, 128 + signal, or nullopt on timeout.
std::optional<int> WaitExitCode(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

embedded_pg::ProcessOptions ChildOptions(std::vector<std::string> args, const fs::path& output) {
  embedded_pg::ProcessOptions options;
  options.argv = {LIFTD_BINARY};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.output_path = output.string();
  options.parent_death_signal = SIGTERM;
  options.new_process_group = true;
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiftdProcess>> LiftdProcess::Start(
    std::vector<std::string> args, std::chrono::seconds ready_timeout) {
  LiftdOptions options;
  options.ready_timeout = ready_timeout;
  return Start(std::move(args), options);
}

absl::StatusOr<std::unique_ptr<LiftdProcess>> LiftdProcess::Start(std::vector<std::string> args,
                                                                  const LiftdOptions& options) {
  const std::chrono::seconds ready_timeout = options.ready_timeout;
  if (!options.auth && std::find(args.begin(), args.end(), "--insecure-no-auth") == args.end()) {
    args.push_back("--insecure-no-auth");
  }
  std::unique_ptr<LiftdProcess> process(new LiftdProcess());
  process->output_dir_ = std::make_unique<TempDir>();
  process->output_path_ = process->output_dir_->path() / "liftd.log";
  process->address_ = absl::StrCat("127.0.0.1:", FreePort());
  args.insert(args.begin(), {"--listen", process->address_});
  auto pid = embedded_pg::StartProcess(ChildOptions(std::move(args), process->output_path_));
  if (!pid.ok()) return pid.status();
  process->pid_ = *pid;

  // Short reconnect back-off: while liftd is still starting (initdb, migrations) the channel's
  // default back-off would otherwise grow to seconds and delay every test.
  // The channel is created only once the port accepts TCP connections: channels that started
  // connecting while liftd was still starting were seen to need ~10 s more to connect. TLS keeps
  // gRPC's default back-off (its minimum is also the connect timeout, too short at 50 ms for a TLS
  // handshake on a busy machine).
  const bool tls = !options.tls_ca_pem.empty();
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  {
    const int port = std::stoi(process->address_.substr(process->address_.rfind(':') + 1));
    while (std::chrono::steady_clock::now() < deadline) {
      if (!embedded_pg::IsRunning(process->pid_)) break;
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(port));
      const bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
      close(fd);
      if (up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  grpc::ChannelArguments channel_args;
  if (!tls) {
    channel_args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    channel_args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    channel_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca_pem.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_ca_pem;
    ssl.pem_cert_chain = options.tls_cert_pem;
    ssl.pem_private_key = options.tls_key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateCustomChannel(process->address_, credentials, channel_args);
  auto stub = lift::v1::SystemService::NewStub(channel);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!embedded_pg::IsRunning(process->pid_)) {
      process->pid_ = -1;
      return absl::FailedPreconditionError("liftd exited during start-up:\n" + process->Output());
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    lift::v1::PingRequest request;
    lift::v1::PingResponse response;
    if (stub->Ping(&context, request, &response).ok()) return process;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::FailedPreconditionError("liftd did not answer Ping in time:\n" + process->Output());
}

LiftdProcess::Exit LiftdProcess::RunToExit(std::vector<std::string> args,
                                           std::chrono::seconds timeout) {
  TempDir dir;
  const fs::path output = dir.path() / "liftd.log";
  Exit result;
  auto pid = embedded_pg::StartProcess(ChildOptions(std::move(args), output));
  if (!pid.ok()) {
    result.output = pid.status().ToString();
    return result;
  }
  auto code = WaitExitCode(*pid, timeout);
  if (!code) {
    kill(*pid, SIGKILL);
    WaitExitCode(*pid, std::chrono::seconds(10));
  }
  result.code = code.value_or(-1);
  result.output = ReadFile(output);
  return result;
}

std::optional<int> LiftdProcess::StopWith(int signal, std::chrono::seconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  kill(pid_, signal);
  auto code = WaitExitCode(pid_, timeout);
  if (code) pid_ = -1;
  return code;
}

std::string LiftdProcess::Output() const { return ReadFile(output_path_); }

CommandResult RunLiftctl(const std::string& server, const std::vector<std::string>& args) {
  TempDir dir;
  const fs::path output = dir.path() / "liftctl.log";
  embedded_pg::ProcessOptions options;
  options.argv = {LIFTCTL_BINARY, "--server", server};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.output_path = output.string();
  options.new_process_group = false;
  CommandResult result;
  absl::StatusOr<int> code = embedded_pg::RunToCompletion(options);
  result.code = code.ok() ? *code : -1;
  result.output = ReadFile(output);
  return result;
}

LiftdProcess::~LiftdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExitCode(pid_, std::chrono::seconds(10));
  }
}

}  // namespace lift::testing
