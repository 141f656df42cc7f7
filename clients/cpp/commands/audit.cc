// liftctl audit: the audit log (AuditService.ListAuditEntries, proto/lift/v1/auth.proto; scope
// admin), newest first.
//
//   liftctl audit [--since 2026-11-01] [--until T] [--actor NAME] [--entity TYPE[:KEY]]
//                 [--limit N] [--json]
//
// Instants: a UTC date (midnight UTC) or RFC 3339. The table shows time, actor (API key name),
// action and entity; --json prints one object per entry with before/after as JSON values.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/cpp/commands/command.h"
#include "nlohmann/json.hpp"

namespace lift::cli {
namespace {

using Json = nlohmann::ordered_json;

struct AuditOptions {
  std::string since;
  std::string until;
  std::string actor;
  std::string entity;
  int limit = 50;
  bool json = false;
};

absl::StatusOr<int64_t> ParseInstant(const std::string& text, const std::string& flag) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &time, &error)) {
    return absl::ToUnixMicros(time);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " must be a date (2026-11-01) or RFC 3339 time, got '", text, "'"));
}

Json JsonOrNull(const std::string& text) {
  if (text.empty()) return Json();
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

int Run(lift::client::Client& client, const AuditOptions& options) {
  lift::v1::ListAuditEntriesRequest request;
  if (!options.since.empty()) {
    auto since = ParseInstant(options.since, "--since");
    if (!since.ok()) return Fail(since.status());
    request.mutable_time_range()->set_start_micros(*since);
  }
  if (!options.until.empty()) {
    auto until = ParseInstant(options.until, "--until");
    if (!until.ok()) return Fail(until.status());
    request.mutable_time_range()->set_end_micros(*until);
  }
  request.set_actor(options.actor);
  if (!options.entity.empty()) {
    const size_t colon = options.entity.find(':');
    request.set_entity_type(options.entity.substr(0, colon));
    if (colon != std::string::npos) request.set_entity_key(options.entity.substr(colon + 1));
  }
  Json entries = Json::array();
  bool header = false;
  int printed = 0;
  std::string token;
  do {
    request.mutable_page()->set_page_size(std::min(options.limit - printed, 1000));
    request.mutable_page()->set_page_token(token);
    auto page = client.ListAuditEntries(request);
    if (!page.ok()) return Fail(page.status());
    for (const lift::v1::AuditEntry& entry : page->entries()) {
      const std::string when =
          absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMicros(entry.occurred_at_micros()),
                           absl::UTCTimeZone());
      if (options.json) {
        Json json;
        json["id"] = entry.id();
        json["occurred_at"] = when;
        json["actor"] = entry.actor();
        json["action"] = entry.action();
        json["entity_type"] = entry.entity_type();
        json["entity_key"] = entry.entity_key();
        json["before"] = JsonOrNull(entry.before_json());
        json["after"] = JsonOrNull(entry.after_json());
        entries.push_back(std::move(json));
      } else {
        if (!header) {
          std::printf("%-24s %-20s %-26s %s\n", "TIME (UTC)", "ACTOR", "ACTION", "ENTITY");
          header = true;
        }
        std::printf("%-24s %-20s %-26s %s:%s\n", when.c_str(), entry.actor().c_str(),
                    entry.action().c_str(), entry.entity_type().c_str(),
                    entry.entity_key().c_str());
      }
      ++printed;
    }
    token = page->page().next_page_token();
  } while (!token.empty() && printed < options.limit);
  if (options.json) {
    std::cout << entries.dump(2) << std::endl;
  } else if (printed == 0) {
    std::cout << "no audit entries match" << std::endl;
  }
  return 0;
}

}  // namespace

void AddAuditCommand(CLI::App& app, Action* action) {
  auto options = std::make_shared<AuditOptions>();
  CLI::App* audit = app.add_subcommand(
      "audit", "Who changed what and when: the audit log, newest first (scope admin)");
  audit->add_option("--since", options->since, "From this date/time (UTC date or RFC 3339)");
  audit->add_option("--until", options->until, "Before this date/time");
  audit->add_option("--actor", options->actor, "Only changes by this API key name");
  audit->add_option("--entity", options->entity,
                    "Only this entity: TYPE (experiment, metric, api_key, ...) or TYPE:KEY");
  audit->add_option("--limit", options->limit, "At most this many entries")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  audit->add_flag("--json", options->json, "Print JSON with before/after");
  audit->callback([action, options] {
    *action = [options](lift::client::Client& client) { return Run(client, *options); };
  });
}

}  // namespace lift::cli
