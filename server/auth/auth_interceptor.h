// AuthInterceptor: the one place where every gRPC call is authenticated and authorised, before any
// handler runs.
//
// Why not a grpc::experimental::ServerInterceptor: in gRPC 1.51 a server-side interceptor can
// observe a call but cannot fail it (Hijack() is client-only; TryCancel() answers CANCELLED and the
// handler still runs). gRPC C-core's server auth hook can: a `grpc_auth_metadata_processor`
// attached to the listening port's credentials sees every call's metadata (including `:path`, the
// method) before the call is dispatched, and finishes it with any status. MakeServerCredentials
// builds plaintext or TLS credentials with this processor attached (the C++
// `SetAuthMetadataProcessor` aborts on insecure credentials, so we use the C API for both). No
// handler has to remember anything: a method missing from the scope table (scopes.h) is refused.
//
// For each call, in order:
//   public method (Ping, health, reflection)  -> allowed, no key needed;
//   method not in the scope table              -> PERMISSION_DENIED "no scope declared ...";
//   no `authorization` metadata                -> UNAUTHENTICATED "missing API key: send
//                                                 'authorization: Bearer <key>' metadata";
//   malformed / unknown / revoked key          -> UNAUTHENTICATED;
//   key lacks the scope (and is not admin)     -> PERMISSION_DENIED naming method, scope, key;
//   admin-scope method beyond the key's rate   -> RESOURCE_EXHAUSTED with a retry hint;
//   otherwise allowed (ActorOf, actor.h, later names the key for the audit log).
// Cached keys (Authenticator) are decided inline on gRPC's thread; a cache miss queries PostgreSQL
// on `executor` and finishes the check from there.
//
// Thread safety: thread-safe. The interceptor must outlive the grpc::Server using the credentials.
#ifndef LIFT_SERVER_AUTH_AUTH_INTERCEPTOR_H_
#define LIFT_SERVER_AUTH_AUTH_INTERCEPTOR_H_

#include <grpc/grpc_security.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/auth/authenticator.h"
#include "server/auth/rate_limiter.h"
#include "server/grpc/blocking_executor.h"

namespace lift::auth {

inline constexpr char kMissingKeyMessage[] =
    "missing API key: send 'authorization: Bearer <key>' metadata";

struct AuthDecision {
  absl::Status status;   // OK: allowed
  std::string key_name;  // the caller, when a key was checked
};

class AuthInterceptor {
 public:
  // All must outlive the interceptor; `rate_limiter` may be null (no limit).
  AuthInterceptor(Authenticator* authenticator, RateLimiter* rate_limiter,
                  BlockingExecutor* executor)
      : authenticator_(authenticator), rate_limiter_(rate_limiter), executor_(executor) {}

  // The decision for a call of `path` carrying `authorization` (nullopt: none sent) from cached
  // knowledge only; nullopt when the key must be looked up in the database.
  std::optional<AuthDecision> DecideCached(std::string_view path,
                                           std::optional<std::string_view> authorization);
  // The decision, looking the key up when needed (blocks on the database).
  AuthDecision DecideBlocking(std::string_view path, std::optional<std::string_view> authorization);

  // This interceptor as a C-core processor (state = this; nothing to destroy).
  grpc_auth_metadata_processor AsProcessor();

 private:
  static void Process(void* state, grpc_auth_context* context, const grpc_metadata* metadata,
                      size_t count, grpc_process_auth_metadata_done_cb done, void* user_data);
  AuthDecision Finish(std::string_view path, Scope required,
                      const absl::StatusOr<Principal>& principal);

  Authenticator* authenticator_;
  RateLimiter* rate_limiter_;
  BlockingExecutor* executor_;
};

// PEM material for TLS; all empty: plaintext.
struct TlsOptions {
  std::string cert_pem;       // server certificate chain
  std::string key_pem;        // its private key
  std::string client_ca_pem;  // non-empty: mutual TLS, client certificates required and verified
};

// Reads --tls-cert/--tls-key/--tls-client-ca files (empty paths stay empty) and checks them with
// OpenSSL: InvalidArgument when only one of cert/key is given, a client CA without a certificate,
// unparsable PEM, or a key that does not match the certificate; NotFound when a file is unreadable.
absl::StatusOr<TlsOptions> LoadTlsOptions(const std::string& cert_file, const std::string& key_file,
                                          const std::string& client_ca_file);

class TlsReloader;

// Credentials for ServerBuilder::AddListeningPort: TLS with the material `tls` serves (and
// reloads, tls_reloader.h) when it is not null, plaintext otherwise; every call passes through
// `interceptor` first unless it is null (--insecure-no-auth). Both must outlive the server.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(TlsReloader* tls,
                                                               AuthInterceptor* interceptor);

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_AUTH_INTERCEPTOR_H_
