// liftctl ingest exposures|events --csv FILE [--batch N] [--dry-run]
//
// Streams a CSV file to liftd in batches (LogExposures / LogEvents), showing progress (rows/s, ETA)
// on a terminal, retrying batches the server could not take yet (UNAVAILABLE, RESOURCE_EXHAUSTED)
// with exponential back-off. Re-running a file is harmless: event ids make every row idempotent.
// Headers: exposures `event_id,experiment,variant,unit_id,timestamp` (extra columns become
// attributes); events `event_id,unit_id,event,value,timestamp` (extra columns become properties;
// an empty value means 1). Timestamps are RFC 3339. --dry-run checks the file without sending.
// Exit codes: 0 every row stored (or already stored), 1 some rows were rejected or the upload
// failed, 2 bad usage.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "clients/cpp/analyze/csv_reader.h"
#include "clients/cpp/commands/command.h"
#include "lift/v1/events.grpc.pb.h"

namespace lift::cli {
namespace {

using analyze::CsvReader;
using Clock = std::chrono::steady_clock;

constexpr int kMaxListedRejections = 20;
constexpr auto kMaxRetryTime = std::chrono::seconds(60);

struct IngestOptions {
  std::string kind;  // "exposures" or "events"
  std::string csv;
  int batch = 1000;
  bool dry_run = false;
};

struct Totals {
  int64_t read = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  std::vector<std::string> listed;  // "line N: field: reason"
};

// The columns each kind needs, in the header example's order.
const std::vector<std::string>& RequiredColumns(const std::string& kind) {
  static const std::vector<std::string> kExposures = {"event_id", "experiment", "variant",
                                                      "unit_id", "timestamp"};
  static const std::vector<std::string> kEvents = {"event_id", "unit_id", "event", "value",
                                                   "timestamp"};
  return kind == "exposures" ? kExposures : kEvents;
}

// Sends one batch, retrying while the server asks to (full queue, database down).
grpc::Status SendWithRetry(const std::function<grpc::Status(lift::v1::LogResponse*)>& send,
                           lift::v1::LogResponse* response) {
  const auto give_up = Clock::now() + kMaxRetryTime;
  auto delay = std::chrono::milliseconds(100);
  while (true) {
    response->Clear();
    grpc::Status status = send(response);
    const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if (status.ok() || !retryable || Clock::now() + delay > give_up) return status;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

void ShowProgress(const Totals& totals, Clock::time_point start, double fraction_done) {
  if (!isatty(STDERR_FILENO)) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double rate = seconds > 0 ? static_cast<double>(totals.read) / seconds : 0;
  std::string eta = "?";
  if (fraction_done > 0.001 && seconds > 0) {
    eta = absl::StrCat(static_cast<int64_t>(seconds * (1 - fraction_done) / fraction_done), " s");
  }
  std::cerr << "\r  " << totals.read << " rows  " << static_cast<int64_t>(rate) << " rows/s  "
            << static_cast<int>(fraction_done * 100) << "%  ETA " << eta << "    " << std::flush;
}

int RunIngest(const IngestOptions& options, client::Client& client) {
  std::ifstream file(options.csv, std::ios::binary);
  if (!file) return Fail(absl::NotFoundError(absl::StrCat("cannot open ", options.csv)));
  file.seekg(0, std::ios::end);
  const double file_bytes = static_cast<double>(file.tellg());
  file.seekg(0);
  CsvReader reader(file, options.csv);
  const auto& required = RequiredColumns(options.kind);
  std::string example;
  for (const auto& column : required) absl::StrAppend(&example, example.empty() ? "" : ",", column);
  if (auto status = reader.ReadHeader(example); !status.ok()) return Fail(status);
  std::vector<size_t> columns;
  for (const auto& name : required) {
    auto column = reader.Column(name);
    if (!column) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          options.csv, " line ", reader.line(), ": missing column '", name, "' (expected ", example,
          ", extra columns become ", options.kind == "exposures" ? "attributes" : "properties", ")")));
    }
    columns.push_back(*column);
  }
  std::vector<size_t> extras;
  for (size_t i = 0; i < reader.header().size(); ++i) {
    if (std::find(columns.begin(), columns.end(), i) == columns.end()) extras.push_back(i);
  }

  auto stub = lift::v1::EventService::NewStub(client.channel());
  lift::v1::LogExposuresRequest exposures;
  lift::v1::LogEventsRequest events;
  std::vector<int64_t> lines;  // CSV line of each row in the current batch
  Totals totals;
  const auto start = Clock::now();
  auto note_rejection = [&](int64_t line, const std::string& field, const std::string& reason) {
    ++totals.rejected;
    if (static_cast<int>(totals.listed.size()) < kMaxListedRejections) {
      totals.listed.push_back(absl::StrCat("line ", line, ": ", field, ": ", reason));
    }
  };
  auto flush = [&]() -> absl::Status {
    const int rows = options.kind == "exposures" ? exposures.exposures_size() : events.events_size();
    if (rows == 0) return absl::OkStatus();
    if (!options.dry_run) {
      lift::v1::LogResponse response;
      grpc::Status status = SendWithRetry(
          [&](lift::v1::LogResponse* out) {
            grpc::ClientContext context;
            client.Prepare(context);
            return options.kind == "exposures" ? stub->LogExposures(&context, exposures, out)
                                               : stub->LogEvents(&context, events, out);
          },
          &response);
      if (!status.ok()) {
        return absl::Status(
            client::FromGrpcStatus(status).code(),
            absl::StrCat("batch ending at line ", lines.back(), " was not stored: ",
                         status.error_message(), " (re-run the same file to resume: rows already "
                         "stored count as duplicates)"));
      }
      totals.accepted += response.accepted();
      totals.duplicates += response.duplicates();
      for (const auto& rejected : response.rejected()) {
        note_rejection(lines[rejected.index()], rejected.field(), rejected.reason());
      }
      totals.rejected += response.rejected_count() - response.rejected_size();
    }
    exposures.Clear();
    events.Clear();
    lines.clear();
    return absl::OkStatus();
  };

  std::vector<std::string> fields;
  while (true) {
    auto more = reader.Next(fields);
    if (!more.ok()) return Fail(more.status());
    if (!*more) break;
    ++totals.read;
    absl::Time timestamp;
    std::string parse_error;
    const std::string& timestamp_text = fields[columns[4]];
    if (!absl::ParseTime(absl::RFC3339_full, std::string(analyze::TrimSpaces(timestamp_text)),
                         &timestamp, &parse_error)) {
      note_rejection(reader.line(), "timestamp",
                     absl::StrCat("'", timestamp_text, "' is not an RFC 3339 timestamp (e.g. "
                                  "2026-11-02T10:00:00Z)"));
      continue;
    }
    const int64_t micros = absl::ToUnixMicros(timestamp);
    if (options.kind == "exposures") {
      auto* row = exposures.add_exposures();
      row->set_event_id(fields[columns[0]]);
      row->set_experiment(fields[columns[1]]);
      row->set_variant(fields[columns[2]]);
      row->set_unit_id(fields[columns[3]]);
      row->set_timestamp_micros(micros);
      for (size_t extra : extras) {
        if (!fields[extra].empty()) (*row->mutable_attributes())[reader.header()[extra]] = fields[extra];
      }
    } else {
      const std::string_view value_text = analyze::TrimSpaces(fields[columns[3]]);
      std::optional<double> value = 1.0;
      if (!value_text.empty()) value = analyze::ParseNumber(value_text);
      if (!value) {
        note_rejection(reader.line(), "value", absl::StrCat("'", std::string(value_text), "' is not a finite number"));
        continue;
      }
      auto* row = events.add_events();
      row->set_event_id(fields[columns[0]]);
      row->set_unit_id(fields[columns[1]]);
      row->set_event(fields[columns[2]]);
      row->set_value(*value);
      row->set_timestamp_micros(micros);
      for (size_t extra : extras) {
        if (!fields[extra].empty()) (*row->mutable_properties())[reader.header()[extra]] = fields[extra];
      }
    }
    lines.push_back(reader.line());
    if (static_cast<int>(lines.size()) >= options.batch) {
      if (auto status = flush(); !status.ok()) return Fail(status);
      const std::streamoff position = file.tellg();
      ShowProgress(totals, start, position > 0 && file_bytes > 0 ? position / file_bytes : 0);
    }
  }
  if (auto status = flush(); !status.ok()) return Fail(status);
  if (isatty(STDERR_FILENO)) std::cerr << "\r" << std::string(70, ' ') << "\r";

  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (options.dry_run) {
    std::cout << options.csv << ": " << totals.read << " rows read, " << totals.read - totals.rejected
              << " valid, " << totals.rejected << " rejected (dry run: nothing sent)\n";
  } else {
    std::cout << options.csv << ": " << totals.read << " rows read, " << totals.accepted
              << " accepted, " << totals.duplicates << " duplicates, " << totals.rejected
              << " rejected in " << absl::StrFormat("%.1f", seconds) << " s ("
              << static_cast<int64_t>(seconds > 0 ? totals.read / seconds : 0) << " rows/s)\n";
  }
  for (const auto& line : totals.listed) std::cout << "  rejected " << line << "\n";
  if (totals.rejected > static_cast<int64_t>(totals.listed.size())) {
    std::cout << "  ... and " << totals.rejected - totals.listed.size() << " more rejected rows\n";
  }
  return totals.rejected == 0 ? 0 : 1;
}

}  // namespace

void AddIngestCommands(CLI::App& app, Action* action) {
  auto* ingest = app.add_subcommand("ingest", "Upload exposures or metric events from a CSV file");
  ingest->require_subcommand(1);
  for (const char* kind : {"exposures", "events"}) {
    auto options = std::make_shared<IngestOptions>();
    options->kind = kind;
    auto* command = ingest->add_subcommand(
        kind, std::string("Upload ") + kind + " (re-running a file is harmless: rows are idempotent)");
    command->add_option("--csv", options->csv, "CSV file (header row, RFC 3339 timestamps)")->required();
    command->add_option("--batch", options->batch, "rows per request (1..10000)")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    command->add_flag("--dry-run", options->dry_run, "check the file without sending anything");
    command->callback([options, action] {
      *action = [options](client::Client& client) { return RunIngest(*options, client); };
    });
  }
}

}  // namespace lift::cli
