// Text forms of wall-clock times and log ids in spoolctl's output.
#pragma once

#include <cstdint>
#include <string>

#include "report/stats_json.h"

namespace spool::tools {

// "2026-11-22T18:40:46.123Z" (UTC, milliseconds); "" for ns <= 0 (unknown, never).
using report::iso8601_utc;
// 16 lowercase hex digits, as in idempotency keys and the Spool-Log-Id header.
std::string hex_id(std::uint64_t id);

}  // namespace spool::tools
