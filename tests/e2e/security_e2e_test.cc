// Security end to end (issue 8), against the real liftd with API keys required: missing, malformed,
// unknown and revoked keys; scopes on every service; the bootstrap admin key; audit entries
// carrying the key's name (through `liftctl audit`); TLS and mutual TLS with certificates made here
// by `openssl`; request size and admin rate limits.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/lift_client.h"
#include "lift/v1/system.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/liftd_process.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wait_for.h"

namespace lift {
namespace {

using ::testing::HasSubstr;
using testing::LiftdOptions;
using testing::LiftdProcess;
using ::testing::Not;
using testing::TempDir;

// A well-formed key installed through LIFT_BOOTSTRAP_ADMIN_KEY.
const std::string kAdminKey =
    "lift_5ec0e2e0_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::regex kKeyPattern("lift_[0-9a-f]{8}_[0-9a-f]{64}");

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// liftd with API keys required on `connection_string`; LIFT_BOOTSTRAP_ADMIN_KEY set to `bootstrap`
// while it starts (unset when empty).
std::unique_ptr<LiftdProcess> StartLiftd(const std::string& connection_string,
                                         const std::string& bootstrap,
                                         std::vector<std::string> extra = {},
                                         LiftdOptions options = {}) {
  if (!bootstrap.empty()) setenv("LIFT_BOOTSTRAP_ADMIN_KEY", bootstrap.c_str(), 1);
  std::vector<std::string> args = {"--database-url", connection_string, "--log-level", "info"};
  args.insert(args.end(), extra.begin(), extra.end());
  options.auth = true;
  auto started = LiftdProcess::Start(args, options);
  unsetenv("LIFT_BOOTSTRAP_ADMIN_KEY");
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? std::move(*started) : nullptr;
}

std::unique_ptr<client::Client> ClientFor(const std::string& address, const std::string& key) {
  client::ClientOptions options;
  options.server = address;
  options.api_key = key;
  options.timeout = std::chrono::seconds(20);
  return std::make_unique<client::Client>(options);
}

// One RPC of each kind, called with default (mostly invalid) requests: a call that passes
// authorisation fails, if at all, with the handler's own error, never UNAUTHENTICATED or
// PERMISSION_DENIED.
struct Rpc {
  std::string method;
  std::string scope;
  std::function<absl::Status(client::Client&)> call;
};

std::vector<Rpc> RpcsOfEveryService() {
  return {
      {"GetServerInfo", "read", [](client::Client& c) { return c.GetServerInfo().status(); }},
      {"ListExperiments", "read", [](client::Client& c) { return c.ListExperiments({}).status(); }},
      {"GetExperiment", "read", [](client::Client& c) { return c.GetExperiment("nope").status(); }},
      {"CreateExperiment", "admin",
       [](client::Client& c) { return c.CreateExperiment(v1::Experiment()).status(); }},
      {"SetOverride", "admin",
       [](client::Client& c) { return c.SetOverride("nope", "u", "v").status(); }},
      {"Assign", "assign", [](client::Client& c) { return c.Assign({}).status(); }},
      {"AssignBatch", "assign", [](client::Client& c) { return c.AssignBatch({}).status(); }},
      {"LogEvents", "ingest", [](client::Client& c) { return c.LogEvents({}).status(); }},
      {"LogExposures", "ingest", [](client::Client& c) { return c.LogExposures({}).status(); }},
      {"ListMetrics", "read", [](client::Client& c) { return c.ListMetrics({}).status(); }},
      {"ApplyMetrics", "admin", [](client::Client& c) { return c.ApplyMetrics({}).status(); }},
      {"GetReadout", "read", [](client::Client& c) { return c.GetReadout({}).status(); }},
      {"AnalyzeLaunch", "read", [](client::Client& c) { return c.AnalyzeLaunch({}).status(); }},
      {"CreateLaunch", "admin", [](client::Client& c) { return c.CreateLaunch({}).status(); }},
      {"ListLaunches", "read", [](client::Client& c) { return c.ListLaunches({}).status(); }},
      {"ListKeys", "admin", [](client::Client& c) { return c.ListKeys(false).status(); }},
      {"ListAuditEntries", "admin",
       [](client::Client& c) { return c.ListAuditEntries({}).status(); }},
  };
}

class SecurityE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TestDatabase();
    liftd_ = StartLiftd(db_->connection_string(), kAdminKey).release();
    ASSERT_NE(liftd_, nullptr);
    admin_ = ClientFor(liftd_->address(), kAdminKey).release();
  }
  static void TearDownTestSuite() {
    delete admin_;
    delete liftd_;
    delete db_;
  }
  // A new key named `name` with `scopes`, created by the bootstrap admin key.
  static std::string NewKey(const std::string& name, const std::vector<std::string>& scopes) {
    auto created = admin_->CreateKey(name, scopes);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->secret() : "";
  }
  static testing::CommandResult Liftctl(const std::string& key, std::vector<std::string> args) {
    args.insert(args.begin(), {"--api-key", key});
    return testing::RunLiftctl(liftd_->address(), args);
  }

  static testing::TestDatabase* db_;
  static LiftdProcess* liftd_;
  static client::Client* admin_;
};

testing::TestDatabase* SecurityE2eTest::db_ = nullptr;
LiftdProcess* SecurityE2eTest::liftd_ = nullptr;
client::Client* SecurityE2eTest::admin_ = nullptr;

TEST_F(SecurityE2eTest, CallsWithoutAKeyAreUnauthenticatedExceptPublicOnes) {
  auto anonymous = ClientFor(liftd_->address(), "");
  for (const Rpc& rpc : RpcsOfEveryService()) {
    const absl::Status status = rpc.call(*anonymous);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << rpc.method << ": " << status;
    EXPECT_EQ(std::string(status.message()),
              "missing API key: send 'authorization: Bearer <key>' metadata")
        << rpc.method;
  }
  EXPECT_TRUE(anonymous->Ping().ok());
  EXPECT_TRUE(anonymous->CheckHealth().ok());
}

TEST_F(SecurityE2eTest, MalformedAndUnknownKeysAreUnauthenticated) {
  auto malformed = ClientFor(liftd_->address(), "secret-key");
  absl::Status status = malformed->ListExperiments({}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()), HasSubstr("lift_<8 hex digits>_<64 hex digits>"));
  // Right prefix, wrong secret.
  std::string forged = kAdminKey;
  forged.back() = 'e';
  status = ClientFor(liftd_->address(), forged)->ListExperiments({}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()), HasSubstr("unknown API key"));
}

TEST_F(SecurityE2eTest, EachScopeReachesExactlyItsRpcsAndAdminReachesAll) {
  std::map<std::string, std::unique_ptr<client::Client>> clients;
  for (const char* scope : {"assign", "ingest", "read"}) {
    clients[scope] = ClientFor(liftd_->address(), NewKey(std::string("scope-") + scope, {scope}));
  }
  clients["admin"] = ClientFor(liftd_->address(), kAdminKey);
  for (const auto& [scope, client] : clients) {
    for (const Rpc& rpc : RpcsOfEveryService()) {
      const absl::Status status = rpc.call(*client);
      const bool allowed = scope == rpc.scope || scope == "admin";
      if (allowed) {
        EXPECT_NE(status.code(), absl::StatusCode::kPermissionDenied)
            << scope << " key on " << rpc.method << ": " << status;
        EXPECT_NE(status.code(), absl::StatusCode::kUnauthenticated)
            << scope << " key on " << rpc.method << ": " << status;
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied)
            << scope << " key on " << rpc.method << ": " << status;
        EXPECT_THAT(std::string(status.message()),
                    HasSubstr(rpc.method + " requires scope '" + rpc.scope + "'"));
        EXPECT_THAT(std::string(status.message()),
                    HasSubstr("API key 'scope-" + scope + "' has scopes [" + scope + "]"));
      }
    }
  }
}

TEST_F(SecurityE2eTest, AssignKeyCanAssignButNotChangeExperiments) {
  v1::Experiment experiment;
  experiment.set_key("sec-assign");
  for (const char* variant : {"control", "treatment"}) {
    v1::Variant* v = experiment.add_variants();
    v->set_key(variant);
    v->set_weight(0.5);
  }
  ASSERT_TRUE(admin_->CreateExperiment(experiment).ok());
  ASSERT_TRUE(admin_->StartExperiment("sec-assign").ok());
  auto flags = ClientFor(liftd_->address(), NewKey("flags-service", {"assign"}));
  v1::AssignRequest request;
  (*request.mutable_unit()->mutable_attributes())["id"] = "user-1";
  request.add_experiment_keys("sec-assign");
  // The running experiment reaches Assign's snapshot within the watcher's interval.
  bool assigned = false;
  for (int attempt = 0; attempt < 100 && !assigned; ++attempt) {
    auto response = flags->Assign(request);
    ASSERT_TRUE(response.ok()) << response.status();
    assigned = response->assignments_size() == 1 && !response->assignments(0).variant_key().empty();
    if (!assigned) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(assigned);
  experiment.set_key("sec-assign-2");
  const absl::Status denied = flags->CreateExperiment(experiment).status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()),
              HasSubstr("/lift.v1.ExperimentService/CreateExperiment requires scope 'admin'; API "
                        "key 'flags-service' has scopes [assign]"));
  EXPECT_EQ(flags->StopExperiment("sec-assign", "control").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SecurityE2eTest, RevokedKeyIsRefusedHereAtOnceAndOnAnotherReplicaWithinTheTtl) {
  const std::string key = NewKey("to-revoke", {"read"});
  auto replica = StartLiftd(db_->connection_string(), "");
  ASSERT_NE(replica, nullptr);
  auto here = ClientFor(liftd_->address(), key);
  auto there = ClientFor(replica->address(), key);
  ASSERT_TRUE(here->ListExperiments({}).ok());
  ASSERT_TRUE(there->ListExperiments({}).ok());  // now cached on the replica

  auto revoked = Liftctl(kAdminKey, {"keys", "revoke", "to-revoke"});
  ASSERT_EQ(revoked.code, 0) << revoked.output;
  const absl::Status status = here->ListExperiments({}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("API key 'to-revoke' was revoked by bootstrap-admin"));
  // The replica trusts its cache for at most 5 s (auth.proto); poll well beyond that.
  absl::Status on_replica;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    on_replica = there->ListExperiments({}).status();
    if (on_replica.code() == absl::StatusCode::kUnauthenticated) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(on_replica.code(), absl::StatusCode::kUnauthenticated) << on_replica;
  // The replica found keys in the database: no bootstrap key was generated or printed.
  EXPECT_FALSE(std::regex_search(replica->Output(), kKeyPattern)) << replica->Output();
}

TEST_F(SecurityE2eTest, EnvironmentBootstrapKeyIsInstalledAndNeverPrinted) {
  EXPECT_THAT(liftd_->Output(),
              HasSubstr("installed LIFT_BOOTSTRAP_ADMIN_KEY as admin key 'bootstrap-admin'"));
  EXPECT_THAT(liftd_->Output(), Not(HasSubstr(kAdminKey)));
  auto keys = admin_->ListKeys(true);
  ASSERT_TRUE(keys.ok()) << keys.status();
  bool found = false;
  for (const v1::ApiKey& key : keys->keys()) {
    if (key.name() != "bootstrap-admin") continue;
    found = true;
    EXPECT_EQ(key.prefix(), "5ec0e2e0");
    EXPECT_EQ(key.created_by(), "system");
    ASSERT_EQ(key.scopes_size(), 1);
    EXPECT_EQ(key.scopes(0), "admin");
  }
  EXPECT_TRUE(found);
}

TEST_F(SecurityE2eTest, AuditEntriesNameTheKeyAndAreListedByLiftctl) {
  auto created = Liftctl(kAdminKey, {"keys", "create", "--name", "exp-owner", "--scope", "admin"});
  ASSERT_EQ(created.code, 0) << created.output;
  EXPECT_THAT(created.output, HasSubstr("only time the key is shown"));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(created.output, match, kKeyPattern)) << created.output;
  const std::string owner_key = match.str();

  auto owner = ClientFor(liftd_->address(), owner_key);
  v1::Experiment experiment;
  experiment.set_key("sec-audit");
  for (const char* variant : {"control", "treatment"}) {
    v1::Variant* v = experiment.add_variants();
    v->set_key(variant);
    v->set_weight(0.5);
  }
  ASSERT_TRUE(owner->CreateExperiment(experiment).ok());

  auto listed = Liftctl(kAdminKey, {"audit", "--entity", "experiment:sec-audit", "--json"});
  ASSERT_EQ(listed.code, 0) << listed.output;
  const nlohmann::json entries = nlohmann::json::parse(listed.output);
  ASSERT_GE(entries.size(), 1u) << listed.output;
  EXPECT_EQ(entries[0]["actor"], "exp-owner");
  EXPECT_EQ(entries[0]["action"], "experiment.create");
  EXPECT_EQ(entries[0]["entity_key"], "sec-audit");
  EXPECT_TRUE(entries[0]["before"].is_null());
  EXPECT_EQ(entries[0]["after"]["key"], "sec-audit");

  auto key_entries =
      Liftctl(kAdminKey, {"audit", "--actor", "bootstrap-admin", "--entity", "api_key:exp-owner"});
  ASSERT_EQ(key_entries.code, 0) << key_entries.output;
  EXPECT_THAT(key_entries.output, HasSubstr("bootstrap-admin"));
  EXPECT_THAT(key_entries.output, HasSubstr("api_key.create"));
  EXPECT_THAT(key_entries.output, HasSubstr("api_key:exp-owner"));
  // Never the secret, nor its digest.
  auto key_json = Liftctl(kAdminKey, {"audit", "--entity", "api_key:exp-owner", "--json"});
  EXPECT_THAT(key_json.output, Not(HasSubstr(owner_key.substr(14))));
  EXPECT_THAT(key_json.output, Not(HasSubstr("sha256")));

  auto without_key = testing::RunLiftctl(liftd_->address(), {"audit"});
  EXPECT_EQ(without_key.code, 1);
  EXPECT_THAT(without_key.output, HasSubstr("UNAUTHENTICATED"));
}

TEST_F(SecurityE2eTest, AdminRpcsAreRateLimitedPerKey) {
  auto burst = ClientFor(liftd_->address(), NewKey("burst", {"admin"}));
  absl::Status limited;
  for (int i = 0; i < 400 && limited.ok(); ++i) limited = burst->ListKeys(false).status();
  EXPECT_EQ(limited.code(), absl::StatusCode::kResourceExhausted) << limited;
  EXPECT_THAT(std::string(limited.message()),
              HasSubstr("API key 'burst' exceeded the admin rate limit of 20 requests/s"));
  EXPECT_THAT(std::string(limited.message()), HasSubstr("retry in"));
  // Read RPCs of the same key are not limited, nor are other keys.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(burst->ListExperiments({}).ok());
}

TEST_F(SecurityE2eTest, OversizedRequestIsResourceExhausted) {
  auto channel = grpc::CreateChannel(liftd_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::SystemService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::PingRequest request;
  request.set_payload(std::string(65 * 1024 * 1024, 'x'));
  v1::PingResponse response;
  const grpc::Status status = stub->Ping(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("larger than max"));
}

TEST(SecurityBootstrapTest, GeneratedKeyIsPrintedOnceAndNotOnRestart) {
  testing::TestDatabase db;
  auto first = StartLiftd(db.connection_string(), "");
  ASSERT_NE(first, nullptr);
  const std::string output = first->Output();
  EXPECT_THAT(output, HasSubstr("It is shown ONCE"));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(output, match, kKeyPattern)) << output;
  const std::string key = match.str();
  EXPECT_TRUE(ClientFor(first->address(), key)->ListKeys(false).ok());
  ASSERT_EQ(first->StopWith(SIGTERM), 0);

  auto second = StartLiftd(db.connection_string(), "");
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(std::regex_search(second->Output(), kKeyPattern)) << second->Output();
  EXPECT_THAT(second->Output(), HasSubstr("API keys: 1 in the database"));
  EXPECT_TRUE(ClientFor(second->address(), key)->ListKeys(false).ok());
}

TEST(SecurityBootstrapTest, MalformedEnvironmentKeyStopsStartUp) {
  testing::TestDatabase db;
  setenv("LIFT_BOOTSTRAP_ADMIN_KEY", "not-a-key", 1);
  auto result =
      LiftdProcess::RunToExit({"--listen", "127.0.0.1:" + std::to_string(testing::FreePort()),
                               "--database-url", db.connection_string()});
  unsetenv("LIFT_BOOTSTRAP_ADMIN_KEY");
  EXPECT_EQ(result.code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("LIFT_BOOTSTRAP_ADMIN_KEY: API key must look like"));
  EXPECT_THAT(result.output, HasSubstr("openssl rand"));
}

// ---- TLS ----

struct Certificates {
  TempDir dir;
  std::string Path(const std::string& name) const { return (dir.path() / name).string(); }
  std::string Pem(const std::string& name) const { return ReadText(Path(name)); }
};

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made by openssl.
std::unique_ptr<Certificates> MakeCertificates() {
  auto certs = std::make_unique<Certificates>();
  const std::string d = certs->dir.path().string();
  const std::string script =
      "set -e; cd '" + d +
      "'\n"
      "EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
      "openssl req -x509 $EC -keyout ca.key -out ca.pem -days 2 -subj /CN=lift-test-ca\n"
      "openssl req $EC -keyout server.key -out server.csr -subj /CN=localhost\n"
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > "
      "server.ext\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile server.ext -out server.pem\n"
      "openssl req $EC -keyout client.key -out client.csr -subj /CN=lift-test-client\n"
      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile client.ext -out client.pem\n";
  std::ofstream(d + "/make.sh") << script;
  const int code = std::system(("sh '" + d + "/make.sh' > '" + d + "/make.log' 2>&1").c_str());
  EXPECT_EQ(code, 0) << ReadText(d + "/make.log");
  return certs;
}

TEST_F(SecurityE2eTest, TlsServesOnlyTlsClientsThatTrustItsCa) {
  auto certs = MakeCertificates();
  LiftdOptions options;
  options.tls_ca_pem = certs->Pem("ca.pem");
  auto tls = StartLiftd(
      db_->connection_string(), "",
      {"--tls-cert", certs->Path("server.pem"), "--tls-key", certs->Path("server.key")}, options);
  ASSERT_NE(tls, nullptr);

  client::ClientOptions plain_options;
  plain_options.server = tls->address();
  plain_options.timeout = std::chrono::seconds(2);
  EXPECT_EQ(client::Client(plain_options).Ping().status().code(), absl::StatusCode::kUnavailable);

  client::ClientOptions tls_options = plain_options;
  tls_options.timeout = std::chrono::seconds(20);
  tls_options.tls_ca_pem = certs->Pem("ca.pem");
  tls_options.api_key = kAdminKey;
  client::Client tls_client(tls_options);
  EXPECT_TRUE(tls_client.Ping().ok());
  auto info = tls_client.GetServerInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->transport(), "tls");
  EXPECT_EQ(info->auth_mode(), "api-keys");
  // Keys are still required over TLS.
  tls_options.api_key.clear();
  EXPECT_EQ(client::Client(tls_options).ListKeys(false).status().code(),
            absl::StatusCode::kUnauthenticated);

  auto listed = testing::RunLiftctl(
      tls->address(), {"--tls-ca", certs->Path("ca.pem"), "--api-key", kAdminKey, "keys", "list"});
  EXPECT_EQ(listed.code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("bootstrap-admin"));
}

TEST_F(SecurityE2eTest, MutualTlsRequiresAClientCertificateSignedByTheCa) {
  auto certs = MakeCertificates();
  LiftdOptions options;
  options.tls_ca_pem = certs->Pem("ca.pem");
  options.tls_cert_pem = certs->Pem("client.pem");
  options.tls_key_pem = certs->Pem("client.key");
  auto mtls = StartLiftd(db_->connection_string(), "",
                         {"--tls-cert", certs->Path("server.pem"), "--tls-key",
                          certs->Path("server.key"), "--tls-client-ca", certs->Path("ca.pem")},
                         options);
  ASSERT_NE(mtls, nullptr);

  client::ClientOptions no_cert;
  no_cert.server = mtls->address();
  no_cert.timeout = std::chrono::seconds(2);
  no_cert.tls_ca_pem = certs->Pem("ca.pem");
  EXPECT_EQ(client::Client(no_cert).Ping().status().code(), absl::StatusCode::kUnavailable);

  client::ClientOptions with_cert = no_cert;
  with_cert.timeout = std::chrono::seconds(20);
  with_cert.tls_cert_pem = certs->Pem("client.pem");
  with_cert.tls_key_pem = certs->Pem("client.key");
  with_cert.api_key = kAdminKey;
  client::Client client(with_cert);
  auto info = client.GetServerInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->transport(), "mutual-tls");

  auto listed = testing::RunLiftctl(
      mtls->address(),
      {"--tls-ca", certs->Path("ca.pem"), "--tls-cert", certs->Path("client.pem"), "--tls-key",
       certs->Path("client.key"), "--api-key", kAdminKey, "keys", "list"});
  EXPECT_EQ(listed.code, 0) << listed.output;
}

// Certificates rotate (cert-manager, a renewed CA) while liftd runs: new handshakes get the new
// files' certificate, a broken rotation (new certificate, old key) is refused with a warning while
// the previous certificate stays in service, and no restart is needed.
TEST_F(SecurityE2eTest, RotatedCertificateIsServedToNewConnectionsWithoutARestart) {
  auto old_certs = MakeCertificates();
  auto new_certs = MakeCertificates();  // another CA: a client trusting only it tells them apart
  TempDir live;
  const std::string cert = (live.path() / "server.pem").string();
  const std::string key = (live.path() / "server.key").string();
  // Replaces `to` by the content of `from` in one rename, as rotation tools do.
  auto install = [](const std::string& from, const std::string& to) {
    std::ofstream(to + ".tmp") << ReadText(from);
    std::filesystem::rename(to + ".tmp", to);
  };
  install(old_certs->Path("server.pem"), cert);
  install(old_certs->Path("server.key"), key);
  LiftdOptions options;
  options.tls_ca_pem = old_certs->Pem("ca.pem");
  auto liftd = StartLiftd(db_->connection_string(), "", {"--tls-cert", cert, "--tls-key", key},
                          options);
  ASSERT_NE(liftd, nullptr);
  // Ping (public) over a connection of its own, so every call is a new handshake.
  int connections = 0;
  auto ping_trusting = [&](const Certificates& ca) {
    client::ClientOptions client_options;
    client_options.tls_ca_pem = ca.Pem("ca.pem");
    grpc::ChannelArguments args;
    args.SetInt("lift.test.connection", ++connections);  // channels never share a connection
    auto system = v1::SystemService::NewStub(grpc::CreateCustomChannel(
        liftd->address(), client::ChannelCredentialsFor(client_options), args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::PingResponse pong;
    return system->Ping(&context, v1::PingRequest(), &pong).error_code();
  };
  EXPECT_EQ(ping_trusting(*old_certs), grpc::StatusCode::OK);
  EXPECT_EQ(ping_trusting(*new_certs), grpc::StatusCode::UNAVAILABLE);

  // Half a rotation: the new certificate with the old key is not served.
  install(new_certs->Path("server.pem"), cert);
  bool old_still_served = true;
  EXPECT_TRUE(testing::WaitFor([&] {
    old_still_served = old_still_served && ping_trusting(*old_certs) == grpc::StatusCode::OK;
    return liftd->Output().find("cannot be used, still serving the previous ones") !=
           std::string::npos;
  })) << liftd->Output();
  EXPECT_TRUE(old_still_served);
  EXPECT_EQ(ping_trusting(*old_certs), grpc::StatusCode::OK);

  // The key follows: new handshakes get the new certificate.
  install(new_certs->Path("server.key"), key);
  EXPECT_TRUE(testing::WaitFor(
      [&] { return ping_trusting(*new_certs) == grpc::StatusCode::OK; }))
      << liftd->Output();
  EXPECT_EQ(ping_trusting(*old_certs), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(liftd->Output(), HasSubstr("TLS material reloaded"));
}

TEST(SecurityTlsFlagsTest, CertificateWithoutKeyStopsStartUp) {
  auto result = LiftdProcess::RunToExit(
      {"--listen", "127.0.0.1:" + std::to_string(testing::FreePort()), "--tls-cert",
       "/nonexistent.pem", "--database-url", testing::TestDatabase().connection_string()});
  EXPECT_EQ(result.code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("--tls-cert and --tls-key must be given together"));
}

}  // namespace
}  // namespace lift
