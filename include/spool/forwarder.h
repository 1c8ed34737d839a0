// spool::Forwarder: reads a log through a named cursor and delivers it to a Sink, at least
// once, in batches.
//
//   auto sink = spool::make_otlp_http_sink({.endpoint = "http://collector:4318"});
//   auto fwd = spool::Forwarder::start(*buffer, std::move(*sink), {.cursor = "otlp"});
//   ...
//   (*fwd)->stop();   // delivers what is committed (bounded by stop_timeout_ms), persists the
//   cursor
//
// One thread per Forwarder (and, with max_in_flight_batches > 1 and a sink that takes
// concurrent sends, sender threads). It reads records zero-copy from the mmap'd segments
// starting at the cursor, hands batches to the sink, and commits the cursor (atomically, on
// disk) only past batches the sink acknowledged, in order, so a crash re-sends at most the
// batches in flight.
// Failed records are retried with exponential back-off and jitter; after max_retries (or at
// once, for permanent failures such as HTTP 400) they go to the dead-letter log
// (<dir>/deadletter/) with the last error. A sink outage (FlushResult::outage: unreachable,
// busy, refused credentials, wrong address or TLS setup) never uses up retries nor
// dead-letters anything; an expired token or a wrong URL shows in health() as sink_auth /
// sink_misconfigured until a send succeeds. A batch the receiver refuses as too large
// (FlushResult::payload_too_large) is halved until it passes; only a single record still
// refused goes to the dead-letter log. A circuit breaker and an optional connectivity
// monitor keep a long outage cheap: no retry storm, a probe per cooldown. A bandwidth budget
// (BandwidthOptions: rate limit, daily cap with a reserve for critical records) holds the
// batch at the cursor back while it is spent, without dropping or dead-lettering anything.
//
// Progress is driven by state, not by wake-ups: the thread compares the log's committed end
// with its cursor at least every poll_interval_ms, so a missed notification costs at most
// that long.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spool/forwarder_options.h"
#include "spool/forwarder_stats.h"
#include "spool/health.h"
#include "spool/hooks.h"
#include "spool/sink.h"
#include "spool/status.h"

namespace spool {

class Buffer;

namespace engine {
class LaneForwarders;
}

// When a batch is sent.
enum class FlushStrategy : std::uint8_t {
  kSize,    // when batch.next size records are waiting (or flush() is called)
  kTime,    // every flush_interval_ms, whatever is waiting
  kManual,  // only on flush()
  kHybrid,  // when a full batch is waiting or the oldest waiting record waited flush_interval_ms
};
std::string_view flush_strategy_name(FlushStrategy strategy) noexcept;

// Where a new cursor starts, and where seek() moves one.
enum class SeekTarget : std::uint8_t { kEarliest, kLatest, kOffset, kTime };

struct ForwarderOptions {
  std::string cursor = "default";          // [A-Za-z0-9._-], 1-64 chars
  FlushStrategy flush = FlushStrategy::kHybrid;
  std::uint32_t flush_interval_ms = 1000;  // kTime / kHybrid
  std::uint32_t poll_interval_ms = 50;     // longest time before new committed records are noticed
  SeekTarget start_at = SeekTarget::kEarliest;  // for a cursor that does not exist yet
  BatchSizeOptions batch;
  // Batches in flight at once (1-64), like the OpenTelemetry Collector's num_consumers: while
  // one waits for the receiver's answer, the next ones are read, encoded, compressed and
  // sent by sender threads of the forwarder. The cursor still moves in order, only past
  // batches that are all settled, so a restart sends again at most the batches that were in
  // flight. Capped by the sink's Sink::max_concurrent_sends() (1 for sinks that are not
  // thread-safe: callback, JSONL, Kafka, redacting); a bandwidth budget (rate limit or daily
  // cap) keeps one batch in flight, since a send is charged once its wire size is known.
  std::uint32_t max_in_flight_batches = 4;
  // The lanes it forwards (lane_options.h), each from a cursor named `cursor` in that lane's
  // log; empty: every lane of the directory. A name that is not a lane is refused (NotFound).
  std::vector<std::string> lanes;
  OrderOptions order;                      // priorities first, oldest first (forwarder_options.h)
  SelectOptions select;                    // everything
  CompressionOptions compression;          // for sinks that take spool's native compressed batch
  RetryOptions retry;
  CircuitBreakerOptions breaker;
  ConnectivityOptions connectivity;
  BandwidthOptions bandwidth;  // rate limit, daily cap on wire bytes (off by default)
  std::uint32_t stats_persist_interval_ms = 1000;  // failure totals reach the cursor file this often
  std::uint32_t stop_timeout_ms = 5000;    // stop() tries this long to deliver what is committed
  // The dead-letter log's own retention (<dir>/deadletter, shared by the log's forwarders;
  // 0 = off): whole segments of dead letters are deleted, requeued or not, while it is
  // larger than dead_letter_max_bytes or once they were set aside longer than
  // dead_letter_max_age_ms ago. Applied at start, after each dead-lettering and every
  // minute; what it deletes before it was requeued is counted
  // (ForwarderStats::dead_letters_dropped, `spoolctl stats`).
  std::uint64_t dead_letter_max_bytes = 256ull << 20;
  std::uint64_t dead_letter_max_age_ms = 7ull * 24 * 3600 * 1000;
  // The end of a replay (buffered-at time, ns since the Unix epoch; unset: no end). The
  // forwarder delivers the records from its cursor up to, not including, the first one (in
  // offset order) buffered at or after it, and nothing after: from then on
  // ForwarderStats::end_offset is that record's offset and until_reached turns true once the
  // cursor is there. A seek() looks for the end again from the new position.
  std::optional<std::int64_t> until_ns;
  // Callbacks for errors, dead letters and the sink going offline and online, on a notifier
  // thread of their own (hooks.h; on_drop is the Buffer's).
  Hooks hooks;
};

class Forwarder {
 public:
  // Forwards the log of a Buffer in this process (the Buffer must outlive the Forwarder).
  static Result<std::unique_ptr<Forwarder>> start(Buffer& buffer, std::unique_ptr<Sink> sink,
                                                  ForwarderOptions options);
  // Forwards the log in `dir`. When no other process has it open: opens it for writing with
  // the settings its marker records and runs the log's retention meanwhile (age retention on
  // a timer: nobody appends to it here). When another process writes it: follows it
  // read-only, forwarding what that writer has committed (retention stays the writer's).
  // Either way the cursor is this forwarder's alone: Locked ("cursor 'NAME' ... is held by
  // pid N") while another forwarder, in any process, runs on it.
  static Result<std::unique_ptr<Forwarder>> open(const std::string& dir, std::unique_ptr<Sink> sink,
                                                 ForwarderOptions options);
  // stop(). In a child of fork(): flush, seek and stop return ForkChild, health() warns
  // fork_child, and the destructor closes only the log the forwarder opened (changing nothing
  // on disk); the forwarding thread, the sink and its connections are the parent's and are
  // left untouched (kept, not destroyed).
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Sends what is committed now, whatever the strategy, and returns when the cursor has passed
  // it (delivered or dead-lettered), or TimedOut after timeout_ms (0 = no limit), or the error
  // that keeps it from getting there (Closed after stop).
  Status flush(std::uint32_t timeout_ms = 0);
  // Moves the cursor (between batches). kOffset: `value` is an offset; kTime: a wall-clock
  // ns timestamp (first record buffered at or after it).
  Status seek(SeekTarget target, std::int64_t value = 0);
  // Stops the thread after one last delivery attempt of what is committed (bounded by
  // stop_timeout_ms); persists the cursor and totals. Idempotent.
  Status stop();

  // With several lanes: sums over the lanes (offsets and the cursor's position are the
  // default lane's, or the first forwarded lane's), each lane's own in ForwarderStats::lanes.
  ForwarderStats stats() const;
  // The consistent cut behind the accounting identity (needs start(Buffer&)): summed over the
  // lanes, each of which balances on its own (accounting(lane)).
  Accounting accounting() const;
  // One lane's; NotFound when it does not forward a lane of that name.
  Result<Accounting> accounting(std::string_view lane) const;
  // Every lane's warnings, those of lanes other than "default" starting "lane 'NAME': ".
  HealthReport health(const HealthThresholds& thresholds = {}) const;
  // The lanes it forwards, in the Buffer's order.
  std::vector<std::string> lanes() const;

 private:
  explicit Forwarder(std::unique_ptr<engine::LaneForwarders> lanes);
  std::unique_ptr<engine::LaneForwarders> lanes_;
};

}  // namespace spool
