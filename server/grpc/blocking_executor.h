// BlockingExecutor: a small fixed pool of threads for RPC handlers that block on the database.
//
// gRPC's callback API runs handlers on its own threads, which must not block: a handler that waits
// for PostgreSQL (seconds, when the database is down) would hold a thread that Assign needs.
// Configuration RPCs therefore hand their work to this executor and finish their reactor from it.
// The queue is bounded: Submit refuses work (returns false) when `max_queued` tasks are waiting,
// and the caller answers RESOURCE_EXHAUSTED.
//
// Thread safety: Submit is thread-safe. Shutdown (also run by the destructor) runs the tasks
// already queued, then joins the threads; Submit after Shutdown returns false.
#ifndef LIFT_SERVER_GRPC_BLOCKING_EXECUTOR_H_
#define LIFT_SERVER_GRPC_BLOCKING_EXECUTOR_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lift {

class BlockingExecutor {
 public:
  BlockingExecutor(size_t threads, size_t max_queued);
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Queues `task`; false when the queue is full or the executor is shut down.
  bool Submit(std::function<void()> task);

  void Shutdown();

 private:
  void Work();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_BLOCKING_EXECUTOR_H_
