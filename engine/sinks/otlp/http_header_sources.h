// Request headers from somewhere other than argv (where `ps` shows them to every user):
// a header file and OpenTelemetry's OTEL_EXPORTER_OTLP_HEADERS variable.
//
// Header file: one "Name: value" per line; blank lines and lines whose first non-blank
// character is '#' are skipped; surrounding blanks and a trailing CR are trimmed. It must be
// a regular file of at most 64 KiB. A file writable by group or others is refused (anyone
// who can write it can redirect credentials or inject headers); one readable by group or
// others is accepted with a warning (the secret is already exposed; say so, like ssh does
// for keys, but do not break a mounted secret that is 0644 by default).
//
// OTEL_EXPORTER_OTLP_HEADERS: "key1=value1,key2=value2" per the OpenTelemetry exporter
// specification (W3C Baggage syntax without properties): blanks around keys and values are
// trimmed, values are percent-decoded, empty entries are skipped.
//
// Error messages name the file and line, or the variable and entry number, and never
// repeat a value (values are secrets).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spool/status.h"

namespace spool::engine {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kOtelHeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";
inline constexpr std::size_t kMaxHeaderFileBytes = 64 * 1024;

struct HeaderFile {
  HttpHeaders headers;
  std::vector<std::string> warnings;  // e.g. readable by group or others
};

// "Name: value" -> {"Name", "value"}; `where` names the source in the error ("--header",
// "PATH line 3").
Result<std::pair<std::string, std::string>> parse_header_line(std::string_view line, std::string_view where);
// The lines of a header file's text; `path` names it in errors.
Result<HttpHeaders> parse_header_file_text(std::string_view text, std::string_view path);
// Reads and parses the header file at `path` (checks above).
Result<HeaderFile> read_header_file(const std::string& path);
// Parses the OTEL_EXPORTER_OTLP_HEADERS form.
Result<HttpHeaders> parse_otel_headers(std::string_view text);
// Appends `more` to `into`; a header whose name (case-insensitive) is already there
// replaces it, so a later source overrides an earlier one.
void merge_headers(HttpHeaders* into, HttpHeaders more);

// Percent-decoding (RFC 3986 §2.1) of the OTel variables' keys and values; false on a '%'
// not followed by two hex digits.
bool percent_decode(std::string_view in, std::string* out);

}  // namespace spool::engine
