// Access to a log's dead-letter log (<dir>/deadletter), which several writers may need: the
// forwarders of different cursors, in this process or in others, and `spoolctl deadletters
// --requeue`. Its directory lock admits one process at a time, so nobody keeps it open: a user
// acquires it for one append, requeue or retention pass and lets go, and a process that finds
// it held waits its turn (bounded). Within a process, users share one open instance.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "engine/forward/dead_letter_log.h"
#include "spool/sink.h"

namespace spool::engine {

// How long acquire_dead_letter_log waits by default for another process to let go: far above
// what one append or retention pass holds it for.
inline constexpr std::chrono::milliseconds kDeadLetterLockWait{10'000};

// The dead-letter log of `log_dir`, open read-write (created on first use): shared with every
// other user in this process, closed when the last one lets go. While another process has it
// open, retries for up to `wait`, then fails with Locked naming the holder.
Result<std::shared_ptr<DeadLetterLog>> acquire_dead_letter_log(
    const std::string& log_dir, std::chrono::milliseconds wait = kDeadLetterLockWait,
    std::uint32_t max_payload_bytes = kDefaultMaxRecordBytes);

// True when `log_dir` has a dead-letter log (something was dead-lettered once).
bool has_dead_letter_log(const std::string& log_dir);

// Sets `records` (of the log `log_id`) aside with their last error, durably.
Status append_dead_letters(DeadLetterLog& dead_letters, std::uint64_t log_id,
                           std::span<const ForwardRecord> records, std::uint32_t attempts,
                           const std::string& error);

}  // namespace spool::engine
