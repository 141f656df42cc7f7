// LatencyProxy: a TCP proxy on 127.0.0.1 for fault-injection tests. It forwards every byte between
// its clients and one target (a TCP address or a unix socket, e.g. PostgreSQL's), delaying each
// chunk by a configurable one-way latency in both directions. The delay is pipelined, not a
// bandwidth cap: a chunk read at time t is written at t + delay however many chunks are in flight,
// so a round trip costs 2 x delay (a slow network or a slow database, as the client sees it).
//
// DropConnections() closes every open connection at once (both sides see the connection end), for
// tests that need peers to vanish without saying goodbye. The proxy keeps accepting new ones.
//
// Threads: one accepting thread, and per connection one reader and one writer per direction.
// Thread-safe: every method may be called from any thread.
#ifndef LIFT_TESTS_SUPPORT_LATENCY_PROXY_H_
#define LIFT_TESTS_SUPPORT_LATENCY_PROXY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace lift::testing {

class LatencyProxy {
 public:
  // Listens on 127.0.0.1:<free port> and forwards to `target`: "host:port" (IPv4) or
  // "unix:/path/to/socket". Errors: InvalidArgument for a malformed target, Internal when the
  // listening socket cannot be set up. A target that refuses a connection closes that client's
  // connection (nothing is checked up front).
  static absl::StatusOr<std::unique_ptr<LatencyProxy>> Start(const std::string& target);

  ~LatencyProxy();  // Stop()
  LatencyProxy(const LatencyProxy&) = delete;
  LatencyProxy& operator=(const LatencyProxy&) = delete;

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"

  // The one-way delay for data read from now on (both directions). Starts at zero.
  void SetDelay(std::chrono::milliseconds delay) { delay_ms_.store(delay.count()); }

  // Closes every connection open now; returns how many were closed.
  int DropConnections();

  // Connections accepted since Start.
  int64_t connections_accepted() const { return connections_accepted_.load(); }

  // Stops accepting, closes every connection and joins all threads. Idempotent.
  void Stop();

 private:
  struct Connection;
  LatencyProxy() = default;
  void AcceptLoop();
  int ConnectTarget() const;

  std::string target_host_;  // IPv4 literal, or empty for a unix socket
  int target_port_ = 0;
  std::string target_socket_;  // unix socket path, or empty
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<int64_t> connections_accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;  // guards connections_
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace lift::testing

#endif  // LIFT_TESTS_SUPPORT_LATENCY_PROXY_H_
