// FullPolicy: what Buffer::append does when the queues of a lane have no room for a record.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace spool {

enum class FullPolicy : std::uint8_t {
  kBlock,       // wait up to block_timeout_ms for room, then drop the record (TimedOut)
  kDropNewest,  // drop the record being appended (Full)
  kDropOldest,  // drop the oldest queued records of the calling thread to make room
  kSample,      // above sample_above_fill of the budget, keep 1 in sample_keep_one_in
                // records (kHigh/kCritical always kept); when full, drop the newest
};

// "block", "drop_newest", "drop_oldest", "sample"; and back (nullopt for any other text).
std::string_view full_policy_name(FullPolicy policy) noexcept;
std::optional<FullPolicy> full_policy_from_name(std::string_view name) noexcept;

}  // namespace spool
