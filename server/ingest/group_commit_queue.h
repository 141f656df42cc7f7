// Group commit: a bounded in-memory queue of validated batches and writer threads that commit them
// to PostgreSQL together, so many concurrent RPCs share one transaction.
//
// Submit() either takes the whole batch or nothing: ResourceExhausted when the queue's row capacity
// would be exceeded (back-pressure: the caller answers RESOURCE_EXHAUSTED, nothing is half-written),
// Unavailable once shutting down. A writer takes every queued batch up to `max_flush_rows` (waiting
// at most `linger` for more when it has fewer than `min_flush_rows`), writes them in one transaction
// and calls each batch's `done` after COMMIT returned — so an OK acknowledgement means committed.
// When the transaction fails, every batch in it gets the error (Unavailable when the database is
// unreachable) and nothing of it was stored; connections are re-opened on the next flush, so ingest
// resumes by itself when the database is back. Shutdown() stops intake and drains the queue.
// Thread-safe.
#ifndef LIFT_SERVER_INGEST_GROUP_COMMIT_QUEUE_H_
#define LIFT_SERVER_INGEST_GROUP_COMMIT_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "server/ingest/ingest_rows.h"
#include "server/ingest/partition_manager.h"

namespace lift::ingest {

struct GroupCommitOptions {
  size_t capacity_rows = 200'000;   // rows queued (not yet flushing) before Submit refuses
  size_t max_flush_rows = 20'000;   // rows per transaction at most
  size_t min_flush_rows = 1'000;    // below this, a writer lingers for more
  std::chrono::microseconds linger{2'000};
  int writers = 2;                  // writer threads, one connection each
};

// Counters for tests and logs.
struct GroupCommitStats {
  int64_t flushes = 0;
  int64_t rows_written = 0;
  int64_t failed_flushes = 0;
  int64_t rejected_submissions = 0;  // Submit refused because the queue was full
};

template <typename Row>
class GroupCommitQueue {
 public:
  using Done = std::function<void(const absl::Status&, const CommitCounts&)>;

  // `table` is "exposures" or "metric_events" (the Row type decides which writer runs).
  // `after_commit`, if set, runs on the writer thread after each successful commit.
  GroupCommitQueue(std::string connection_string, std::string table, GroupCommitOptions options,
                   std::function<void()> after_commit = nullptr);
  ~GroupCommitQueue();  // Shutdown()
  GroupCommitQueue(const GroupCommitQueue&) = delete;
  GroupCommitQueue& operator=(const GroupCommitQueue&) = delete;

  // Queues `rows`; `done` runs on a writer thread after the commit (or the failure). `done` is not
  // called when Submit returns an error. An empty batch completes at once.
  absl::Status Submit(std::vector<Row> rows, Done done);

  // Refuses new batches, lets the writers commit everything queued, and joins them.
  void Shutdown();

  GroupCommitStats stats() const;

 private:
  struct Pending {
    std::vector<Row> rows;
    Done done;
  };
  struct WriterConnection;

  void WriterLoop();
  std::vector<Pending> TakeFlush();
  absl::Status Flush(WriterConnection& connection, std::vector<Pending>& flush,
                     std::vector<bool>* is_new);

  const std::string connection_string_;
  const GroupCommitOptions options_;
  const std::function<void()> after_commit_;
  PartitionManager partitions_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writers_;
  std::deque<Pending> queue_;
  size_t queued_rows_ = 0;
  bool stopping_ = false;
  GroupCommitStats stats_;
  std::vector<std::thread> writers_;
};

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_GROUP_COMMIT_QUEUE_H_
