// Docker does not run on our machines, so the compose file and Dockerfile are checked as data:
// they must parse and wire liftd to PostgreSQL the way the README says.
#include <fstream>
#include <sstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lift {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DeploymentFilesTest, ComposeRunsPostgres15AndLiftdAgainstIt) {
  YAML::Node compose = YAML::LoadFile(std::string(LIFT_SOURCE_DIR) + "/docker-compose.yml");
  const YAML::Node services = compose["services"];
  ASSERT_TRUE(services.IsMap());
  const YAML::Node postgres = services["postgres"];
  EXPECT_EQ(postgres["image"].as<std::string>(), "postgres:15");
  EXPECT_TRUE(postgres["healthcheck"]["test"].IsSequence());
  const YAML::Node liftd = services["liftd"];
  EXPECT_EQ(liftd["build"].as<std::string>(), ".");
  ASSERT_TRUE(liftd["command"].IsSequence());
  EXPECT_EQ(liftd["command"][0].as<std::string>(), "--database-url");
  const std::string url = liftd["command"][1].as<std::string>();
  EXPECT_THAT(url, HasSubstr("@postgres:5432/"));
  EXPECT_THAT(url, HasSubstr(postgres["environment"]["POSTGRES_DB"].as<std::string>()));
  EXPECT_EQ(liftd["depends_on"]["postgres"]["condition"].as<std::string>(), "service_healthy");
  EXPECT_EQ(liftd["healthcheck"]["test"][1].as<std::string>(), "liftctl");
  EXPECT_EQ(liftd["environment"]["LIFT_LISTEN"].as<std::string>(), "0.0.0.0:50051");
}

TEST(DeploymentFilesTest, DockerfileBuildsWithTheSetupScriptAndRunsLiftd) {
  const std::string dockerfile = ReadFile(std::string(LIFT_SOURCE_DIR) + "/Dockerfile");
  EXPECT_THAT(dockerfile, HasSubstr("FROM debian:12 AS build"));
  EXPECT_THAT(dockerfile, HasSubstr("scripts/setup"));
  EXPECT_THAT(dockerfile, HasSubstr("ENTRYPOINT [\"liftd\"]"));
  EXPECT_THAT(dockerfile, HasSubstr("HEALTHCHECK"));
}

}  // namespace
}  // namespace lift
