// openfeature_example: resolves a boolean flag for a few users through LiftProvider
// (openfeature_provider.h) and prints the OpenFeature resolution details. Creates and starts the
// flag `new_checkout_flow` (50/50 off/on, Germany only) when it does not exist.
//
// Usage: openfeature_example [--server HOST:PORT]   (LIFT_API_KEY is sent when set)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "clients/cpp/examples/openfeature_provider.h"

namespace {

constexpr const char* kFlag = "new_checkout_flow";

absl::Status EnsureFlag(lift::client::Client& client) {
  lift::v1::Experiment flag;
  flag.set_key(kFlag);
  flag.set_name("New checkout flow");
  flag.set_condition(R"({"country": "DE"})");
  auto* off = flag.add_variants();
  off->set_key("off");
  off->set_payload("false");
  auto* on = flag.add_variants();
  on->set_key("on");
  on->set_payload("true");
  absl::StatusOr<lift::v1::Experiment> created = client.CreateExperiment(flag);
  if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
    return created.status();
  }
  absl::StatusOr<lift::v1::Experiment> stored = client.GetExperiment(kFlag);
  if (!stored.ok()) return stored.status();
  if (stored->status() == lift::v1::EXPERIMENT_STATUS_DRAFT) {
    if (auto started = client.StartExperiment(kFlag); !started.ok()) return started.status();
  }
  // A configuration change reaches Assign within about a second (the snapshot reload).
  lift::openfeature::LiftProvider provider(&client, "id", /*log_exposure=*/false);
  for (int i = 0; i < 100; ++i) {
    const auto probe = provider.ResolveBoolean(kFlag, false, {"probe", {{"country", "DE"}}});
    if (probe.reason != "DISABLED" && probe.error_code != "FLAG_NOT_FOUND") return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError("the flag did not reach Assign within 10 s");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"OpenFeature-shaped flags on Lift"};
  lift::client::ClientOptions options;
  app.add_option("--server", options.server, "liftd address")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (const char* key = std::getenv("LIFT_API_KEY")) options.api_key = key;
  lift::client::Client client(options);
  if (absl::Status status = EnsureFlag(client); !status.ok()) {
    std::cerr << "openfeature_example: error: " << status << "\n";
    return 1;
  }
  lift::openfeature::LiftProvider provider(&client);
  const struct {
    const char* label;
    const char* flag;
    lift::openfeature::EvaluationContext context;
  } cases[] = {
      {"user-1 in DE", kFlag, {"user-1", {{"country", "DE"}}}},
      {"user-2 in DE", kFlag, {"user-2", {{"country", "DE"}}}},
      {"user-3 in US", kFlag, {"user-3", {{"country", "US"}}}},
      {"no targeting key", kFlag, {std::nullopt, {{"country", "DE"}}}},
      {"unknown flag", "no_such_flag", {"user-1", {}}},
  };
  for (const auto& c : cases) {
    auto details = provider.ResolveBoolean(c.flag, false, c.context);
    std::cout << c.label << ": value=" << (details.value ? "true" : "false")
              << " variant=" << (details.variant.empty() ? "-" : details.variant)
              << " reason=" << details.reason
              << " error=" << (details.error_code.empty() ? "-" : details.error_code) << "\n";
  }
  return 0;
}
