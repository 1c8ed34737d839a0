// The forwarding totals and the bandwidth budget's day of a cursor, encoded into the cursor
// file's opaque state blob (segment/cursor_store.h) so they are committed atomically with the
// cursor position.
//
// Encoding: UTF-8 text, one "key=value\n" per field, keys in the order of ForwardTotals;
// numbers in decimal; last_error with '\n' and '\\' escaped as "\n" and "\\". Then, once a
// budget is configured or bytes were counted against a day, the BandwidthUsage fields as
// bandwidth_<field>=. Unknown keys are ignored and missing keys stay 0, so fields can be
// added without a format version: a cursor file written before the budget existed reads as
// no budget and nothing spent.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/forward/delivery_plan.h"

#include "spool/forwarder_stats.h"
#include "spool/status.h"

namespace spool::engine {

// Adds `add`'s counts to `into`; the last_* times (and last_error with its time) are the
// later of the two. For a forwarder's running totals and for summing lanes alike.
void add_totals(ForwardTotals* into, const ForwardTotals& add);

// What a forwarder keeps in its cursor file beside the position.
struct ForwardState {
  ForwardTotals totals;
  BandwidthUsage bandwidth;
};

std::string encode_forward_state(const ForwardTotals& totals, const BandwidthUsage& bandwidth);
// Corruption for a line without '=' or a number that does not parse.
Result<ForwardState> decode_forward_state(std::string_view text);

// Longest last_error kept (the cursor file's state blob is bounded).
inline constexpr std::size_t kMaxPersistedErrorBytes = 1024;

// The settled-ahead runs of a cursor that delivers out of offset order (delivery_plan.h), one
// more line of the same blob: "settled_ahead=FIRST+COUNT FIRST+COUNT ...\n" ("" without
// runs). Runs beyond kMaxPersistedSettledBytes are left out: after a restart their records
// are sent again (at least once still holds; only duplicates grow).
inline constexpr std::size_t kMaxPersistedSettledBytes = 48 * 1024;
std::string encode_settled_ahead(std::span<const OffsetRun> runs);
// The runs of that line, none without it; Corruption for a run that does not parse.
Result<std::vector<OffsetRun>> decode_settled_ahead(std::string_view text);

}  // namespace spool::engine
