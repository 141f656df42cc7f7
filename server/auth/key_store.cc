#include "server/auth/key_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace lift::auth {
namespace {

#define LIFT_KEY_MICROS(column) "COALESCE((extract(epoch FROM " column ") * 1000000)::bigint, 0)"

constexpr char kColumns[] =
    "name, prefix, secret_sha256, array_to_string(scopes, ','), " LIFT_KEY_MICROS(
        "created_at") ", created_by, " LIFT_KEY_MICROS("revoked_at") ", COALESCE(revoked_by, '')";

constexpr char kBootstrapName[] = "bootstrap-admin";

uint8_t ScopesFromText(const std::string& text) {
  uint8_t scopes = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    absl::StatusOr<Scope> scope = ParseKeyScope(text.substr(start, comma - start));
    if (scope.ok()) scopes |= static_cast<uint8_t>(*scope);
    start = comma + 1;
  }
  return scopes;
}

// PostgreSQL array literal of the scope names, e.g. {assign,read}.
std::string ScopesArrayLiteral(uint8_t scopes) {
  Principal principal{"", scopes};
  std::string literal = "{";
  for (const std::string& name : principal.ScopeNames()) {
    if (literal.size() > 1) literal += ",";
    literal += name;
  }
  return literal + "}";
}

ApiKeyRecord FromRow(const pqxx::row& row) {
  ApiKeyRecord key;
  key.name = row[0].as<std::string>();
  key.prefix = row[1].as<std::string>();
  key.sha256_hex = row[2].as<std::string>();
  key.scopes = ScopesFromText(row[3].as<std::string>());
  key.created_at_micros = row[4].as<int64_t>();
  key.created_by = row[5].as<std::string>();
  key.revoked_at_micros = row[6].as<int64_t>();
  key.revoked_by = row[7].as<std::string>();
  return key;
}

// The audited view of a key: metadata only, never the digest.
std::string AuditJson(const ApiKeyRecord& key) {
  nlohmann::json json;
  json["name"] = key.name;
  json["prefix"] = key.prefix;
  json["scopes"] = Principal{"", key.scopes}.ScopeNames();
  json["created_by"] = key.created_by;
  if (key.revoked_at_micros != 0) json["revoked_by"] = key.revoked_by;
  return json.dump();
}

void Audit(pqxx::work& work, const std::string& actor, const std::string& action,
           const std::string& name, const std::optional<std::string>& before,
           const std::optional<std::string>& after) {
  work.exec_params0(
      "INSERT INTO audit_log (occurred_at, actor, action, entity_type, entity_key, before, after) "
      "VALUES (now(), $1, $2, 'api_key', $3, $4::jsonb, $5::jsonb)",
      actor, action, name, before, after);
}

ApiKeyRecord InsertKey(pqxx::work& work, const std::string& name, uint8_t scopes,
                       const KeyMaterial& material, const std::string& actor) {
  const pqxx::row row = work.exec_params1(
      absl::StrCat("INSERT INTO api_keys (name, prefix, secret_sha256, scopes, created_by) "
                   "VALUES ($1, $2, $3, $4::text[], $5) RETURNING ",
                   kColumns),
      name, material.prefix, HexOf(material.sha256), ScopesArrayLiteral(scopes), actor);
  ApiKeyRecord key = FromRow(row);
  Audit(work, actor, "api_key.create", name, std::nullopt, AuditJson(key));
  return key;
}

}  // namespace

absl::StatusOr<ApiKeyRecord> KeyStore::Create(const std::string& name, uint8_t scopes,
                                              const KeyMaterial& material,
                                              const std::string& actor) {
  if (absl::Status valid = ValidateKeyName(name); !valid.ok()) return valid;
  if (scopes == 0) {
    return absl::InvalidArgumentError(
        "scopes must name at least one of assign, ingest, read, admin");
  }
  ApiKeyRecord created;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    if (!work.exec_params("SELECT 1 FROM api_keys WHERE name = $1", name).empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("an API key named '", name, "' exists or existed (names are never reused)"));
    }
    created = InsertKey(work, name, scopes, material, actor);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<std::vector<ApiKeyRecord>> KeyStore::List(bool include_revoked) {
  std::vector<ApiKeyRecord> keys;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows =
        work.exec_params(absl::StrCat("SELECT ", kColumns,
                                      " FROM api_keys WHERE $1 OR revoked_at IS NULL "
                                      "ORDER BY revoked_at IS NOT NULL, name"),
                         include_revoked);
    for (const pqxx::row& row : rows) keys.push_back(FromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return keys;
}

absl::StatusOr<ApiKeyRecord> KeyStore::Revoke(const std::string& name, const std::string& actor) {
  ApiKeyRecord revoked;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result before = work.exec_params(
        absl::StrCat("SELECT ", kColumns, " FROM api_keys WHERE name = $1 FOR UPDATE"), name);
    if (before.empty()) {
      return absl::NotFoundError(absl::StrCat("no API key named '", name, "'"));
    }
    const ApiKeyRecord old = FromRow(before[0]);
    if (old.revoked_at_micros != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("API key '", name, "' is already revoked (by ", old.revoked_by, ")"));
    }
    revoked = FromRow(work.exec_params1(
        absl::StrCat("UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE name = $1 "
                     "RETURNING ",
                     kColumns),
        name, actor));
    Audit(work, actor, "api_key.revoke", name, AuditJson(old), AuditJson(revoked));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return revoked;
}

absl::StatusOr<std::optional<ApiKeyRecord>> KeyStore::FindByPrefix(const std::string& prefix) {
  std::optional<ApiKeyRecord> found;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows = work.exec_params(
        absl::StrCat("SELECT ", kColumns, " FROM api_keys WHERE prefix = $1"), prefix);
    if (!rows.empty()) found = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<BootstrapResult> KeyStore::Bootstrap(const std::string& provided_token) {
  KeyMaterial material;
  const bool provided = !provided_token.empty();
  if (provided) {
    absl::StatusOr<KeyMaterial> parsed = MaterialOf(provided_token);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "LIFT_BOOTSTRAP_ADMIN_KEY: ", parsed.status().message(),
          "; generate one with: echo lift_$(openssl rand -hex 4)_$(openssl rand -hex 32)"));
    }
    material = *std::move(parsed);
  } else {
    absl::StatusOr<KeyMaterial> generated = GenerateKey();
    if (!generated.ok()) return generated.status();
    material = *std::move(generated);
  }
  BootstrapResult result;
  absl::Status status = pool_->Run([&](pqxx::work& work) -> absl::Status {
    work.exec0("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE");
    const int64_t existing = work.exec1("SELECT count(*) FROM api_keys")[0].as<int64_t>();
    if (existing > 0) {
      bool known = false;
      if (provided) {
        known = !work.exec_params("SELECT 1 FROM api_keys WHERE prefix = $1 AND secret_sha256 = $2",
                                  material.prefix, HexOf(material.sha256))
                     .empty();
      }
      result.summary =
          provided && !known
              ? absl::StrCat("LIFT_BOOTSTRAP_ADMIN_KEY is ignored: the database already has ",
                             existing,
                             " API key(s) and the bootstrap key is only installed on first start")
              : absl::StrCat("API keys: ", existing, " in the database");
      return absl::OkStatus();
    }
    InsertKey(work, kBootstrapName, static_cast<uint8_t>(Scope::kAdmin), material, kSystemActor);
    result.summary = provided ? "installed LIFT_BOOTSTRAP_ADMIN_KEY as admin key 'bootstrap-admin'"
                              : "generated admin key 'bootstrap-admin' (printed once on stderr)";
    if (!provided) result.generated_token = material.token;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace lift::auth
