#include "server/ingest/group_commit_queue.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "server/ingest/table_writers.h"
#include "server/store/connection_pool.h"
#include "spdlog/spdlog.h"

namespace lift::ingest {
namespace {

// The per-row-type parts: which writer runs, and the timestamps that pick partitions.
std::vector<bool> Write(pqxx::work& tx, const std::vector<const ExposureRow*>& rows) {
  return WriteExposures(tx, rows);
}
std::vector<bool> Write(pqxx::work& tx, const std::vector<const EventRow*>& rows) {
  return WriteEvents(tx, rows);
}

}  // namespace

template <typename Row>
struct GroupCommitQueue<Row>::WriterConnection {
  std::unique_ptr<pqxx::connection> connection;
  bool staging_ready = false;
};

template <typename Row>
GroupCommitQueue<Row>::GroupCommitQueue(std::string connection_string, std::string table,
                                        GroupCommitOptions options,
                                        std::function<void()> after_commit)
    : connection_string_(std::move(connection_string)),
      options_(options),
      after_commit_(std::move(after_commit)),
      partitions_(std::move(table)) {
  for (int i = 0; i < std::max(1, options_.writers); ++i) {
    writers_.emplace_back([this] { WriterLoop(); });
  }
}

template <typename Row>
GroupCommitQueue<Row>::~GroupCommitQueue() {
  Shutdown();
}

template <typename Row>
absl::Status GroupCommitQueue<Row>::Submit(std::vector<Row> rows, Done done) {
  if (rows.empty()) {
    done(absl::OkStatus(), CommitCounts{});
    return absl::OkStatus();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return absl::UnavailableError("the server is shutting down; retry on another replica");
    if (queued_rows_ + rows.size() > options_.capacity_rows) {
      ++stats_.rejected_submissions;
      return absl::ResourceExhaustedError(absl::StrCat(
          "the ingest queue is full (", queued_rows_, " rows waiting for the database); nothing "
          "was written: retry in about 100 ms with exponential back-off"));
    }
    queued_rows_ += rows.size();
    queue_.push_back(Pending{std::move(rows), std::move(done)});
  }
  wake_writers_.notify_one();
  return absl::OkStatus();
}

template <typename Row>
void GroupCommitQueue<Row>::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && writers_.empty()) return;
    stopping_ = true;
  }
  wake_writers_.notify_all();
  for (auto& writer : writers_) writer.join();
  writers_.clear();
}

template <typename Row>
GroupCommitStats GroupCommitQueue<Row>::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

template <typename Row>
std::vector<typename GroupCommitQueue<Row>::Pending> GroupCommitQueue<Row>::TakeFlush() {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_writers_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return {};  // stopping and drained
  if (queued_rows_ < options_.min_flush_rows && !stopping_) {
    // Linger briefly so concurrent callers share this transaction.
    wake_writers_.wait_for(lock, options_.linger,
                           [&] { return stopping_ || queued_rows_ >= options_.min_flush_rows; });
  }
  std::vector<Pending> flush;
  size_t rows = 0;
  while (!queue_.empty() &&
         (flush.empty() || rows + queue_.front().rows.size() <= options_.max_flush_rows)) {
    rows += queue_.front().rows.size();
    flush.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_rows_ -= rows;
  if (!queue_.empty()) wake_writers_.notify_one();  // more work for another writer
  return flush;
}

template <typename Row>
absl::Status GroupCommitQueue<Row>::Flush(WriterConnection& writer, std::vector<Pending>& flush,
                                          std::vector<bool>* is_new) {
  std::vector<const Row*> rows;
  std::vector<int64_t> timestamps;
  for (const Pending& pending : flush) {
    for (const Row& row : pending.rows) {
      rows.push_back(&row);
      timestamps.push_back(row.timestamp_micros);
    }
  }
  // A connection idle across a database restart only shows it is dead when used. Unless the
  // failure hit COMMIT itself (in doubt), nothing was committed, so one more attempt on a fresh
  // connection is safe and hides the restart from the client.
  for (int attempt = 0;; ++attempt) {
    const bool reused = writer.connection != nullptr && writer.connection->is_open();
    try {
      if (!reused) {
        writer.connection = std::make_unique<pqxx::connection>(connection_string_);
        writer.staging_ready = false;
      }
      partitions_.Ensure(*writer.connection, timestamps);
      pqxx::work tx(*writer.connection);
      if (!writer.staging_ready) PrepareStaging(tx);
      *is_new = Write(tx, rows);
      tx.commit();
      writer.staging_ready = true;
      return absl::OkStatus();
    } catch (const std::exception& error) {
      // libpqxx reports a connection lost in the middle of COPY as a plain pqxx::failure; what
      // matters for the client is that the database went away: UNAVAILABLE, retry.
      const bool lost = writer.connection == nullptr || !writer.connection->is_open();
      writer.connection.reset();  // start over with a fresh connection (and staging tables)
      absl::Status status = store::StatusFromDatabaseError(error, "store rows");
      if (lost && absl::IsInternal(status)) {
        status = absl::UnavailableError(
            absl::StrCat("store rows: the database connection was lost (", error.what(), ")"));
      }
      const bool in_doubt = dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr;
      if (!(reused && attempt == 0 && !in_doubt && absl::IsUnavailable(status))) return status;
    }
  }
}

template <typename Row>
void GroupCommitQueue<Row>::WriterLoop() {
  WriterConnection writer;
  while (true) {
    std::vector<Pending> flush = TakeFlush();
    if (flush.empty()) return;
    std::vector<bool> is_new;
    absl::Status status = Flush(writer, flush, &is_new);
    size_t total_rows = 0;
    for (const Pending& pending : flush) total_rows += pending.rows.size();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (status.ok()) {
        ++stats_.flushes;
        stats_.rows_written += static_cast<int64_t>(total_rows);
      } else {
        ++stats_.failed_flushes;
      }
    }
    if (!status.ok()) spdlog::warn("ingest flush of {} rows failed: {}", total_rows, status.ToString());
    if (status.ok() && after_commit_) after_commit_();
    size_t position = 0;
    for (Pending& pending : flush) {
      CommitCounts counts;
      if (status.ok()) {
        for (size_t i = 0; i < pending.rows.size(); ++i, ++position) {
          if (is_new[position]) {
            ++counts.accepted;
          } else {
            ++counts.duplicates;
          }
        }
      }
      pending.done(status, counts);
    }
  }
}

template class GroupCommitQueue<ExposureRow>;
template class GroupCommitQueue<EventRow>;

}  // namespace lift::ingest
