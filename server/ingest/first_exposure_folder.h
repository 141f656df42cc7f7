// FirstExposureFolder: the background thread that keeps first_exposures up to date with the
// first-exposure backlog (first_exposure_backlog.h), so readers rarely find much left to fold.
//
// Notify() after exposures were committed; the folder waits `delay` (flushes committed meanwhile
// are folded together, see kDefaultFoldDelay) and folds the backlog on its own connection. It also
// folds once at start (a crash may have left a backlog). When the database is unreachable it logs
// once and retries every `retry_delay` until the fold succeeds. Shutdown() makes one last attempt
// and joins.
// Thread-safe.
#ifndef LIFT_SERVER_INGEST_FIRST_EXPOSURE_FOLDER_H_
#define LIFT_SERVER_INGEST_FIRST_EXPOSURE_FOLDER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <thread>

#include "server/ingest/fold_delay.h"

namespace lift::ingest {

class FirstExposureFolder {
 public:
  explicit FirstExposureFolder(std::string connection_string,
                               std::chrono::milliseconds delay = kDefaultFoldDelay,
                               std::chrono::milliseconds retry_delay = std::chrono::seconds(1));
  ~FirstExposureFolder();  // Shutdown()
  FirstExposureFolder(const FirstExposureFolder&) = delete;
  FirstExposureFolder& operator=(const FirstExposureFolder&) = delete;

  // New backlog rows were committed.
  void Notify();

  // Stops the thread after one last fold attempt.
  void Shutdown();

  // Backlog rows folded by this folder so far (for tests and logs).
  int64_t folded_backlog_rows() const;

 private:
  void Loop();
  bool FoldAvailable();  // false when the database failed

  const std::string connection_string_;
  const std::chrono::milliseconds delay_;
  const std::chrono::milliseconds retry_delay_;
  std::unique_ptr<pqxx::connection> connection_;  // the folder thread's only
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  bool stopping_ = false;
  bool failing_ = false;  // logged the current failure streak already
  int64_t folded_backlog_rows_ = 0;
  std::thread thread_;
};

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_FIRST_EXPOSURE_FOLDER_H_
