#include "server/ingest/first_exposure_folder.h"

#include <pqxx/pqxx>

#include "server/ingest/first_exposure_backlog.h"
#include "spdlog/spdlog.h"

namespace lift::ingest {

FirstExposureFolder::FirstExposureFolder(std::string connection_string,
                                         std::chrono::milliseconds delay,
                                         std::chrono::milliseconds retry_delay)
    : connection_string_(std::move(connection_string)),
      delay_(delay),
      retry_delay_(retry_delay),
      thread_([this] { Loop(); }) {}

FirstExposureFolder::~FirstExposureFolder() { Shutdown(); }

void FirstExposureFolder::Notify() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

void FirstExposureFolder::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t FirstExposureFolder::folded_backlog_rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return folded_backlog_rows_;
}

void FirstExposureFolder::Loop() {
  bool folded = false;  // false at start: a crash may have left a backlog
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (folded) wake_.wait(lock, [&] { return stopping_ || notified_; });
      // After a notification, wait a little so that flushes committed meanwhile fold together;
      // after a failure, wait longer before trying the database again.
      wake_.wait_for(lock, folded ? delay_ : retry_delay_, [&] { return stopping_; });
      notified_ = false;
      if (stopping_) break;
    }
    folded = FoldAvailable();
  }
  FoldAvailable();  // the last flushes before shutdown
}

bool FirstExposureFolder::FoldAvailable() {
  try {
    if (connection_ == nullptr || !connection_->is_open()) {
      connection_ = std::make_unique<pqxx::connection>(connection_string_);
    }
    int folded = 0;
    do {
      folded = FoldFirstExposureBacklogOnce(*connection_);
      std::lock_guard<std::mutex> lock(mutex_);
      folded_backlog_rows_ += folded;
    } while (folded > 0);
    if (failing_) spdlog::info("first-exposure folding resumed");
    failing_ = false;
    return true;
  } catch (const std::exception& error) {
    connection_.reset();
    if (!failing_) {
      spdlog::warn("folding first exposures failed (will retry every {} ms): {}",
                   retry_delay_.count(), error.what());
    }
    failing_ = true;
    return false;
  }
}

}  // namespace lift::ingest
