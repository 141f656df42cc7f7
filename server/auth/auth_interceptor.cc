#include "server/auth/auth_interceptor.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/auth/tls_reloader.h"

namespace lift::auth {
namespace {

std::string_view SliceView(const grpc_slice& slice) {
  return std::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
                          GRPC_SLICE_LENGTH(slice));
}

// Nothing is written into `context`: in gRPC 1.51 the context handed to the processor is the
// connection's, shared by every call on it (a per-call property would leak into other calls), so
// ActorOf derives the caller from the call's own `authorization` metadata instead.
void Complete(grpc_process_auth_metadata_done_cb done, void* user_data,
              const AuthDecision& decision) {
  if (decision.status.ok()) {
    done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_OK, nullptr);
    return;
  }
  const std::string message(decision.status.message());
  done(user_data, nullptr, 0, nullptr, 0, static_cast<grpc_status_code>(decision.status.code()),
       message.c_str());
}

// Credentials built with gRPC's C API, so the processor can be attached to plaintext ports too.
class CoreServerCredentials final : public grpc::ServerCredentials {
 public:
  CoreServerCredentials(TlsReloader* tls, AuthInterceptor* interceptor)
      : tls_(tls), interceptor_(interceptor) {}

  // The interceptor is the processor; a second one is not supported.
  void SetAuthMetadataProcessor(const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {}

 private:
  int AddPortToServer(const std::string& address, grpc_server* server) override {
    grpc_server_credentials* credentials = nullptr;
    if (tls_ == nullptr) {
      credentials = grpc_insecure_server_credentials_create();
    } else {
      // gRPC asks the reloader for the certificate at every handshake (it fetches the initial
      // material here).
      credentials = grpc_ssl_server_credentials_create_with_options(
          grpc_ssl_server_credentials_create_options_using_config_fetcher(
              tls_->mutual() ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                             : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
              &TlsReloader::Fetch, tls_));
    }
    if (credentials == nullptr) return 0;
    if (interceptor_ != nullptr) {
      grpc_server_credentials_set_auth_metadata_processor(credentials, interceptor_->AsProcessor());
    }
    const int port = grpc_server_add_http2_port(server, address.c_str(), credentials);
    grpc_server_credentials_release(credentials);
    return port;
  }

  TlsReloader* const tls_;
  AuthInterceptor* const interceptor_;
};

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

std::optional<AuthDecision> AuthInterceptor::DecideCached(
    std::string_view path, std::optional<std::string_view> authorization) {
  const std::optional<Scope> required = RequiredScope(path);
  if (!required.has_value()) return AuthDecision{UndeclaredMethodError(path), ""};
  if (*required == Scope::kPublic) return AuthDecision{absl::OkStatus(), ""};
  if (!authorization.has_value()) {
    return AuthDecision{absl::UnauthenticatedError(kMissingKeyMessage), ""};
  }
  absl::StatusOr<std::string_view> token = BearerToken(*authorization);
  if (!token.ok()) return AuthDecision{token.status(), ""};
  std::optional<absl::StatusOr<Principal>> principal = authenticator_->VerifyCached(*token);
  if (!principal.has_value()) return std::nullopt;
  return Finish(path, *required, *principal);
}

AuthDecision AuthInterceptor::DecideBlocking(std::string_view path,
                                             std::optional<std::string_view> authorization) {
  if (std::optional<AuthDecision> decision = DecideCached(path, authorization)) {
    return *std::move(decision);
  }
  // DecideCached returns nullopt only for a declared, non-public method with a well-formed header.
  const std::string_view token = *BearerToken(*authorization);
  return Finish(path, *RequiredScope(path), authenticator_->VerifyBlocking(token));
}

AuthDecision AuthInterceptor::Finish(std::string_view path, Scope required,
                                     const absl::StatusOr<Principal>& principal) {
  if (!principal.ok()) return AuthDecision{principal.status(), ""};
  if (absl::Status allowed = Authorize(path, required, *principal); !allowed.ok()) {
    return AuthDecision{allowed, principal->name};
  }
  if (required == Scope::kAdmin && rate_limiter_ != nullptr) {
    if (absl::Status admitted = rate_limiter_->Admit(principal->name); !admitted.ok()) {
      return AuthDecision{admitted, principal->name};
    }
  }
  return AuthDecision{absl::OkStatus(), principal->name};
}

grpc_auth_metadata_processor AuthInterceptor::AsProcessor() {
  grpc_auth_metadata_processor processor{};
  processor.process = &AuthInterceptor::Process;
  processor.destroy = nullptr;
  processor.state = this;
  return processor;
}

void AuthInterceptor::Process(void* state, grpc_auth_context* /*context*/,
                              const grpc_metadata* metadata, size_t count,
                              grpc_process_auth_metadata_done_cb done, void* user_data) {
  auto* self = static_cast<AuthInterceptor*>(state);
  std::string_view path;
  const grpc_metadata* authorization = nullptr;
  bool repeated = false;
  for (size_t i = 0; i < count; ++i) {
    const std::string_view key = SliceView(metadata[i].key);
    if (key == ":path") {
      path = SliceView(metadata[i].value);
    } else if (key == "authorization") {
      repeated = authorization != nullptr;
      authorization = &metadata[i];
    }
  }
  if (repeated) {
    Complete(done, user_data,
             AuthDecision{absl::UnauthenticatedError(
                              "malformed authorization metadata: sent more than once"),
                          ""});
    return;
  }
  std::optional<std::string_view> header;
  if (authorization != nullptr) header = SliceView(authorization->value);
  if (std::optional<AuthDecision> decision = self->DecideCached(path, header)) {
    Complete(done, user_data, *decision);
    return;
  }
  // A database lookup: not on gRPC's thread. The metadata and context stay valid until `done`.
  const bool queued = self->executor_->Submit(
      [self, done, user_data, path = std::string(path), header = std::string(*header)] {
        Complete(done, user_data, self->DecideBlocking(path, header));
      });
  if (!queued) {
    Complete(done, user_data,
             AuthDecision{absl::UnavailableError(
                              "too many calls are waiting for API key verification; retry shortly"),
                          ""});
  }
}

absl::StatusOr<TlsOptions> LoadTlsOptions(const std::string& cert_file, const std::string& key_file,
                                          const std::string& client_ca_file) {
  TlsOptions tls;
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  if (cert_file.empty()) {
    if (!client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
    }
    return tls;
  }
  absl::StatusOr<std::string> cert = ReadPem("--tls-cert", cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("--tls-key", key_file);
  if (!key.ok()) return key.status();
  X509Ptr certificate(PEM_read_bio_X509(MemoryBio(*cert).get(), nullptr, nullptr, nullptr));
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: '", cert_file, "' holds no PEM certificate"));
  }
  KeyPtr private_key(PEM_read_bio_PrivateKey(MemoryBio(*key).get(), nullptr, nullptr, nullptr));
  if (private_key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: '", key_file, "' holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(certificate.get(), private_key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key: '", key_file, "' does not match the certificate in '", cert_file, "'"));
  }
  tls.cert_pem = *std::move(cert);
  tls.key_pem = *std::move(key);
  if (!client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("--tls-client-ca", client_ca_file);
    if (!ca.ok()) return ca.status();
    X509Ptr ca_certificate(PEM_read_bio_X509(MemoryBio(*ca).get(), nullptr, nullptr, nullptr));
    if (ca_certificate == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca: '", client_ca_file, "' holds no PEM certificate"));
    }
    tls.client_ca_pem = *std::move(ca);
  }
  return tls;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(TlsReloader* tls,
                                                               AuthInterceptor* interceptor) {
  return std::make_shared<CoreServerCredentials>(tls, interceptor);
}

}  // namespace lift::auth
