// The C++ OpenFeature-shaped provider (clients/cpp/examples/openfeature_provider.h) against a
// real liftd: each Lift reason maps to the documented OpenFeature reason, value and error code.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "clients/cpp/examples/openfeature_provider.h"
#include "gtest/gtest.h"
#include "tests/support/liftd_process.h"

namespace lift {
namespace {

using openfeature::EvaluationContext;
using openfeature::LiftProvider;

class OpenFeatureE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = testing::LiftdProcess::Start({"--data-dir", (dir_.path() / "data").string()});
    ASSERT_TRUE(started.ok()) << started.status();
    liftd_ = std::move(*started);
    client::ClientOptions options;
    options.server = liftd_->address();
    client_ = std::make_unique<client::Client>(options);
    provider_ = std::make_unique<LiftProvider>(client_.get(), "id", /*log_exposure=*/false);
  }

  // Creates and starts a flag with these payloads, German units only; waits until Assign sees it.
  void Flag(const std::string& key, const std::string& off, const std::string& on) {
    v1::Experiment flag;
    flag.set_key(key);
    flag.set_condition(R"({"country": "DE"})");
    auto* a = flag.add_variants();
    a->set_key("off");
    a->set_payload(off);
    auto* b = flag.add_variants();
    b->set_key("on");
    b->set_payload(on);
    ASSERT_TRUE(client_->CreateExperiment(flag).ok());
    ASSERT_TRUE(client_->StartExperiment(key).ok());
    // Until the configuration snapshot has the flag running: unknown (FLAG_NOT_FOUND) right after
    // the create, DISABLED until the start arrives.
    for (int i = 0; i < 200; ++i) {
      const auto probe = provider_->ResolveObject(key, nullptr, German("probe"));
      if (probe.reason != "DISABLED" && probe.error_code != "FLAG_NOT_FOUND") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "flag " << key << " never reached Assign";
  }

  static EvaluationContext German(const std::string& id) { return {id, {{"country", "DE"}}}; }

  testing::TempDir dir_;
  std::unique_ptr<testing::LiftdProcess> liftd_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<LiftProvider> provider_;
};

TEST_F(OpenFeatureE2eTest, SplitServesThePayloadOfTheAssignedVariant) {
  Flag("checkout", "false", "true");
  int on = 0;
  for (int i = 0; i < 40; ++i) {
    auto details = provider_->ResolveBoolean("checkout", false, German("user-" + std::to_string(i)));
    ASSERT_EQ(details.reason, "SPLIT");
    EXPECT_TRUE(details.error_code.empty());
    ASSERT_TRUE(details.variant == "on" || details.variant == "off");
    EXPECT_EQ(details.value, details.variant == "on");
    EXPECT_EQ(details.flag_metadata["experiment_key"], "checkout");
    EXPECT_EQ(details.flag_metadata["in_experiment"], "true");
    EXPECT_EQ(details.flag_metadata["lift_reason"], "ASSIGNMENT_REASON_SPLIT");
    on += details.value ? 1 : 0;
  }
  EXPECT_GT(on, 0);
  EXPECT_LT(on, 40);
  // Sticky: the same unit gets the same answer.
  EXPECT_EQ(provider_->ResolveBoolean("checkout", false, German("user-7")).variant,
            provider_->ResolveBoolean("checkout", false, German("user-7")).variant);
}

TEST_F(OpenFeatureE2eTest, ReasonsDefaultsAndErrorsFollowTheMappingTable) {
  Flag("banner", R"("blue")", R"("green")");
  auto miss = provider_->ResolveString("banner", "none", {"user-1", {{"country", "US"}}});
  EXPECT_EQ(miss.reason, "DEFAULT");
  EXPECT_EQ(miss.value, "none");
  EXPECT_TRUE(miss.variant.empty());

  auto no_key = provider_->ResolveString("banner", "none", {std::nullopt, {{"country", "DE"}}});
  EXPECT_EQ(no_key.reason, "ERROR");
  EXPECT_EQ(no_key.error_code, "TARGETING_KEY_MISSING");
  EXPECT_EQ(no_key.value, "none");

  auto unknown = provider_->ResolveString("nope", "none", German("user-1"));
  EXPECT_EQ(unknown.reason, "ERROR");
  EXPECT_EQ(unknown.error_code, "FLAG_NOT_FOUND");

  auto wrong_type = provider_->ResolveNumber("banner", 3.5, German("user-1"));
  EXPECT_EQ(wrong_type.error_code, "TYPE_MISMATCH");
  EXPECT_EQ(wrong_type.value, 3.5);

  auto stopped = client_->StopExperiment("banner", "on");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  for (int i = 0; i < 200; ++i) {
    if (provider_->ResolveString("banner", "none", German("user-1")).reason == "STATIC") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto winner = provider_->ResolveString("banner", "none", German("user-1"));
  EXPECT_EQ(winner.reason, "STATIC");
  EXPECT_EQ(winner.value, "green");
}

TEST_F(OpenFeatureE2eTest, UnreachableServerIsProviderNotReadyWithTheDefault) {
  client::ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(testing::FreePort());
  options.timeout = std::chrono::milliseconds(500);
  client::Client nowhere(options);
  LiftProvider provider(&nowhere);
  auto details = provider.ResolveBoolean("checkout", true, German("user-1"));
  EXPECT_EQ(details.reason, "ERROR");
  EXPECT_EQ(details.error_code, "PROVIDER_NOT_READY");
  EXPECT_TRUE(details.value);
}

}  // namespace
}  // namespace lift
