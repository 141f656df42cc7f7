// StopSignal: how a background thread sleeps between rounds and learns that it must stop. Stop()
// wakes every sleeper at once; a signal, once stopped, stays stopped.
//
// Thread safety: every member is safe from any thread.
#ifndef LIFT_SERVER_STOP_SIGNAL_H_
#define LIFT_SERVER_STOP_SIGNAL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace lift {

class StopSignal {
 public:
  // Sleeps up to `duration`; returns early, true, once stopped (also when stopped before).
  bool SleepOrStop(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, duration, [&] { return stopped_.load(); });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
  }

  bool stopped() const { return stopped_.load(); }

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;  // for the wake-up only
  std::condition_variable wake_;
};

}  // namespace lift

#endif  // LIFT_SERVER_STOP_SIGNAL_H_
