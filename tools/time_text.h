// Text forms of wall-clock times and log ids in spoolctl's output, and the times it takes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "report/stats_json.h"
#include "spool/status.h"

namespace spool::tools {

// "2026-11-22T18:40:46.123Z" (UTC, milliseconds); "" for ns <= 0 (unknown, never).
using report::iso8601_utc;
// 16 lowercase hex digits, as in idempotency keys and the Spool-Log-Id header.
std::string hex_id(std::uint64_t id);

// A wall-clock time given on the command line, in ns since the Unix epoch. Forms: the
// number of ns ("1795377819056396184", as `dump` prints timestamps), the same after "time:"
// (as `cursors --to` takes it), or UTC in ISO 8601 as spoolctl prints times
// ("2026-11-22T20:03:39.056Z"; seconds and 0 to 9 fraction digits optional, the Z required).
// InvalidArgument naming `flag` and the forms otherwise.
Result<std::int64_t> parse_time_text(std::string_view text, std::string_view flag);

}  // namespace spool::tools
