// Small builders of valid experiment configurations for the assignment tests.
#ifndef LIFT_TESTS_SERVER_ASSIGNMENT_TEST_CONFIGS_H_
#define LIFT_TESTS_SERVER_ASSIGNMENT_TEST_CONFIGS_H_

#include <string>
#include <vector>

#include "server/assignment/experiment_config.h"

namespace lift::assignment::testdata {

// A running experiment with variants "v0", "v1", ... of the given weights (default 50/50) whose
// payloads are {"v": index}.
inline ExperimentConfig RunningExperiment(const std::string& key,
                                          const std::vector<double>& weights = {0.5, 0.5}) {
  ExperimentConfig e;
  e.key = key;
  e.status = ExperimentStatus::kRunning;
  for (size_t i = 0; i < weights.size(); ++i) {
    e.variants.push_back(
        {"v" + std::to_string(i), weights[i], "{\"v\":" + std::to_string(i) + "}"});
  }
  return e;
}

}  // namespace lift::assignment::testdata

#endif  // LIFT_TESTS_SERVER_ASSIGNMENT_TEST_CONFIGS_H_
