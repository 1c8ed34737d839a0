#include "engine/produce/log_writer.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <span>

#include "engine/produce/dictionary_retention.h"
#include "engine/produce/retention_timer.h"
#include "io/clock.h"
#include "io/memory_info.h"
#include "io/process_barrier.h"
#include "segment/frame_format.h"
#include "spool/record_verify.h"
#include "spool/records.h"

namespace spool::engine {

namespace {

constexpr std::int64_t kFirstRetryNs = 1'000'000;    // 1 ms after the first failed write
constexpr std::int64_t kMaxRetryNs = 1'000'000'000;  // doubling up to 1 s
constexpr std::int64_t kReclaimEveryNs = 20'000'000;  // finished rings go within 20 ms
// stop(): passes over the rings before the thread ends. Attached producers may keep
// appending; what they append after these passes waits in their rings for the next writer.
constexpr int kStopPasses = 64;
// Room kept in the intent for one more ring's runs (a drain starts a run per malformed gap,
// at most DrainLimits::max_runs).
constexpr std::size_t kRunsPerDrain = 16;
// A log at its cap under disk_full_policy kBlock tries again this often (a cursor may have
// passed a segment meanwhile); it is not an error to back off from.
constexpr std::int64_t kCapRecheckNs = 100'000'000;

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

void add_sample(Log2Histogram* h, std::uint64_t value) noexcept {
  std::size_t bucket = value == 0 ? 0 : static_cast<std::size_t>(63 - __builtin_clzll(value));
  bucket = std::min(bucket, h->buckets.size() - 1);
  ++h->buckets[bucket];
  ++h->count;
  h->max = std::max(h->max, value);
}

// What the writer accepts from a ring: a record of a known kind whose bytes verify, with
// frame flags that are a priority. Runs on a private copy (SharedRing::drain).
bool valid_entry(std::uint16_t kind, std::uint16_t flags, std::span<const std::uint8_t> payload) {
  if (flags > frame_flags_for(Priority::kCritical)) return false;
  const auto k = static_cast<RecordKind>(kind);
  if (k == RecordKind::kRawFrame) return true;  // opaque bytes by definition
  return verify_encoded(k, payload).is_ok();
}

}  // namespace

// Records taken from the rings, waiting to be (or being) appended to the log.
struct LogWriter::Batch {
  std::vector<std::uint8_t> arena;  // entries (header + payload), back to back, 8-aligned
  std::size_t arena_used = 0;
  std::vector<segment::AppendRecord> records;
  std::size_t written = 0;  // records[0, written) are in the log (after a partial failure)
  std::vector<DrainedEntry> entries;  // scratch of one drain
  // The intent: runs in batch order; first_offset is filled in when it is published.
  std::vector<IntentRun> runs;
  std::vector<std::size_t> run_first_record;
  bool intent_published = false;
  // Under disk_full_policy kSample: records kept past the log's cap, so the append may
  // delete the oldest segments for them (SizeCapRule::kDeleteOldest).
  bool past_cap = false;
  // Per ring touched: where its taken entries end, and how many of them go into the log.
  struct RingMark {
    SharedRing* ring;
    std::uint64_t read_end;
    std::uint64_t kept;
  };
  std::vector<RingMark> marks;

  bool unwritten() const noexcept { return written < records.size(); }
  bool empty() const noexcept { return records.empty() && marks.empty(); }
  void clear() noexcept {
    arena_used = 0;
    records.clear();
    written = 0;
    runs.clear();
    run_first_record.clear();
    intent_published = false;
    past_cap = false;
    marks.clear();
  }
};

LogWriter::LogWriter(segment::SegmentLog& log, RingSet& rings, RingControl& control, QueueBudget& budget,
                     const Options& options, io::MemoryPaths memory)
    : log_(log),
      rings_(rings),
      control_(control),
      budget_(budget),
      options_(options),
      memory_paths_(std::move(memory)),
      batch_(std::make_unique<Batch>()) {
  // Room for a full batch, and always for the largest entry a ring may hold.
  batch_->arena.resize(std::max<std::uint64_t>(options_.writer_batch_bytes,
                                               options_.producer_ring_bytes + 2 * kRingEntryHeaderBytes) +
                       kRingEntryHeaderBytes + 8);
  committed_.store(log_.next_offset(), std::memory_order_relaxed);
  written_end_ = log_.next_offset();
  control_.set_budget_bytes(budget_.current());
  tie_dictionary_to_retention(log_);
}

LogWriter::~LogWriter() {
  if (opener_.is_other_process()) {
    io::abandon_parent_thread(thread_);
    return;
  }
  (void)stop();
}

Status LogWriter::start() {
  recover_rings();
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void LogWriter::recover_rings() {
  if (Status s = rings_.finish_interrupted_reclaim(); !s) {
    std::lock_guard<std::mutex> lock(mu_);
    count_error_locked(ErrorSite::kWrite, s);  // the ring stays and is drained (empty) again
  }
  rings_.refresh(io::monotonic_ns(), /*force=*/true);
  std::set<std::uint64_t> in_intent;
  Result<std::optional<Intent>> intent = control_.read_intent();
  if (intent.is_ok() && intent->has_value()) {
    const Intent& dead = **intent;
    for (const IntentRun& run : dead.runs) in_intent.insert(run.ring_id);
    // The log was recovered up to next_offset(): the runs below it are in, the rest are not.
    (void)resolve_intent(dead.runs, log_.next_offset(),
                         [this](std::uint64_t id) { return rings_.find(id); });
  }
  rings_.retake_all_unwritten(in_intent);
  control_.clear_intent();
}

void LogWriter::run() {
  for (;;) {
    const std::int64_t now = io::monotonic_ns();
    rings_.refresh(now);
    timers(now);
    Batch& batch = *batch_;
    if (failed()) {
      // The log failed a sync: nothing more is written; queued records are dropped, counted.
      if (!batch.empty() || drain(batch)) {
        discard(batch);
        continue;
      }
      if (stop_.load(std::memory_order_acquire)) break;
      idle_wait();
      continue;
    }
    if (batch.unwritten()) {
      // A write failed (full disk, I/O error): retry on the back-off timer; meanwhile the
      // rings fill and the full-queue policy decides.
      if (stop_.load(std::memory_order_acquire)) break;
      if (now >= retry_at_ns_) {
        write(batch);
        if (!batch.unwritten()) finish(batch);
        continue;
      }
      idle_wait();
      continue;
    }
    if (!paused_.load(std::memory_order_acquire) && drain(batch)) {
      idle_sleeps_ = 0;
      write(batch);
      if (!batch.unwritten()) finish(batch);
      continue;
    }
    if (stop_.load(std::memory_order_acquire)) break;
    idle_wait();
  }
}

bool LogWriter::keeps_past_cap(const DrainedEntry& e, SharedRing& ring, Batch& batch) {
  switch (options_.disk_full_policy) {
    case FullPolicy::kBlock:
      return true;  // the append stops at the cap and the batch waits (write())
    case FullPolicy::kSample:
      if (priority_from_flags(e.flags) >= Priority::kHigh ||
          ++past_cap_seen_ % options_.sample_keep_one_in == 0) {
        batch.past_cap = true;
        return true;
      }
      break;
    case FullPolicy::kDropNewest:
    case FullPolicy::kDropOldest:  // (the log deletes for it: never asked)
      break;
  }
  ring.count_writer_drop(DropReason::kDiskFull);
  return false;
}

bool LogWriter::drain(Batch& batch) {
  DrainLimits limits;
  limits.max_payload_bytes = std::min<std::uint64_t>(log_.max_payload_bytes(), options_.producer_ring_bytes);
  limits.max_runs = kRunsPerDrain;
  // Under every disk_full_policy but drop_oldest the log must not grow past its cap with
  // records its cursors have not read: each record takes its frame's room, and what finds
  // none is kept or dropped by the policy (keeps_past_cap).
  std::optional<segment::CapRoom> room;
  std::uint64_t batch_bytes = options_.writer_batch_bytes;
  if (options_.disk_full_policy != FullPolicy::kDropOldest) {
    room = log_.cap_room();
    // kBlock: a batch waiting at the cap gets written once its readers let retention free
    // what lies before it, which must be room enough for it: a quarter of the cap (frames
    // are at most twice their ring entries) always is.
    if (room->capped)
      batch_bytes =
          std::clamp<std::uint64_t>(log_.options().retention_bytes / 4, 4096, batch_bytes);
  }
  bool room_ran_out = false;
  for (SharedRing* ring : rings_.drainable()) {
    // A batch ends at batch_bytes (the arena is larger only so that one entry of the largest
    // size always fits into an empty one) or when the intent has no room left.
    if (batch.arena_used >= batch_bytes) break;
    // kBlock: what was taken past the cap waits for room; take no more meanwhile.
    if (room_ran_out && options_.disk_full_policy == FullPolicy::kBlock) break;
    if (batch.runs.size() + kRunsPerDrain > RingControl::kMaxIntentRuns) break;
    batch.entries.clear();
    auto out = std::span<std::uint8_t>(batch.arena).subspan(batch.arena_used);
    limits.batch_bytes = batch_bytes - batch.arena_used;
    const DrainResult r = ring->drain(out, &batch.entries, limits, valid_entry);
    if (r.outcome != DrainOutcome::kOk) {
      // Positions that break the ring's invariants, or a mapping that faults: nothing in it
      // can be trusted. Entries already taken from it this batch still go to the log.
      if (std::none_of(batch.marks.begin(), batch.marks.end(), [&](const auto& m) { return m.ring == ring; })) {
        rings_.reclaim_broken(ring);
      }
      continue;
    }
    if (r.entries == 0 && r.malformed == 0) continue;
    std::uint64_t kept = 0;
    bool run_open = false;
    for (const DrainedEntry& e : batch.entries) {
      const auto payload = e.payload(std::span<const std::uint8_t>(out));
      if (!log_.check_record(payload.size()).is_ok()) {
        ring->count_writer_drop(DropReason::kTooLarge);
        run_open = false;
        continue;
      }
      if (room && !room->take(segment::frame_size(payload.size()))) {
        room_ran_out = true;
        if (!keeps_past_cap(e, *ring, batch)) {
          run_open = false;
          continue;
        }
      }
      if (!run_open || !e.follows_previous) {
        batch.runs.push_back(IntentRun{ring->ring_id(), e.ring_start, e.ring_end, 0, 0});
        batch.run_first_record.push_back(batch.records.size());
        run_open = true;
      }
      IntentRun& run = batch.runs.back();
      run.pos_end = e.ring_end;
      ++run.count;
      // valid_entry() verified the payload (this very copy) unless it is a raw frame.
      const bool verified = static_cast<RecordKind>(e.kind) != RecordKind::kRawFrame;
      const auto flags = static_cast<std::uint16_t>(e.flags | (verified ? kVerifiedFlag : 0));
      batch.records.push_back(segment::AppendRecord{e.kind, payload, e.buffered_at_ns, flags});
      ++kept;
    }
    batch.arena_used += (r.out_bytes + 7) & ~std::size_t{7};
    batch.marks.push_back(Batch::RingMark{ring, r.read_end, kept});
  }
  if (room) {
    // A drain that found nothing to place leaves the state as it was while no segment fits.
    std::lock_guard<std::mutex> lock(mu_);
    at_cap_ = room_ran_out || (batch.empty() && at_cap_ && room->new_segments == 0);
  }
  return !batch.empty();
}

void LogWriter::write(Batch& batch) {
  if (!batch.intent_published) {
    // Which ring positions get which offsets, before any of them reaches the log.
    const std::uint64_t base = log_.next_offset();
    for (std::size_t i = 0; i < batch.runs.size(); ++i) batch.runs[i].first_offset = base + batch.run_first_record[i];
    (void)control_.publish_intent(batch.runs, base, base + batch.records.size());
    batch.intent_published = true;
  }
  if (!batch.unwritten()) return;
  const std::uint64_t first = log_.next_offset();
  const std::int64_t start = io::monotonic_ns();
  const std::int64_t synced_before = log_.last_sync_ns();
  auto rest = std::span<const segment::AppendRecord>(batch.records).subspan(batch.written);
  // kSample: records kept past the cap make room as drop_oldest does.
  const SizeCapRule rule = log_.options().size_cap_rule;
  if (batch.past_cap) log_.set_size_cap_rule(SizeCapRule::kDeleteOldest);
  Result<std::uint64_t> appended = log_.append_batch(rest);
  if (batch.past_cap) log_.set_size_cap_rule(rule);
  const std::int64_t end = io::monotonic_ns();
  const std::uint64_t count = log_.next_offset() - first;  // a prefix may be in after an error
  batch.written += count;
  std::lock_guard<std::mutex> lock(mu_);
  written_ += count;
  last_write_ns_ = start;
  if (appended.is_ok()) {
    ++write_batches_;
    if (log_.last_sync_ns() != synced_before) ++syncs_;
    add_sample(&batch_records_, rest.size());
    add_sample(&write_latency_ns_, static_cast<std::uint64_t>(end - start));
    error_ = Status::ok();
    retry_backoff_ns_ = 0;
    cap_refused_ = false;
    return;
  }
  if (log_.at_size_cap()) {
    // disk_full_policy kBlock: the log refuses to grow past its cap with unread records. The
    // batch waits and is tried again every kCapRecheckNs; an error once per stay at the cap.
    if (!cap_refused_) count_error_locked(ErrorSite::kWrite, appended.status());
    cap_refused_ = true;
    at_cap_ = true;
    error_ = appended.status();
    retry_backoff_ns_ = 0;
    retry_at_ns_ = end + kCapRecheckNs;
    return;
  }
  // In kBatch mode the append syncs: a failed sync fails the log (note_log_failure_locked).
  count_error_locked(log_.failed().is_ok() ? ErrorSite::kWrite : ErrorSite::kSync,
                     appended.status());
  error_ = appended.status();
  note_log_failure_locked();
  retry_backoff_ns_ = retry_backoff_ns_ == 0 ? kFirstRetryNs : std::min(kMaxRetryNs, retry_backoff_ns_ * 2);
  retry_at_ns_ = end + retry_backoff_ns_;
}

void LogWriter::note_log_failure_locked() {
  if (failed() || log_.failed().is_ok()) return;
  failure_ = log_.failed();
  error_ = failure_;
  failed_.store(true, std::memory_order_release);
  control_.set_log_failed();
}

Status LogWriter::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void LogWriter::discard(Batch& batch) {
  // The log failed: what the batch holds will never be written. Counted per ring, then its
  // space is freed like a written batch's.
  for (Batch::RingMark& mark : batch.marks) {
    if (mark.kept > 0) mark.ring->count_writer_drop(DropReason::kWriteFailed, mark.kept);
    mark.kept = 0;
  }
  batch.written = batch.records.size();
  finish(batch);
}

void LogWriter::finish(Batch& batch) {
  {
    // One step for stats readers (with_accounting_frozen): the batch's records leave their
    // rings' queues and enter the log's written end together, never counted twice or not at all.
    std::lock_guard<std::mutex> lock(mu_);
    for (const Batch::RingMark& mark : batch.marks) mark.ring->mark_written(mark.read_end, mark.kept);
    written_end_ = log_.next_offset();
    committed_.store(written_end_, std::memory_order_release);
  }
  control_.set_committed_offset(log_.next_offset());
  control_.clear_intent();
  batch.clear();
  control_.bump_progress();
}

void LogWriter::timers(std::int64_t now_ns) {
  const std::uint64_t sync_wanted = control_.sync_requested();
  if (sync_wanted != sync_seen_ && !batch_->unwritten()) {
    sync_seen_ = sync_wanted;
    sync_log();
    control_.set_sync_completed(sync_wanted);
    control_.bump_progress();
  }
  if (options_.adaptive_budget && now_ns >= next_memory_check_ns_) {
    next_memory_check_ns_ = now_ns + std::int64_t{options_.memory_check_interval_ms} * 1'000'000;
    auto memory = io::read_memory_snapshot(memory_paths_);
    if (memory) (void)budget_.update(*memory, io::wall_clock_ns());
    control_.set_budget_bytes(budget_.current());
  }
  if (options_.log.durability == Durability::kInterval && !failed() && last_write_ns_ > log_.last_sync_ns() &&
      now_ns - log_.last_sync_ns() >= std::int64_t{options_.log.sync_interval_ms} * 1'000'000) {
    sync_log();
  }
  // Age retention also while idle (rotation runs it only when records arrive).
  if (const std::int64_t every = age_retention_interval_ns(options_.log.retention_max_age_ms);
      every > 0 && now_ns >= next_retention_ns_) {
    next_retention_ns_ = now_ns + every;
    if (auto deleted = log_.enforce_retention(); !deleted) {
      std::lock_guard<std::mutex> lock(mu_);
      count_error_locked(ErrorSite::kRetention, deleted.status());  // the next pass tries again
    }
  }
  if (now_ns >= next_reclaim_ns_ && batch_->empty()) {
    next_reclaim_ns_ = now_ns + kReclaimEveryNs;
    (void)rings_.reclaim_finished();
    if (housekeeping_) housekeeping_();
  }
}

void LogWriter::sync_log() {
  Status s = log_.sync();
  std::lock_guard<std::mutex> lock(mu_);
  if (s.is_ok()) {
    ++syncs_;
    return;
  }
  count_error_locked(ErrorSite::kSync, s);
  error_ = s;
  note_log_failure_locked();
}

void LogWriter::count_error_locked(ErrorSite site, const Status& error) {
  ++write_errors_;
  last_write_error_ = error.to_string();
  if (error_listener_) error_listener_(site, error);
}

std::int64_t LogWriter::next_timer_ns(std::int64_t now_ns, std::int64_t max_sleep_ns) const {
  std::int64_t next = now_ns + max_sleep_ns;
  auto consider = [&next](std::int64_t t) { next = std::min(next, t); };
  if (options_.adaptive_budget) consider(next_memory_check_ns_);
  if (options_.log.durability == Durability::kInterval && !failed() && last_write_ns_ > log_.last_sync_ns()) {
    consider(log_.last_sync_ns() + std::int64_t{options_.log.sync_interval_ms} * 1'000'000);
  }
  if (batch_->unwritten() && !failed()) consider(retry_at_ns_);
  if (age_retention_interval_ns(options_.log.retention_max_age_ms) > 0) consider(next_retention_ns_);
  if (control_.sync_requested() != sync_seen_) consider(now_ns);
  return std::max<std::int64_t>(0, next - now_ns);
}

void LogWriter::idle_wait() {
  const bool retrying = batch_->unwritten();
  const bool paused = paused_.load(std::memory_order_acquire);
  // Still asleep for the producers: the word has stayed set since the last membarrier, so
  // every push since then has seen it (log_writer.h). No spin, no barrier: sleep longer.
  const bool still_asleep = idle_sleeps_ > 0 && control_.writer_sleeping();
  if (!still_asleep) {
    idle_sleeps_ = 0;
    const std::int64_t spin_until = io::monotonic_ns() + std::int64_t{options_.writer_spin_us} * 1000;
    if (!retrying && !paused) {
      while (io::monotonic_ns() < spin_until) {
        if (!rings_.all_taken() || stop_.load(std::memory_order_relaxed)) return;
        for (int i = 0; i < 32; ++i) cpu_relax();
      }
    }
    control_.set_writer_sleeping(true);
    // Pairs with the producers' light barrier after each push (io/process_barrier.h): one
    // membarrier per sleep instead of a full fence per append. It reaches this process's
    // threads; a producer in another process that misses the flag is picked up when the
    // first, short sleep ends (kMaxSleepNs).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    io::heavy_barrier();
  }
  if ((!retrying && !paused && !rings_.all_taken()) || paused != paused_.load(std::memory_order_acquire) ||
      stop_.load(std::memory_order_relaxed) || rings_.announced()) {
    control_.set_writer_sleeping(false);
    idle_sleeps_ = 0;
    return;
  }
  const std::int64_t bound = std::min(kMaxSleepNs << std::min(idle_sleeps_, 5), kMaxIdleSleepNs);
  control_.writer_wait(next_timer_ns(io::monotonic_ns(), bound));
  if (control_.writer_sleeping()) {
    ++idle_sleeps_;  // timed out, no one woke us: the word stays set (see above)
  } else {
    idle_sleeps_ = 0;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++wakeups_;
}

Status LogWriter::stop() {
  if (opener_.is_other_process()) {
    return segment::fork_child_status("the writer of log " + log_.dir(), opener_,
                                      "it drains only in the parent");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return final_error_;
  }
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) {
    wake();
    thread_.join();
  }
  // The thread is gone; finish here what is queued now. A lasting error gets one more
  // attempt; records still unwritten then stay where they are: in their rings, taken again
  // by the next writer (nothing is lost by stopping).
  Batch& batch = *batch_;
  for (int pass = 0; pass < kStopPasses && !failed(); ++pass) {
    rings_.refresh(io::monotonic_ns(), /*force=*/pass == 0);
    if (batch.empty() && !drain(batch)) break;
    write(batch);
    if (batch.unwritten()) break;
    finish(batch);
  }
  if (failed() && (!batch.empty() || drain(batch))) discard(batch);
  rings_.reclaim_finished();
  std::lock_guard<std::mutex> lock(mu_);
  if (batch.unwritten()) final_error_ = error_;
  stopped_ = true;
  return final_error_;
}

void LogWriter::fill_stats_locked(BufferStats* stats) const {
  stats->write_batches = write_batches_;
  stats->write_errors = write_errors_;
  stats->last_write_error = last_write_error_;
  if (failed()) stats->log_failed = failure_.to_string();
  stats->batch_records = batch_records_;
  stats->write_latency_ns = write_latency_ns_;
  stats->syncs = syncs_;
  stats->writer_wakeups = wakeups_;
  stats->committed_offset = committed_offset();
  stats->written_end_offset = written_end_;
  stats->at_cap = at_cap_;
}

}  // namespace spool::engine
