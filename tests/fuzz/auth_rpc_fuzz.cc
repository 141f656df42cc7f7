// lift.v1.KeyService and lift.v1.AuditService requests (server/grpc/key_service.h,
// audit_service.h over server/auth/), and the authorization check every call goes through
// (server/auth/auth_interceptor.h). Byte 0 selects:
//   0 CreateKey  1 ListKeys  2 RevokeKey  3 ListAuditEntries   the rest is the request message
//   (protobuf wire format); the handler runs on a test context against a database that cannot be
//   reached, so it validates the request and stops at the first database access;
//   4 the interceptor's decision for "<method path>\n<authorization metadata>" (no "\n": no
//   metadata sent), with keys looked up in a fixed table (one active key with scopes read and
//   ingest, one revoked admin key, a prefix whose lookup fails as if the database were down).
// Properties: the calls fail with an expected code; a decision is OK only for a declared method
// whose scope the active key holds (or a public method), and the cached decision agrees with the
// blocking one.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "server/auth/api_key.h"
#include "server/auth/audit_log.h"
#include "server/auth/auth_interceptor.h"
#include "server/auth/authenticator.h"
#include "server/auth/key_store.h"
#include "server/auth/rate_limiter.h"
#include "server/auth/scopes.h"
#include "server/grpc/audit_service.h"
#include "server/grpc/blocking_executor.h"
#include "server/grpc/key_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/rpc_support.h"

namespace {

using lift::AuditServiceImpl;
using lift::KeyServiceImpl;

constexpr char kActiveToken[] =
    "lift_0123abcd_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kRevokedToken[] =
    "lift_deadbeef_ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
constexpr char kUnreachablePrefix[] = "0badf00d";

lift::auth::ApiKeyRecord Record(const char* token, const char* name, uint8_t scopes) {
  absl::StatusOr<lift::auth::KeyMaterial> material = lift::auth::MaterialOf(token);
  LIFT_FUZZ_CHECK(material.ok());
  lift::auth::ApiKeyRecord record;
  record.name = name;
  record.prefix = material->prefix;
  record.sha256_hex = lift::auth::HexOf(material->sha256);
  record.scopes = scopes;
  record.created_at_micros = 1;
  record.created_by = "system";
  return record;
}

absl::StatusOr<std::optional<lift::auth::ApiKeyRecord>> LookUp(const std::string& prefix) {
  static const lift::auth::ApiKeyRecord active =
      Record(kActiveToken, "reporting",
             static_cast<uint8_t>(lift::auth::Scope::kRead) |
                 static_cast<uint8_t>(lift::auth::Scope::kIngest));
  static const lift::auth::ApiKeyRecord revoked = [] {
    lift::auth::ApiKeyRecord record =
        Record(kRevokedToken, "old-admin", static_cast<uint8_t>(lift::auth::Scope::kAdmin));
    record.revoked_at_micros = 2;
    record.revoked_by = "security";
    return record;
  }();
  if (prefix == active.prefix) return active;
  if (prefix == revoked.prefix) return revoked;
  if (prefix == kUnreachablePrefix) return absl::UnavailableError("database down");
  return std::nullopt;
}

struct Services {
  lift::auth::KeyStore keys{&lift::fuzz::DeadDatabasePool()};
  lift::auth::AuditLog audit{&lift::fuzz::DeadDatabasePool()};
  lift::auth::Authenticator authenticator{LookUp};
  lift::auth::RateLimiter rate_limiter{/*rate_per_second=*/1e6, /*burst=*/1e6};
  lift::BlockingExecutor executor{/*threads=*/1, /*max_queued=*/16};
  KeyServiceImpl key_service{&keys, &authenticator, &executor};
  AuditServiceImpl audit_service{&audit, &executor};
  lift::auth::AuthInterceptor interceptor{&authenticator, &rate_limiter, &executor};
};

Services& TheServices() {
  static Services* const services = new Services;
  return *services;
}

template <typename Service, typename Request, typename Response>
void Run(Service& service,
         grpc::ServerUnaryReactor* (Service::*method)(grpc::CallbackServerContext*, const Request*,
                                                      Response*),
         std::string_view bytes) {
  lift::fuzz::CallRpc(service, method, bytes,
                      [](const Request&, const Response&, const grpc::Status& status) {
                        LIFT_FUZZ_CHECK(lift::fuzz::IsExpectedFailure(status));
                      });
}

void CheckDecision(std::string_view text) {
  const size_t newline = text.find('\n');
  const std::string_view path = text.substr(0, newline);
  std::optional<std::string_view> authorization;
  if (newline != std::string_view::npos) authorization = text.substr(newline + 1);

  lift::auth::AuthInterceptor& interceptor = TheServices().interceptor;
  const std::optional<lift::auth::AuthDecision> cached =
      interceptor.DecideCached(path, authorization);
  const lift::auth::AuthDecision decision = interceptor.DecideBlocking(path, authorization);
  if (cached.has_value()) {
    LIFT_FUZZ_CHECK(cached->status.code() == decision.status.code());
  }
  const std::optional<lift::auth::Scope> required = lift::auth::RequiredScope(path);
  if (decision.status.ok()) {
    LIFT_FUZZ_CHECK(required.has_value());
    if (*required != lift::auth::Scope::kPublic) {
      LIFT_FUZZ_CHECK(decision.key_name == "reporting");
      LIFT_FUZZ_CHECK(*required == lift::auth::Scope::kRead ||
                      *required == lift::auth::Scope::kIngest);
    }
  } else {
    LIFT_FUZZ_CHECK(!absl::IsInternal(decision.status) && !absl::IsUnknown(decision.status));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = lift::fuzz::AsText(data + 1, size - 1);
  Services& services = TheServices();
  switch (data[0] % 5) {
    case 0:
      Run(services.key_service, &KeyServiceImpl::CreateKey, bytes);
      break;
    case 1:
      Run(services.key_service, &KeyServiceImpl::ListKeys, bytes);
      break;
    case 2:
      Run(services.key_service, &KeyServiceImpl::RevokeKey, bytes);
      break;
    case 3:
      Run(services.audit_service, &AuditServiceImpl::ListAuditEntries, bytes);
      break;
    case 4:
      CheckDecision(bytes);
      break;
  }
  return 0;
}
