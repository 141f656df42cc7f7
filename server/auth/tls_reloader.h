// TlsReloader: liftd's TLS material (--tls-cert, --tls-key, --tls-client-ca), re-read from its
// files while the server runs, so a rotated certificate or client CA takes effect without a
// restart. gRPC asks for the material at every TLS handshake (Fetch, given to
// grpc_ssl_server_credentials_create_options_using_config_fetcher); the reloader answers from
// memory and looks at the files' modification times at most once per `check_interval`. A changed
// set is loaded and checked exactly as at start (LoadTlsOptions): when it is valid the next
// handshakes use it; when it is not (a rotation half written, a key that does not match the
// certificate) it logs a warning once and keeps serving what it has. Connections already open
// keep the material they were made with.
// Thread-safe. Must outlive the gRPC server whose credentials use it.
#ifndef LIFT_SERVER_AUTH_TLS_RELOADER_H_
#define LIFT_SERVER_AUTH_TLS_RELOADER_H_

#include <grpc/grpc_security.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "server/auth/auth_interceptor.h"

namespace lift::auth {

// The files TlsOptions were read from (client_ca_file empty: no mutual TLS).
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

class TlsReloader {
 public:
  // `initial` was loaded from `files` by LoadTlsOptions (cert_pem set).
  TlsReloader(TlsFiles files, TlsOptions initial,
              std::chrono::milliseconds check_interval = std::chrono::seconds(1));
  TlsReloader(const TlsReloader&) = delete;
  TlsReloader& operator=(const TlsReloader&) = delete;

  // grpc_ssl_server_certificate_config_callback, `self` being the TlsReloader: the material to
  // use from this handshake on (RELOAD_NEW, gRPC owns *config) or UNCHANGED.
  static grpc_ssl_certificate_config_reload_status Fetch(
      void* self, grpc_ssl_server_certificate_config** config);

  bool mutual() const { return !files_.client_ca_file.empty(); }

 private:
  using FileTimes = std::array<std::filesystem::file_time_type, 3>;
  FileTimes ReadFileTimes() const;
  grpc_ssl_server_certificate_config* NewConfig() const;  // from current_, mutex held
  grpc_ssl_certificate_config_reload_status FetchLocked(grpc_ssl_server_certificate_config** config);

  const TlsFiles files_;
  const std::chrono::milliseconds check_interval_;
  mutable std::mutex mutex_;
  TlsOptions current_;
  FileTimes seen_{};  // modification times of the files last looked at
  std::chrono::steady_clock::time_point last_check_;
  bool served_ = false;  // gRPC fetched the initial material
  int64_t reloads_ = 0;  // material loaded after the first, for the log
};

}  // namespace lift::auth

#endif  // LIFT_SERVER_AUTH_TLS_RELOADER_H_
