#include "server/auth/actor.h"

#include <atomic>

#include "server/auth/api_key.h"

namespace lift::auth {
namespace {

std::atomic<const Authenticator*> actor_source{nullptr};

}  // namespace

void SetActorSource(const Authenticator* authenticator) { actor_source.store(authenticator); }

std::string ActorOf(const grpc::ServerContextBase* context) {
  const Authenticator* source = actor_source.load();
  if (context == nullptr || source == nullptr) return kAnonymousActor;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return kAnonymousActor;
  absl::StatusOr<std::string_view> token =
      BearerToken(std::string_view(it->second.data(), it->second.size()));
  if (!token.ok()) return kAnonymousActor;
  absl::StatusOr<std::string> prefix = KeyPrefix(*token);
  if (!prefix.ok()) return kAnonymousActor;
  std::optional<std::string> name = source->NameOf(*prefix);
  // Accepted calls always have a known name; the prefix is a safe stand-in otherwise.
  return name.has_value() ? *name : "key:" + *prefix;
}

}  // namespace lift::auth
