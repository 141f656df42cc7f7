#include "clients/cpp/analyze/csv_reader.h"

#include <charconv>
#include <cmath>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lift::analyze {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string NormaliseName(std::string_view name) {
  std::string normalised(TrimSpaces(name));
  for (char& c : normalised) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return normalised;
}

void StripCarriageReturn(std::string& line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
}

}  // namespace

std::string_view TrimSpaces(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

std::optional<double> ParseNumber(std::string_view text) {
  text = TrimSpaces(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

CsvReader::CsvReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {}

absl::Status CsvReader::ReadHeader(std::string_view example_header) {
  std::vector<std::string> names;
  auto read = ReadRecord(names);
  if (!read.ok()) return read.status();
  if (!*read) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_, " is empty: expected a header row such as ", std::string(example_header)));
  }
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string name = NormaliseName(names[i]);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, " line ", record_line_, ", column ",
                                                     i + 1, ": empty column name in the header"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(source_, " line ", record_line_, ", column ",
                                                     i + 1, ": column \"", name,
                                                     "\" appears twice in the header"));
    }
    header_.push_back(std::move(name));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  auto read = ReadRecord(fields);
  if (!read.ok() || !*read) return read;
  if (fields.size() != header_.size()) {
    return LineError(
        absl::StrCat("expected ", header_.size(), " fields as in the header, got ", fields.size()));
  }
  return true;
}

std::optional<size_t> CsvReader::Column(std::string_view name) const {
  const std::string normalised = NormaliseName(name);
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == normalised) return i;
  }
  return std::nullopt;
}

absl::Status CsvReader::FieldError(size_t column, std::string_view message) const {
  const std::string name = column < header_.size() ? header_[column] : std::string("?");
  return absl::InvalidArgumentError(absl::StrCat(source_, " line ", record_line_, ", column ",
                                                 column + 1, " (", name,
                                                 "): ", std::string(message)));
}

absl::Status CsvReader::LineError(std::string_view message) const {
  return absl::InvalidArgumentError(
      absl::StrCat(source_, " line ", record_line_, ": ", std::string(message)));
}

absl::StatusOr<bool> CsvReader::ReadRecord(std::vector<std::string>& fields) {
  fields.clear();
  std::string& line = buffer_;
  // Skip blank lines.
  while (true) {
    if (!std::getline(in_, line)) return false;
    const int64_t number = next_line_++;
    StripCarriageReturn(line);
    if (number == 1 && std::string_view(line).substr(0, kByteOrderMark.size()) == kByteOrderMark) {
      line.erase(0, kByteOrderMark.size());
    }
    if (!TrimSpaces(line).empty()) {
      record_line_ = number;
      break;
    }
  }

  std::string field;
  bool in_quotes = false;
  bool after_quote = false;  // the current field was quoted and its closing quote seen
  size_t i = 0;
  while (true) {
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (in_quotes) {
        if (c != '"') {
          field += c;
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        after_quote = false;
      } else if (after_quote) {
        if (c != ' ' && c != '\t') {
          return absl::InvalidArgumentError(
              absl::StrCat(source_, " line ", next_line_ - 1, ", column ", fields.size() + 1,
                           ": unexpected text after the closing quote of a quoted field"));
        }
      } else if (c == '"' && TrimSpaces(field).empty()) {
        field.clear();
        in_quotes = true;
      } else {
        field += c;
      }
    }
    if (!in_quotes) break;
    // The quoted field continues on the next line.
    if (!std::getline(in_, line)) {
      return absl::InvalidArgumentError(absl::StrCat(source_, " line ", record_line_, ", column ",
                                                     fields.size() + 1,
                                                     ": quoted field is never closed"));
    }
    ++next_line_;
    StripCarriageReturn(line);
    field += '\n';
    i = 0;
  }
  fields.push_back(std::move(field));
  return true;
}

}  // namespace lift::analyze
