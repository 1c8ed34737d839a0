// spool::Hooks: callbacks that tell an application what its Buffer and Forwarder run into,
// so it can log, alert or degrade without polling stats().
//
//   spool::Options options;
//   options.hooks.on_drop = [](spool::DropReason why, std::uint64_t n) { log(n, why); };
//   options.hooks.on_error = [](const spool::HookError& e) { log(e.site, e.message); };
//
// Where they run: on one notifier thread per Buffer / Forwarder (started only when a hook is
// set), never on a producer's append() (which stays lock- and syscall-free) and never on the
// writer or forwarding thread. Those threads hand an event to the notifier (a short mutex, no
// callback under it) and go on; a slow callback therefore delays only later callbacks. The
// queue between them is bounded (max_queued_events): identical errors in a row are folded
// into one call (HookError::repeats), and when the queue is full an error is dropped (counted,
// HookStats::events_dropped) rather than the writer waiting. Online/offline transitions are
// not dropped so (at most a flap nobody was told of yet, offline then online, is cancelled):
// the last one reported is always the current state.
//
// Drops are counted on the producer's path already (BufferStats::dropped); the notifier
// reads those counters every drop_report_interval_ms and calls on_drop once per reason with
// the count since its last call (never with 0), and once more at shutdown().
//
// A callback that throws does not reach spool: the exception is caught and counted
// (HookStats::failures), and later events are still delivered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace spool {

// include/spool/buffer_stats.h (which includes this header for HookStats).
enum class DropReason : std::uint8_t;

// What the engine was doing when it hit an error.
enum class ErrorSite : std::uint8_t {
  kWrite = 0,          // Buffer: a batch could not be appended to the log (full disk, I/O
                       // error); the writer retries it
  kSync = 1,           // Buffer: the log failed a sync; it takes no more records
  kRetention = 2,      // Buffer: retention could not delete a segment; tried again later
  kSend = 3,           // Forwarder: a send failed, whole or in part (the sink's error)
  kDeadLetter = 4,     // Forwarder: records were set aside in the dead-letter log
  kDeadLetterLog = 5,  // Forwarder: the dead-letter log could not be written or trimmed
  kCursor = 6,         // Forwarder: the cursor could not be persisted
};
// "write", "sync", "retention", "send", "dead_letter", "dead_letter_log", "cursor".
std::string_view error_site_name(ErrorSite site) noexcept;

struct HookError {
  ErrorSite site = ErrorSite::kWrite;
  // What went wrong. A Forwarder's text (a sink's or a receiver's answer) has passed the
  // secret redaction first, as every error text spool keeps (README, "Secrets stay secret").
  std::string message;
  // kDeadLetter: the records set aside (summed over the folded repeats); 0 for other sites.
  std::uint64_t records = 0;
  // How many errors of this site and message in a row this call stands for (>= 1).
  std::uint64_t repeats = 1;
};

struct Hooks {
  // Buffer: write, sync and retention errors of the writer (in the process that writes the
  // log). Forwarder: failed sends, dead-lettering, dead-letter log and cursor errors.
  std::function<void(const HookError& error)> on_error;
  // Buffer only: records dropped for `reason` since the last call (count > 0).
  std::function<void(DropReason reason, std::uint64_t count)> on_drop;
  // Forwarder only. Offline: an outage began (a send failed as an outage, the circuit
  // opened, or the connectivity monitor lost its probe URL). Online: the sink answered again
  // (or the monitor reaches its probe URL again). Called on transitions only, starting from
  // online; each offline is followed by an online once the sink is back.
  std::function<void()> on_online;
  std::function<void()> on_offline;

  // How often on_drop may be called (per reason); > 0 when on_drop is set.
  std::uint32_t drop_report_interval_ms = 1000;
  // Events (errors, transitions) waiting for a slow callback; at least 2.
  std::uint32_t max_queued_events = 64;

  bool any() const noexcept { return on_error || on_drop || on_online || on_offline; }
};

// What became of the hooks' calls (BufferStats::hooks, ForwarderStats::hooks).
struct HookStats {
  std::uint64_t calls = 0;           // callbacks called
  std::uint64_t failures = 0;        // of those, the ones that threw
  std::uint64_t events_dropped = 0;  // errors (or flapping transition pairs) dropped: queue full
};

}  // namespace spool
