// One DeadLetterLog per log directory per process: it holds <dir>/deadletter's lock, so
// several Forwarders (cursors) of one log in one process share it.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "engine/forward/dead_letter_log.h"
#include "spool/sink.h"

namespace spool::engine {

// The open dead-letter log of `log_dir`, opened on first use and closed with its last user.
Result<std::shared_ptr<DeadLetterLog>> acquire_dead_letter_log(const std::string& log_dir);

// Sets `records` (of the log `log_id`) aside with their last error, durably.
Status append_dead_letters(DeadLetterLog& dead_letters, std::uint64_t log_id,
                           std::span<const ForwardRecord> records, std::uint32_t attempts,
                           const std::string& error);

}  // namespace spool::engine
