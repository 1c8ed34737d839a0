// spool's counters as JSON, one form for every front end: `spoolctl stats` and `produce`
// (tools/), and the C API's spool_stats_json / spool_forwarder_stats_json (capi/). Field
// names are the C++ structs' (include/spool/buffer_stats.h, forwarder_stats.h); times are
// ISO 8601 UTC text, null for never.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "spool/buffer_stats.h"
#include "spool/forwarder_stats.h"

namespace spool::report {

// "2026-11-22T18:40:46.123Z" (UTC, milliseconds); "" for ns <= 0 (unknown, never).
std::string iso8601_utc(std::int64_t ns);
// The same, or null for ns <= 0.
nlohmann::ordered_json iso8601_utc_or_null(std::int64_t ns);
// {"queue_full": 3, ...}: the reasons with a count above zero.
nlohmann::ordered_json dropped_by_reason_json(const std::array<std::uint64_t, kDropReasonCount>& dropped);
nlohmann::ordered_json forward_totals_json(const ForwardTotals& totals);
// A cursor's bandwidth budget as of the UTC day `today` (utc_day()): its limits, what was
// spent that day (0 when the usage counts an earlier day), the day as "YYYY-MM-DD" and the
// daily cap's state.
nlohmann::ordered_json bandwidth_usage_json(const BandwidthUsage& usage, std::int64_t today);
// With "lanes": [{name, dir, route, retired, and the same keys for that lane}] (lane_options.h).
nlohmann::ordered_json buffer_stats_json(const BufferStats& stats);
// With "lanes": [{lane, and the same keys for that lane}].
nlohmann::ordered_json forwarder_stats_json(const ForwarderStats& stats);

}  // namespace spool::report
