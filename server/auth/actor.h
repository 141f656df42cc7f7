// ActorOf: who is calling, for the audit log — the name of the API key the AuthInterceptor accepted
// for this call, or "anonymous" when liftd runs with --insecure-no-auth.
//
// The interceptor has already verified the call's `authorization` metadata (hash, revocation,
// scope) before any handler runs; ActorOf maps that key's prefix to its name through the
// Authenticator registered with SetActorSource (in memory, never blocking). gRPC 1.51 gives the
// interceptor no per-call place to store the name (the AuthContext it sees is the connection's),
// hence this lookup.
//
// Thread safety: thread-safe. One Authenticator per process (the running liftd).
#ifndef LIFT_SERVER_AUTH_ACTOR_H_
#define LIFT_SERVER_AUTH_ACTOR_H_

#include <grpcpp/server_context.h>

#include <string>

#include "server/auth/authenticator.h"

namespace lift::auth {

inline constexpr char kAnonymousActor[] = "anonymous";

// Registers (or, with nullptr, clears) the Authenticator ActorOf asks. LiftServer calls it when
// API keys are on; it must outlive its registration.
void SetActorSource(const Authenticator* authenticator);

// The verified key name of the call; kAnonymousActor without authentication.
std::string ActorOf(const grpc::ServerContextBase* context);

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_ACTOR_H_
