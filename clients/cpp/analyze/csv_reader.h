// A streaming reader for the CSV files `liftctl analyze` takes (RFC 4180, leniently).
//
// Accepted: a header row, comma-separated fields, fields quoted with double quotes (a doubled
// quote inside stands for one quote; a quoted field may span lines), LF or CRLF line ends, a UTF-8
// byte-order mark before the header, blank lines anywhere (skipped), a missing final line end.
// Rejected with InvalidArgument naming the source and line: an unterminated quoted field, text
// after a closing quote, a record whose field count differs from the header's, a header with an
// empty or repeated column name.
// Every record carries the physical line on which it starts (1-based; the header is line 1 unless
// blank lines precede it), so callers can say where a bad value is.
// Column names are matched after trimming spaces and lower-casing ASCII letters.
// Not thread-safe (it owns a read position); one reader per stream.
#ifndef LIFT_CLIENTS_CPP_ANALYZE_CSV_READER_H_
#define LIFT_CLIENTS_CPP_ANALYZE_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lift::analyze {

class CsvReader {
 public:
  // `source` names the input in messages (usually the file path). `in` must outlive the reader.
  CsvReader(std::istream& in, std::string source);

  // Reads the header row. InvalidArgument "<source> is empty: expected a header row such as
  // <example>" when there is none, or for a malformed header (see the file comment).
  absl::Status ReadHeader(std::string_view example_header);

  // Reads the next data record into `fields` (one per header column). Returns false at the end of
  // the input; InvalidArgument naming the line for malformed records.
  absl::StatusOr<bool> Next(std::vector<std::string>& fields);

  const std::vector<std::string>& header() const { return header_; }
  // Index of the column named `name` (normalised as above), if the header has it.
  std::optional<size_t> Column(std::string_view name) const;
  // The first physical line of the record last returned by Next (or of the header).
  int64_t line() const { return record_line_; }
  const std::string& source() const { return source_; }

  // "<source> line <line>, column <index + 1> (<name>): <message>" for the current record.
  absl::Status FieldError(size_t column, std::string_view message) const;
  // "<source> line <line>: <message>" for the current record.
  absl::Status LineError(std::string_view message) const;

 private:
  // Splits one record (possibly spanning lines) into fields; false at end of input.
  absl::StatusOr<bool> ReadRecord(std::vector<std::string>& fields);

  std::istream& in_;
  std::string source_;
  std::vector<std::string> header_;
  int64_t next_line_ = 1;    // physical line number of the next line to read
  int64_t record_line_ = 0;  // first line of the current record
  std::string buffer_;
};

// Trims ASCII spaces and tabs at both ends.
std::string_view TrimSpaces(std::string_view text);

// Parses a finite decimal number (an optional sign, digits, '.', exponent; surrounding spaces
// ignored). Returns nullopt for anything else, including empty text, "nan" and "inf".
std::optional<double> ParseNumber(std::string_view text);

}  // namespace lift::analyze

#endif  // LIFT_CLIENTS_CPP_ANALYZE_CSV_READER_H_
