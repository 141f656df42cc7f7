// Loads GrowthBook's published SDK spec vectors (tests/reference/fixtures/growthbook_cases.json;
// provenance in growthbook_cases.README.md next to it).
#ifndef LIFT_TESTS_SERVER_ASSIGNMENT_GROWTHBOOK_CASES_H_
#define LIFT_TESTS_SERVER_ASSIGNMENT_GROWTHBOOK_CASES_H_

#include <fstream>
#include <stdexcept>
#include <string>

#include "nlohmann/json.hpp"

namespace lift::assignment::testdata {

// Returns the whole fixture; throws (failing the test) when it cannot be read.
inline const nlohmann::json& GrowthBookCases() {
  static const nlohmann::json* const kCases = [] {
    const std::string path = std::string(LIFT_REFERENCE_DIR) + "/fixtures/growthbook_cases.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return new nlohmann::json(nlohmann::json::parse(in));
  }();
  return *kCases;
}

}  // namespace lift::assignment::testdata

#endif  // LIFT_TESTS_SERVER_ASSIGNMENT_GROWTHBOOK_CASES_H_
