// ForwarderCore: the machinery behind spool::Forwarder (include/spool/forwarder.h).
//
// Threads: one forwarding thread owns the batches in flight, the retry policy, the circuit
// breaker, the batch sizer and the compressor. Callers (flush, seek, stop, stats) talk to it
// through mu_: the cursor position and the totals only change under mu_, together, so a
// stats reader sees every record either beyond the cursor or in exactly one total.
//
// Batches in flight (ForwarderOptions::max_in_flight_batches): up to that many InFlight
// slots, in the order they were read. With one, the forwarding thread calls the sink itself;
// with more, a SendPool's threads do, and the forwarding thread takes their answers back in
// whatever order they come and treats each as before (retry, split, dead-letter). A settled
// batch commits only once every batch read before it settled too (offset order: the cursor
// moves past the settled prefix, its totals added in the same step); with a DeliveryPlan
// each settled batch settles its offsets in the plan at once and the cursor is the plan's
// low mark. A failed batch holds back new reads until it is settled.
//
// fork(): the forwarding thread, the monitor's thread and the sink's connections belong to
// the process that created the forwarder. In a fork child flush, seek and stop fail with
// ForkChild, stats and accounting are empty and health says fork_child; the owner
// (spool::Forwarder) then calls leave_to_parent() and keeps the core forever instead of
// destroying it (see io/opening_process.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/forward/batch_compressor.h"
#include "engine/forward/dead_letter_log.h"
#include "engine/forward/delivery_plan.h"
#include "engine/forward/policy/bandwidth_budget.h"
#include "engine/forward/policy/batch_sizer.h"
#include "engine/forward/policy/circuit_breaker.h"
#include "engine/forward/policy/connectivity_monitor.h"
#include "engine/forward/policy/retry_policy.h"
#include "engine/forward/policy/shared_bandwidth_budget.h"
#include "engine/forward/send_pool.h"
#include "engine/produce/hook_notifier.h"
#include "io/opening_process.h"
#include "segment/cursor_lock.h"
#include "segment/cursor_store.h"
#include "segment/segment_log.h"
#include "spool/forwarder.h"

namespace spool::engine {

class BufferCore;

class ForwarderCore {
 public:
  // `buffer` may be null (standalone); `owned_log` is set when the forwarder opened the log.
  // `disk_cap_bytes`: the log's retention size cap (0 = none), for health(). `budget`: the
  // bandwidth budget it shares with the other lanes of its Forwarder (null: a budget of its
  // own, from options.bandwidth).
  static Result<std::unique_ptr<ForwarderCore>> create(
      segment::SegmentLog& log, BufferCore* buffer, std::unique_ptr<segment::SegmentLog> owned_log,
      std::unique_ptr<Sink> sink, ForwarderOptions options, std::uint64_t disk_cap_bytes,
      std::shared_ptr<SharedBandwidthBudget> budget = nullptr);
  ~ForwarderCore();

  Status flush(std::uint32_t timeout_ms);
  Status seek(SeekTarget target, std::int64_t value);
  Status stop();
  ForwarderStats stats() const;
  Accounting accounting() const;
  HealthReport health(const HealthThresholds& thresholds) const;

  // True in any process but the one that created the forwarder.
  bool in_fork_child() const noexcept { return opener_.is_other_process(); }
  // Fork child: closes the log the forwarder opened (which leaves the parent's log alone and
  // frees its mappings); everything else must not be destroyed here.
  void leave_to_parent() noexcept { owned_log_.reset(); }

 private:
  Status refuse_in_fork_child() const;
  // A batch being delivered: records read from the log (views keep the segments mapped),
  // narrowed to the failed ones after a partial success.
  struct InFlight {
    enum class State : std::uint8_t {
      kWaiting,  // not sent yet, or waiting for its retry (retry_at_ns)
      kSending,  // at the SendPool: nothing of it may change until its answer is taken
      kSettled,  // every record delivered or dead-lettered: commits once those before it did
      // Offset order: its records go to the dead-letter log once every batch before it
      // settled, and its commit follows at once (dead_letter_error says why). A crash can
      // then not both set them aside and send them again.
      kDeadLetterDue,
    };
    State state = State::kWaiting;
    std::uint64_t id = 0;                  // the SendPool's ticket
    ForwardBatch batch;                    // what the sink is sending (kSending)
    std::vector<std::uint8_t> compressed;  // the native batch of a pooled send
    std::int64_t sent_ns = 0;              // monotonic: when the last send began
    bool resend = false;                   // the last send was a retry of (some of) the records
    std::string dead_letter_error;         // kDeadLetterDue
    std::vector<segment::RecordView> views;
    std::vector<ForwardRecord> records;
    std::uint64_t next_offset = 0;    // cursor value once the batch is resolved (offset order)
    std::vector<std::uint64_t> taken; // the plan's offsets of this batch (out-of-order delivery)
    std::uint32_t attempts = 0;       // failed attempts that count towards max_retries
    std::uint32_t outage_waits = 0;   // partial answers with an outage (back-off, no retry used)
    std::int64_t first_failure_ns = 0;
    std::int64_t retry_at_ns = 0;     // monotonic; 0 = now
    ForwardTotals outcome;            // what this batch adds to the totals when it resolves
    std::uint32_t sends = 0;          // sends of (some of) these records so far
    std::uint64_t lost_offsets = 0;   // offsets in [cursor, next_offset) without a record
    // Records of this batch set aside by a 413 split, sent once `records` is settled (the
    // front is sent next).
    std::vector<ForwardRecord> held_back;
    bool active() const noexcept { return !records.empty(); }
  };

  ForwarderCore(segment::SegmentLog& log, BufferCore* buffer,
                std::unique_ptr<segment::SegmentLog> owned_log, std::unique_ptr<Sink> sink,
                ForwarderOptions options, std::shared_ptr<SharedBandwidthBudget> budget);
  Status load_cursor();

  void run();
  // One step of the loop; returns the monotonic time to sleep until (0 = go on at once).
  std::int64_t step(std::int64_t now);
  // Step parts: send the waiting batches that are due; read and send a new one.
  std::int64_t send_waiting(std::int64_t now, bool* sent);
  std::int64_t send_new(std::int64_t now, std::int64_t poll);
  std::int64_t final_delivery(std::int64_t deadline);
  // The committed end of the log, bounded by the until_ns range's end once it was found.
  std::uint64_t readable_end() const;
  // Whether `view` is where the until_ns range ends (then remembered in until_offset_).
  bool ends_range(const segment::RecordView& view);
  bool flush_due(std::int64_t now, std::uint64_t available, std::int64_t* wake_at);
  bool gate_open(InFlight& f, std::int64_t now, std::int64_t* wake_at);
  BudgetDecision ask_budget(const InFlight& f, std::int64_t now);
  BudgetDecision budget_for_batch(InFlight& f, std::int64_t now);
  bool take_critical_batch(InFlight& f);
  std::uint64_t batch_byte_limit() const;  // payload bytes a batch may read
  // Where the next batch in offset order starts: past the last one in flight, else the cursor.
  std::uint64_t read_position() const;
  void drop_empty_slots();
  // Offsets taken by the batches in flight (they are neither pending nor settled).
  std::uint64_t offsets_in_flight() const;
  bool read_batch(InFlight& f);
  // Out-of-order delivery (plan_): classify the backlog, then read the plan's next batch.
  // `only`: from that priority class alone (take_critical_batch()).
  bool read_planned_batch(InFlight& f, std::optional<Priority> only = std::nullopt);
  void scan_backlog(std::uint64_t end);
  // Offsets the plan had taken that hold no record when read: retention deleted them since
  // the scan (below the log's first offset), or they were lost to damage.
  struct Absent {
    std::uint64_t deleted = 0;
    std::uint64_t lost = 0;
  };
  // Reads the records at `offsets` (increasing) into the batch, up to the byte limit; the
  // offsets not read are given back to the plan (byte limit) or settled (no record there).
  Absent read_planned_records(InFlight& f, const std::vector<std::uint64_t>& offsets);
  // The cursor file's state blob: totals, and the settled-ahead runs of the plan.
  std::string cursor_state(const ForwardTotals& totals) const;
  // Sends `f`: on this thread with one batch in flight (the answer is handled at once),
  // else through the pool (handled when take_answers() picks it up).
  void dispatch(InFlight& f, std::int64_t now);
  void send_inline(InFlight& f, std::int64_t now);
  // Fills f.batch for a send of f.records (and the native batch when the sink wants it).
  void prepare_send(InFlight& f, std::int64_t now, bool copy_compressed);
  void handle_answer(InFlight& f, const FlushResult& result);
  // The pool's answers: those ready (wait = false) or all outstanding (wait = true).
  void take_answers(bool wait);
  InFlight* slot(std::uint64_t id);
  void on_failure(InFlight& f, const FlushResult& result, std::int64_t now);
  void dead_letter_and_resolve(InFlight& f, const std::string& error);
  bool split_in_flight(InFlight& f);
  void settle(InFlight& f);
  // Commits what settled: the settled prefix of the slots (offset order), every settled
  // slot (plan order).
  void commit_settled();
  void note_outage(const FlushResult& result);
  void clear_outage();
  void enforce_dead_letter_retention(std::int64_t now);
  void count_now(const ForwardTotals& add);
  std::int64_t delay_ns(std::uint64_t attempt, std::uint64_t retry_after_ms);
  void skip_deleted_records();
  void apply_pending_seek();
  void skip_lost_offsets(std::uint64_t end);
  // Moves the cursor and adds `add` to the totals in one step under mu_; `lost_offsets` of
  // the passed offsets had no record (they leave the backlog).
  void commit(std::uint64_t next_offset, const ForwardTotals& add, std::uint64_t lost_offsets = 0);
  void persist_totals(bool force);
  // Writes the cursor file: `offset`, `totals`, the budget's day and the plan's settled-ahead
  // runs (cursor_state()). Forwarding thread only.
  Status write_cursor(std::uint64_t offset, const ForwardTotals& totals);
  void note_error(const std::string& error, ErrorSite site = ErrorSite::kSend);
  void note_send(bool failed);
  void wait_until(std::int64_t wake_at);

  const io::OpeningProcess opener_;
  segment::SegmentLog& log_;
  BufferCore* const buffer_;
  std::unique_ptr<segment::SegmentLog> owned_log_;
  std::unique_ptr<Sink> sink_;
  const ForwarderOptions options_;
  std::uint64_t disk_cap_bytes_ = 0;
  std::optional<segment::CursorStore> cursors_;
  segment::CursorLock cursor_lock_;  // this forwarder owns its cursor until stop()
  // The dead-letter log is acquired only while used (dead_letter_registry.h): the forwarders of
  // other cursors, in other processes too, need it as well. Its retention count, last seen:
  std::atomic<std::uint64_t> dead_letters_dropped_{0};
  // ForwarderOptions::until_ns: the offset of the first record buffered at or after it, once
  // read (kNoRangeEnd before; a seek forgets it). Written by the forwarding thread.
  static constexpr std::uint64_t kNoRangeEnd = std::numeric_limits<std::uint64_t>::max();
  std::atomic<std::uint64_t> until_offset_{kNoRangeEnd};

  // Forwarding thread only.
  RetryPolicy retry_;
  CircuitBreaker breaker_;
  BatchSizer sizer_;
  BatchCompressor compressor_;
  std::shared_ptr<SharedBandwidthBudget> budget_;  // never null
  // Monotonic: since when the batch in flight waits for the budget (0 = it does not).
  std::int64_t throttled_since_ns_ = 0;
  bool throttle_unsaved_ = false;  // throttle counters changed since the cursor file was written
  // The batches in flight, in the order they were read.
  std::deque<std::unique_ptr<InFlight>> slots_;
  std::uint32_t max_in_flight_ = 1;  // the option, capped by the sink and the budget
  std::uint64_t next_slot_id_ = 1;
  std::vector<std::uint8_t> native_;      // native batch encoding, reused
  std::uint32_t consecutive_failures_ = 0;
  std::int64_t pending_since_ns_ = 0;     // when records started waiting (kHybrid)
  std::int64_t last_send_ns_ = 0;         // kTime
  std::int64_t last_persist_ns_ = 0;
  bool totals_dirty_ = false;            // totals_ changed since the cursor file was written
  std::unique_ptr<ConnectivityMonitor> monitor_;
  // Calls options_.hooks (nullptr without hooks): errors, dead letters, offline/online at
  // note_outage / clear_outage and the monitor's transitions. Stopped by stop().
  std::unique_ptr<HookNotifier> hooks_;
  std::int64_t next_dead_letter_retention_ns_ = 0;
  // Out-of-order delivery (ForwarderOptions::order by priority or newest first, or a
  // selection): which records go next and the settled runs beyond the cursor. Empty for
  // plain offset order, which reads at the cursor.
  std::optional<DeliveryPlan> plan_;
  std::optional<segment::LogReader> plan_scan_;  // where the classification goes on
  bool plan_scan_caught_up_ = false;              // it saw every record there was
  std::thread thread_;
  // Sender threads (max_in_flight_ > 1); destroyed before sink_, which they call.
  std::unique_ptr<SendPool> pool_;

  // Shared with callers, under mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;            // the thread's sleep; flush waiters
  std::uint64_t cursor_ = 0;              // next offset to deliver: every offset below is settled
  std::uint64_t settled_ahead_ = 0;       // offsets beyond cursor_ settled already (plan_)
  ForwardTotals totals_;                  // persisted ones
  ForwardTotals session_;
  std::int64_t backlog_at_start_ = 0;     // offsets beyond the cursor at start (adjusted by seeks)
  std::uint64_t flush_target_ = 0;        // flush(): deliver up to here now
  bool connectivity_returned_ = false;
  bool kick_ = false;                     // wake the thread now (flush, seek, stop, online)
  bool stop_requested_ = false;
  bool stopped_ = false;
  std::optional<std::pair<SeekTarget, std::int64_t>> pending_seek_;
  Status seek_status_;
  std::uint64_t seek_generation_ = 0, seek_applied_ = 0;
  CircuitState circuit_ = CircuitState::kClosed;
  std::uint64_t circuit_opened_ = 0;
  std::uint32_t batch_target_ = 0;
  std::uint64_t pending_retry_records_ = 0;
  std::int64_t next_attempt_ns_ = 0;
  std::uint64_t send_history_ = 0;        // last 64 sends, bit set = failed
  std::uint32_t send_history_count_ = 0;
  BandwidthUsage bandwidth_;  // the budget's limits and day, as of its last charge
  BudgetHold budget_hold_ = BudgetHold::kNone;
  // Wall clock of the last send the rate limit held back (0 = none).
  std::int64_t last_rate_limited_ns_ = 0;
  Status stop_status_;                    // the last cursor write's failure, if any
  // The standing sink_auth / sink_misconfigured condition (health), until a send succeeds.
  SinkOutage outage_ = SinkOutage::kNone;
  std::string outage_error_;
  std::mutex stop_mu_;                    // one stop() at a time (it joins the thread)
};

}  // namespace spool::engine
