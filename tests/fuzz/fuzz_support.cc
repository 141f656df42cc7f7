#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

#include "nlohmann/json.hpp"

namespace lift::fuzz {

void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, condition);
  std::abort();
}

std::pair<std::string_view, std::string_view> SplitAt(std::string_view text, char separator) {
  const size_t at = text.find(separator);
  if (at == std::string_view::npos) return {text, std::string_view()};
  return {text.substr(0, at), text.substr(at + 1)};
}

std::shared_ptr<const assignment::Snapshot> FixtureSnapshot() {
  static const std::shared_ptr<const assignment::Snapshot> snapshot = [] {
    using assignment::ExperimentConfig;
    using assignment::ExperimentStatus;
    std::vector<ExperimentConfig> experiments;

    ExperimentConfig checkout;
    checkout.key = "checkout";
    checkout.status = ExperimentStatus::kRunning;
    checkout.variants = {{"control", 0.5, R"({"color":"blue"})"},
                         {"green", 0.5, R"({"color":"green"})"}};
    checkout.condition =
        nlohmann::json::parse(R"({"country": {"$in": ["US", "CA"]}, "age": {"$gte": 18}})");
    checkout.forced_variants = {{"qa-user", 1}};
    checkout.phase = 2;
    experiments.push_back(checkout);

    ExperimentConfig hero;
    hero.key = "homepage-hero";
    hero.status = ExperimentStatus::kRunning;
    hero.variants = {{"control", 0.5, ""}, {"video", 0.5, "\"video\""}};
    hero.coverage = 0.8;
    hero.seed = "hero-seed";
    hero.hash_version = 1;
    hero.condition = nlohmann::json::parse(
        R"({"$or": [{"plan": "pro"}, {"email": {"$regex": "@example\\.com$"}}]})");
    hero.layer = "homepage";
    hero.layer_start = 0.0;
    hero.layer_end = 0.5;
    hero.phase = 1;
    experiments.push_back(hero);

    ExperimentConfig cta;
    cta.key = "homepage-cta";
    cta.status = ExperimentStatus::kRunning;
    cta.variants = {{"control", 0.2, "1"}, {"short", 0.3, "2"}, {"long", 0.5, "3"}};
    cta.hash_attribute = "device_id";
    cta.condition = nlohmann::json::parse(
        R"({"app_version": {"$vgte": "2.1.0"}, "tags": {"$elemMatch": {"$eq": "beta"}},
            "address.city": {"$exists": true}, "$not": {"age": {"$lt": 13}}})");
    cta.layer = "homepage";
    cta.layer_start = 0.5;
    cta.layer_end = 1.0;
    cta.phase = 1;
    experiments.push_back(cta);

    ExperimentConfig pricing;
    pricing.key = "pricing";
    pricing.status = ExperimentStatus::kStopped;
    pricing.variants = {{"control", 0.5, "9.99"}, {"discount", 0.5, "7.99"}};
    pricing.winning_variant = 1;
    pricing.phase = 3;
    experiments.push_back(pricing);

    ExperimentConfig onboarding;
    onboarding.key = "onboarding";
    onboarding.status = ExperimentStatus::kDraft;
    onboarding.variants = {{"control", 0.5, ""}, {"tour", 0.5, ""}};
    experiments.push_back(onboarding);

    ExperimentConfig archived;
    archived.key = "old-banner";
    archived.status = ExperimentStatus::kArchived;
    archived.variants = {{"control", 0.5, ""}, {"banner", 0.5, ""}};
    archived.phase = 1;
    experiments.push_back(archived);

    const std::vector<assignment::HoldoutConfig> holdouts = {{"global-holdout", 0.05, ""},
                                                             {"homepage-holdout", 0.1, "homepage"}};
    absl::StatusOr<std::shared_ptr<const assignment::Snapshot>> built =
        assignment::Snapshot::Build(experiments, holdouts, /*version=*/7);
    if (!built.ok()) {
      std::fprintf(stderr, "fuzz fixture snapshot: %s\n", std::string(built.status().message()).c_str());
      std::abort();
    }
    return *std::move(built);
  }();
  return snapshot;
}

SilenceStdStreams::SilenceStdStreams()
    : cout_(std::cout.rdbuf(&sink_)), cerr_(std::cerr.rdbuf(&sink_)) {}

SilenceStdStreams::~SilenceStdStreams() {
  std::cout.rdbuf(cout_);
  std::cerr.rdbuf(cerr_);
  std::cout.clear();
  std::cerr.clear();
}

StdinFrom::StdinFrom(std::string text) : buffer_(std::move(text)), cin_(std::cin.rdbuf(&buffer_)) {
  std::cin.clear();
}

StdinFrom::~StdinFrom() {
  std::cin.rdbuf(cin_);
  std::cin.clear();
}

namespace {

// The scratch file's path, removed at exit.
struct ScratchPath {
  ScratchPath() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/lift-fuzz-" +
           std::to_string(getpid()) + ".input";
  }
  ~ScratchPath() { std::remove(path.c_str()); }
  std::string path;
};

}  // namespace

std::string WriteScratchFile(std::string_view contents) {
  static ScratchPath scratch;
  const std::string& path = scratch.path;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  return out ? path : std::string();
}

}  // namespace lift::fuzz
