// WaitFor: a bounded poll for tests that wait on another thread or process (an acknowledgement, a
// background fold, a restart). It measures nothing: how long it took never fails a test, only a
// condition that does not hold within the patience does.
// Thread-safe.
#ifndef LIFT_TESTS_SUPPORT_WAIT_FOR_H_
#define LIFT_TESTS_SUPPORT_WAIT_FOR_H_

#include <chrono>
#include <functional>

namespace lift::testing {

// Polls `condition` every 20 ms until it holds or `patience` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::seconds patience = std::chrono::seconds(60));

}  // namespace lift::testing

#endif  // LIFT_TESTS_SUPPORT_WAIT_FOR_H_
