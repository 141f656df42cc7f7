#include "tests/support/latency_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lift::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunkBytes = 64 * 1024;

// Writes all of `data` to `fd`; false when the peer is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// One direction of a connection: a reader stamps each chunk with its due time, a writer sends it
// once due. An empty chunk marks the end of the stream (the writer half-closes its side).
class Pipe {
 public:
  Pipe(int from, int to, const std::atomic<int64_t>* delay_ms)
      : from_(from), to_(to), delay_ms_(delay_ms) {}

  void Start() {
    reader_ = std::thread([this] { ReadLoop(); });
    writer_ = std::thread([this] { WriteLoop(); });
  }

  void Abort() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      aborted_ = true;
    }
    ready_.notify_all();
  }

  void Join() {
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
  }

  bool finished() const { return reader_done_.load() && writer_done_.load(); }

 private:
  struct Chunk {
    Clock::time_point due;
    std::string bytes;  // empty: end of stream
  };

  void ReadLoop() {
    std::vector<char> buffer(kChunkBytes);
    while (true) {
      const ssize_t n = read(from_, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      const auto due = Clock::now() + std::chrono::milliseconds(delay_ms_->load());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        chunks_.push_back(
            Chunk{due, n > 0 ? std::string(buffer.data(), static_cast<size_t>(n)) : std::string()});
      }
      ready_.notify_all();
      if (n <= 0) break;
    }
    reader_done_.store(true);
  }

  void WriteLoop() {
    while (true) {
      Chunk chunk;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return aborted_ || !chunks_.empty(); });
        if (aborted_) break;
        const Clock::time_point due = chunks_.front().due;
        if (ready_.wait_until(lock, due, [&] { return aborted_; })) break;
        chunk = std::move(chunks_.front());
        chunks_.pop_front();
      }
      if (chunk.bytes.empty()) {
        shutdown(to_, SHUT_WR);  // pass the end of stream on
        break;
      }
      if (!WriteAll(to_, chunk.bytes.data(), chunk.bytes.size())) {
        shutdown(from_, SHUT_RD);  // nobody reads what we would forward: stop reading too
        break;
      }
    }
    writer_done_.store(true);
  }

  const int from_;
  const int to_;
  const std::atomic<int64_t>* delay_ms_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Chunk> chunks_;
  bool aborted_ = false;
  std::atomic<bool> reader_done_{false};
  std::atomic<bool> writer_done_{false};
  std::thread reader_;
  std::thread writer_;
};

}  // namespace

struct LatencyProxy::Connection {
  Connection(int client, int target, const std::atomic<int64_t>* delay_ms)
      : client_fd(client),
        target_fd(target),
        upstream(client, target, delay_ms),
        downstream(target, client, delay_ms) {
    upstream.Start();
    downstream.Start();
  }
  ~Connection() {
    Drop();
    upstream.Join();
    downstream.Join();
    close(client_fd);
    close(target_fd);
  }
  void Drop() {
    shutdown(client_fd, SHUT_RDWR);
    shutdown(target_fd, SHUT_RDWR);
    upstream.Abort();
    downstream.Abort();
  }
  bool finished() const { return upstream.finished() && downstream.finished(); }

  const int client_fd;
  const int target_fd;
  Pipe upstream;    // client -> target
  Pipe downstream;  // target -> client
};

absl::StatusOr<std::unique_ptr<LatencyProxy>> LatencyProxy::Start(const std::string& target) {
  std::unique_ptr<LatencyProxy> proxy(new LatencyProxy());
  if (absl::StartsWith(target, "unix:")) {
    proxy->target_socket_ = target.substr(5);
    if (proxy->target_socket_.empty() ||
        proxy->target_socket_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("target: unix socket path must be 1 to 107 bytes, got '", target, "'"));
    }
  } else {
    const size_t colon = target.rfind(':');
    in_addr address{};
    if (colon == std::string::npos ||
        inet_pton(AF_INET, target.substr(0, colon).c_str(), &address) != 1 ||
        !absl::SimpleAtoi(target.substr(colon + 1), &proxy->target_port_) ||
        proxy->target_port_ <= 0 || proxy->target_port_ > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("target must be 'IPv4:port' or 'unix:/path', got '", target, "'"));
    }
    proxy->target_host_ = target.substr(0, colon);
  }

  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (proxy->listen_fd_ < 0 ||
      bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(proxy->listen_fd_, 128) != 0 ||
      getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::InternalError(absl::StrCat("cannot listen on 127.0.0.1: ", strerror(errno)));
  }
  proxy->port_ = ntohs(address.sin_port);
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

LatencyProxy::~LatencyProxy() { Stop(); }

std::string LatencyProxy::address() const { return absl::StrCat("127.0.0.1:", port_); }

int LatencyProxy::ConnectTarget() const {
  if (!target_socket_.empty()) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, target_socket_.c_str(), sizeof(address.sun_path) - 1);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
      return fd;
    }
    if (fd >= 0) close(fd);
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(target_port_));
  inet_pton(AF_INET, target_host_.c_str(), &address.sin_addr);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
  }
  if (fd >= 0) close(fd);
  return -1;
}

void LatencyProxy::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (poll(&waiting, 1, /*timeout_ms=*/50) <= 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const int target = ConnectTarget();
    if (target < 0) {
      close(client);
      continue;
    }
    connections_accepted_.fetch_add(1);
    std::list<std::unique_ptr<Connection>> finished;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Reap connections whose threads are all done (their destructors join and close).
      for (auto it = connections_.begin(); it != connections_.end();) {
        if ((*it)->finished()) {
          finished.push_back(std::move(*it));
          it = connections_.erase(it);
        } else {
          ++it;
        }
      }
      connections_.push_back(std::make_unique<Connection>(client, target, &delay_ms_));
    }
  }
}

int LatencyProxy::DropConnections() {
  std::lock_guard<std::mutex> lock(mutex_);
  int dropped = 0;
  for (auto& connection : connections_) {
    if (connection->finished()) continue;
    connection->Drop();
    ++dropped;
  }
  return dropped;
}

void LatencyProxy::Stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    connections.swap(connections_);
  }
  connections.clear();  // each destructor drops, joins and closes
}

}  // namespace lift::testing
