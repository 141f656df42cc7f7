#include "server/auth/tls_reloader.h"

#include <system_error>
#include <utility>

#include "spdlog/spdlog.h"

namespace lift::auth {

TlsReloader::TlsReloader(TlsFiles files, TlsOptions initial,
                         std::chrono::milliseconds check_interval)
    : files_(std::move(files)),
      check_interval_(check_interval),
      current_(std::move(initial)),
      last_check_(std::chrono::steady_clock::now()) {
  seen_ = ReadFileTimes();
}

TlsReloader::FileTimes TlsReloader::ReadFileTimes() const {
  FileTimes times{};
  const std::string* paths[] = {&files_.cert_file, &files_.key_file, &files_.client_ca_file};
  for (size_t i = 0; i < times.size(); ++i) {
    if (paths[i]->empty()) continue;
    std::error_code error;  // an unreadable file: the load below reports it
    times[i] = std::filesystem::last_write_time(*paths[i], error);
  }
  return times;
}

grpc_ssl_server_certificate_config* TlsReloader::NewConfig() const {
  grpc_ssl_pem_key_cert_pair pair{current_.key_pem.c_str(), current_.cert_pem.c_str()};
  // gRPC 1.51 requires root certificates in a fetched config even when it does not ask clients
  // for certificates (ssl_security_connector.cc asserts, and liftd would abort); they are not
  // used then, so without mutual TLS the server's own chain stands in.
  return grpc_ssl_server_certificate_config_create(
      mutual() ? current_.client_ca_pem.c_str() : current_.cert_pem.c_str(), &pair, 1);
}

grpc_ssl_certificate_config_reload_status TlsReloader::Fetch(
    void* self, grpc_ssl_server_certificate_config** config) {
  auto* reloader = static_cast<TlsReloader*>(self);
  std::lock_guard<std::mutex> lock(reloader->mutex_);
  return reloader->FetchLocked(config);
}

grpc_ssl_certificate_config_reload_status TlsReloader::FetchLocked(
    grpc_ssl_server_certificate_config** config) {
  if (!served_) {
    served_ = true;
    *config = NewConfig();
    return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < check_interval_) return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  last_check_ = now;
  const FileTimes times = ReadFileTimes();
  if (times == seen_) return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  seen_ = times;  // judged once per change: a broken set is reported once, not per handshake
  absl::StatusOr<TlsOptions> loaded =
      LoadTlsOptions(files_.cert_file, files_.key_file, files_.client_ca_file);
  if (!loaded.ok()) {
    spdlog::warn("TLS files changed but cannot be used, still serving the previous ones: {}",
                 std::string(loaded.status().message()));
    return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  }
  if (loaded->cert_pem == current_.cert_pem && loaded->key_pem == current_.key_pem &&
      loaded->client_ca_pem == current_.client_ca_pem) {
    return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  }
  current_ = *std::move(loaded);
  ++reloads_;
  spdlog::info("TLS material reloaded from {} (reload {})", files_.cert_file, reloads_);
  *config = NewConfig();
  return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

}  // namespace lift::auth
