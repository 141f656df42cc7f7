// The scope table (server/auth/scopes.h): complete for every RPC liftd serves, in agreement with
// the list in proto/lift/v1/auth.proto, and the authorisation rule (no hierarchy except admin).
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "server/auth/scopes.h"

namespace lift::auth {
namespace {

using ::testing::HasSubstr;

// Every lift.v1 method in the generated pool (this test links all of lift_proto, see CMake), found
// through the .proto files in the source tree so that a new file cannot be skipped.
std::set<std::string> AllLiftMethods() {
  std::set<std::string> methods;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const std::filesystem::path dir = std::filesystem::path(LIFT_SOURCE_DIR) / "proto/lift/v1";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name = "lift/v1/" + entry.path().filename().string();
    const google::protobuf::FileDescriptor* file = pool->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name
                             << " is not in the generated pool: add it to proto/CMakeLists.txt";
    if (file == nullptr) continue;
    EXPECT_EQ(file->package(), "lift.v1") << name;
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.insert("/" + service->full_name() + "/" + service->method(m)->name());
      }
    }
  }
  return methods;
}

TEST(ScopeTableTest, EveryMethodOfEveryLiftServiceHasADeclaredScope) {
  const std::set<std::string> methods = AllLiftMethods();
  // The services of issue 8's list, so an empty pool cannot pass vacuously.
  EXPECT_GE(methods.size(), 36u);
  for (const char* service :
       {"SystemService", "ExperimentService", "AssignmentService", "EventService", "MetricService",
        "ReadoutService", "KeyService", "AuditService"}) {
    bool found = false;
    for (const std::string& method : methods) {
      found = found || method.rfind(std::string("/lift.v1.") + service + "/", 0) == 0;
    }
    EXPECT_TRUE(found) << service;
  }
  for (const std::string& method : methods) {
    EXPECT_TRUE(RequiredScope(method).has_value())
        << method << " has no scope: add it to server/auth/scopes.cc and proto/lift/v1/auth.proto";
  }
}

TEST(ScopeTableTest, TableNamesOnlyExistingLiftMethods) {
  const std::set<std::string> methods = AllLiftMethods();
  std::set<std::string> seen;
  for (const auto& [method, scope] : ScopeTable()) {
    EXPECT_TRUE(seen.insert(std::string(method)).second) << "duplicate " << method;
    if (method.rfind("/lift.v1.", 0) == 0) {
      EXPECT_EQ(methods.count(std::string(method)), 1u) << method << " does not exist";
    }
  }
}

TEST(ScopeTableTest, ProtoDocumentationListsTheSameTable) {
  std::ifstream in(std::string(LIFT_SOURCE_DIR) + "/proto/lift/v1/auth.proto");
  ASSERT_TRUE(in.good());
  const std::regex row(
      R"(^//\s+([A-Za-z0-9_.]+/[A-Za-z0-9_]+)\s+(public|assign|ingest|read|admin)\s*$)");
  std::map<std::string, std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch match;
    if (std::regex_match(line, match, row)) documented["/" + match[1].str()] = match[2].str();
  }
  std::map<std::string, std::string> table;
  for (const auto& [method, scope] : ScopeTable()) {
    table[std::string(method)] = std::string(ScopeName(scope));
  }
  EXPECT_EQ(documented, table);
}

TEST(ScopeTableTest, PublicMethodsAreExactlyPingHealthAndReflection) {
  std::set<std::string> public_methods;
  for (const auto& [method, scope] : ScopeTable()) {
    if (scope == Scope::kPublic) public_methods.insert(std::string(method));
  }
  EXPECT_EQ(public_methods,
            (std::set<std::string>{"/lift.v1.SystemService/Ping", "/grpc.health.v1.Health/Check",
                                   "/grpc.health.v1.Health/Watch",
                                   "/grpc.reflection.v1alpha.ServerReflection/"
                                   "ServerReflectionInfo"}));
}

TEST(ScopeTableTest, UnknownMethodHasNoScopeAndIsRefusedWithPermissionDenied) {
  EXPECT_FALSE(RequiredScope("/lift.v1.ExperimentService/DropDatabase").has_value());
  const absl::Status status = UndeclaredMethodError("/lift.v1.ExperimentService/DropDatabase");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no scope declared"));
}

TEST(AuthorizeTest, ScopesAreNotAHierarchyExceptAdmin) {
  const Scope key_scopes[] = {Scope::kAssign, Scope::kIngest, Scope::kRead, Scope::kAdmin};
  for (Scope held : key_scopes) {
    const Principal principal{"k", static_cast<uint8_t>(held)};
    for (Scope required : key_scopes) {
      const bool allowed = held == required || held == Scope::kAdmin;
      EXPECT_EQ(Authorize("/m", required, principal).ok(), allowed)
          << ScopeName(held) << " calling a " << ScopeName(required) << " method";
    }
    EXPECT_TRUE(Authorize("/m", Scope::kPublic, principal).ok());
  }
}

TEST(AuthorizeTest, SeveralScopesCombine) {
  const Principal principal{"svc", static_cast<uint8_t>(static_cast<uint8_t>(Scope::kAssign) |
                                                        static_cast<uint8_t>(Scope::kIngest))};
  EXPECT_TRUE(Authorize("/m", Scope::kAssign, principal).ok());
  EXPECT_TRUE(Authorize("/m", Scope::kIngest, principal).ok());
  EXPECT_FALSE(Authorize("/m", Scope::kRead, principal).ok());
}

TEST(AuthorizeTest, DenialNamesMethodScopeAndKey) {
  const Principal principal{"flags", static_cast<uint8_t>(Scope::kAssign)};
  const absl::Status status =
      Authorize("/lift.v1.ExperimentService/CreateExperiment", Scope::kAdmin, principal);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(status.message()),
            "/lift.v1.ExperimentService/CreateExperiment requires scope 'admin'; API key 'flags' "
            "has scopes [assign]");
  const absl::Status read =
      Authorize("/lift.v1.MetricService/ListMetrics", Scope::kRead, principal);
  EXPECT_THAT(std::string(read.message()), HasSubstr("requires scope 'read' (or 'admin')"));
}

TEST(ParseKeyScopeTest, AcceptsTheFourKeyScopesOnly) {
  for (const char* name : {"assign", "ingest", "read", "admin"}) {
    absl::StatusOr<Scope> scope = ParseKeyScope(name);
    ASSERT_TRUE(scope.ok()) << name;
    EXPECT_EQ(ScopeName(*scope), name);
  }
  for (const char* name : {"public", "Admin", "", "write"}) {
    EXPECT_EQ(ParseKeyScope(name).status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

}  // namespace
}  // namespace lift::auth
