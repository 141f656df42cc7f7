#include "server/grpc/key_service.h"

#include "absl/strings/str_cat.h"
#include "server/auth/actor.h"
#include "server/grpc/offload.h"

namespace lift {
namespace {

void KeyToProto(const auth::ApiKeyRecord& key, v1::ApiKey* proto) {
  proto->set_name(key.name);
  proto->set_prefix(key.prefix);
  for (const std::string& scope : auth::Principal{"", key.scopes}.ScopeNames()) {
    proto->add_scopes(scope);
  }
  proto->set_created_at_micros(key.created_at_micros);
  proto->set_created_by(key.created_by);
  proto->set_revoked_at_micros(key.revoked_at_micros);
  proto->set_revoked_by(key.revoked_by);
}

}  // namespace

grpc::ServerUnaryReactor* KeyServiceImpl::CreateKey(grpc::CallbackServerContext* context,
                                                    const v1::CreateKeyRequest* request,
                                                    v1::CreateKeyResponse* response) {
  return Offload(
      *executor_, context,
      [this, request, response, actor = auth::ActorOf(context)]() -> absl::Status {
        uint8_t scopes = 0;
        for (int i = 0; i < request->scopes_size(); ++i) {
          absl::StatusOr<auth::Scope> scope = auth::ParseKeyScope(request->scopes(i));
          if (!scope.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("scopes[", i, "]: ", scope.status().message()));
          }
          scopes |= static_cast<uint8_t>(*scope);
        }
        absl::StatusOr<auth::KeyMaterial> material = auth::GenerateKey();
        if (!material.ok()) return material.status();
        absl::StatusOr<auth::ApiKeyRecord> created =
            keys_->Create(request->name(), scopes, *material, actor);
        if (!created.ok()) return created.status();
        KeyToProto(*created, response->mutable_key());
        response->set_secret(material->token);
        return absl::OkStatus();
      },
      "key requests");
}

grpc::ServerUnaryReactor* KeyServiceImpl::ListKeys(grpc::CallbackServerContext* context,
                                                   const v1::ListKeysRequest* request,
                                                   v1::ListKeysResponse* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        absl::StatusOr<std::vector<auth::ApiKeyRecord>> keys =
            keys_->List(request->include_revoked());
        if (!keys.ok()) return keys.status();
        for (const auth::ApiKeyRecord& key : *keys) KeyToProto(key, response->add_keys());
        return absl::OkStatus();
      },
      "key requests");
}

grpc::ServerUnaryReactor* KeyServiceImpl::RevokeKey(grpc::CallbackServerContext* context,
                                                    const v1::RevokeKeyRequest* request,
                                                    v1::ApiKey* response) {
  return Offload(
      *executor_, context,
      [this, request, response, actor = auth::ActorOf(context)]() -> absl::Status {
        absl::StatusOr<auth::ApiKeyRecord> revoked = keys_->Revoke(request->name(), actor);
        if (!revoked.ok()) return revoked.status();
        // Immediate on this liftd; other replicas notice within the cache TTL.
        if (authenticator_ != nullptr) authenticator_->Invalidate(revoked->prefix);
        KeyToProto(*revoked, response);
        return absl::OkStatus();
      },
      "key requests");
}

}  // namespace lift
