// liftctl keys create | list | revoke: API keys (KeyService, proto/lift/v1/auth.proto; scope
// admin).
//
//   liftctl keys create --name NAME --scope assign|ingest|read|admin [--scope ...] [--json]
//   liftctl keys list [--all] [--json]
//   liftctl keys revoke NAME
//
// `create` prints the new key alone on stdout (so `KEY=$(liftctl keys create ...)` works) and a
// warning on stderr: the key is shown this once; liftd keeps only its SHA-256.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "clients/cpp/commands/command.h"
#include "nlohmann/json.hpp"

namespace lift::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string FormatMicros(int64_t micros) {
  if (micros == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

Json KeyJson(const lift::v1::ApiKey& key) {
  Json json;
  json["name"] = key.name();
  json["prefix"] = key.prefix();
  json["scopes"] = std::vector<std::string>(key.scopes().begin(), key.scopes().end());
  json["created_at"] = FormatMicros(key.created_at_micros());
  json["created_by"] = key.created_by();
  json["revoked_at"] =
      key.revoked_at_micros() == 0 ? Json() : Json(FormatMicros(key.revoked_at_micros()));
  json["revoked_by"] = key.revoked_by();
  return json;
}

struct CreateOptions {
  std::string name;
  std::vector<std::string> scopes;
  bool json = false;
};

struct ListOptions {
  bool all = false;
  bool json = false;
};

}  // namespace

void AddKeyCommands(CLI::App& app, Action* action) {
  CLI::App* keys = app.add_subcommand("keys", "API keys: create, list, revoke (scope admin)");
  keys->require_subcommand(1);

  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = keys->add_subcommand("create", "Create an API key (its secret is shown once)");
  create
      ->add_option("--name", create_options->name,
                   "Key name, [a-z0-9_.-], recorded as the actor in the audit log")
      ->required();
  create
      ->add_option("--scope", create_options->scopes,
                   "assign, ingest, read or admin (repeatable); admin may call everything")
      ->required()
      ->check(CLI::IsMember({"assign", "ingest", "read", "admin"}));
  create->add_flag("--json", create_options->json, "Print JSON with the key and its metadata");
  create->callback([action, create_options] {
    *action = [create_options](lift::client::Client& client) {
      auto created = client.CreateKey(create_options->name, create_options->scopes);
      if (!created.ok()) return Fail(created.status());
      if (create_options->json) {
        Json json = KeyJson(created->key());
        json["secret"] = created->secret();
        std::cout << json.dump(2) << std::endl;
      } else {
        std::cout << created->secret() << std::endl;
      }
      std::cerr << "Created API key '" << created->key().name() << "' with scopes ["
                << absl::StrJoin(created->key().scopes(), ", ") << "].\n"
                << "WARNING: this is the only time the key is shown; liftd keeps only its "
                   "SHA-256. Store it now (e.g. in your secret manager)."
                << std::endl;
      return 0;
    };
  });

  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list = keys->add_subcommand("list", "List API keys (never their secrets)");
  list->add_flag("--all", list_options->all, "Include revoked keys");
  list->add_flag("--json", list_options->json, "Print JSON");
  list->callback([action, list_options] {
    *action = [list_options](lift::client::Client& client) {
      auto listed = client.ListKeys(list_options->all);
      if (!listed.ok()) return Fail(listed.status());
      if (list_options->json) {
        Json json = Json::array();
        for (const auto& key : listed->keys()) json.push_back(KeyJson(key));
        std::cout << json.dump(2) << std::endl;
        return 0;
      }
      std::printf("%-24s %-9s %-26s %-21s %-16s %s\n", "NAME", "PREFIX", "SCOPES", "CREATED",
                  "CREATED BY", "REVOKED");
      for (const auto& key : listed->keys()) {
        const std::string revoked =
            key.revoked_at_micros() == 0
                ? "-"
                : FormatMicros(key.revoked_at_micros()) + " by " + key.revoked_by();
        std::printf("%-24s %-9s %-26s %-21s %-16s %s\n", key.name().c_str(), key.prefix().c_str(),
                    absl::StrJoin(key.scopes(), ",").c_str(),
                    FormatMicros(key.created_at_micros()).c_str(), key.created_by().c_str(),
                    revoked.c_str());
      }
      return 0;
    };
  });

  auto revoke_name = std::make_shared<std::string>();
  CLI::App* revoke =
      keys->add_subcommand("revoke", "Revoke an API key (refused everywhere within 5 seconds)");
  revoke->add_option("name", *revoke_name, "Key name")->required();
  revoke->callback([action, revoke_name] {
    *action = [revoke_name](lift::client::Client& client) {
      auto revoked = client.RevokeKey(*revoke_name);
      if (!revoked.ok()) return Fail(revoked.status());
      std::cout << "revoked API key '" << revoked->name() << "' (prefix " << revoked->prefix()
                << ")" << std::endl;
      return 0;
    };
  });
}

}  // namespace lift::cli
