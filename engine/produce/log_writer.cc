#include "engine/produce/log_writer.h"

#include <algorithm>
#include <memory>
#include <span>

#include "engine/produce/dictionary_retention.h"
#include "engine/produce/retention_timer.h"
#include "io/clock.h"
#include "io/process_barrier.h"
#include "io/memory_info.h"

namespace spool::engine {

namespace {

constexpr std::int64_t kFirstRetryNs = 1'000'000;       // 1 ms after the first failed write
constexpr std::int64_t kMaxRetryNs = 1'000'000'000;     // doubling up to 1 s

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

}  // namespace

// Records popped from the rings, waiting to be (or being) appended to the log.
struct LogWriter::Batch {
  std::vector<std::uint8_t> arena;  // payloads, back to back
  std::size_t arena_used = 0;
  std::vector<segment::AppendRecord> records;
  std::size_t written = 0;  // records[0, written) are in the log (after a partial failure)
  // Per ring touched: its popped count once this batch's entries were taken; published as
  // `done` when the batch is in the log.
  struct RingMark {
    std::shared_ptr<ProducerRing> ring;
    std::uint64_t popped;
  };
  std::vector<RingMark> marks;

  bool unwritten() const noexcept { return written < records.size(); }
  void clear() noexcept {
    arena_used = 0;
    records.clear();
    written = 0;
    marks.clear();
  }
};

LogWriter::LogWriter(segment::SegmentLog& log, ProducerRegistry& registry, QueueBudget& budget,
                     const Options& options, io::MemoryPaths memory)
    : log_(log),
      registry_(registry),
      budget_(budget),
      options_(options),
      memory_paths_(std::move(memory)),
      batch_(std::make_unique<Batch>()) {
  // Room for a full batch, and always for the largest record a producer may queue.
  batch_->arena.resize(std::max<std::uint64_t>(options_.writer_batch_bytes, options_.log.max_record_bytes));
  committed_.store(log_.next_offset(), std::memory_order_relaxed);
  written_end_ = log_.next_offset();
  tie_dictionary_to_retention(log_);
}

LogWriter::~LogWriter() {
  if (opener_.is_other_process()) {
    // A fork child: the thread and any flush() waiters exist only in the parent. Its mutex
    // may be copied locked and the condition variable with waiters (destroying it would
    // wait for them forever): leave the thread alone, replace the variable, touch nothing
    // else.
    io::abandon_parent_thread(thread_);
    std::construct_at(&progress_cv_);
    return;
  }
  (void)stop();
}

void LogWriter::start() { thread_ = std::thread([this] { run(); }); }

void LogWriter::run() {
  for (;;) {
    registry_.snapshot_if_changed(&rings_version_, &rings_);
    const std::int64_t now = io::monotonic_ns();
    timers(now);
    Batch& batch = *batch_;
    if (failed()) {
      // The log failed a sync: nothing more is written; queued records are dropped, counted.
      if (batch.unwritten() || drain(batch)) {
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
      write(batch);
      if (!batch.unwritten()) finish(batch);
      continue;
    }
    registry_.remove_drained_abandoned();
    if (stop_.load(std::memory_order_acquire)) break;
    idle_wait();
  }
}

bool LogWriter::drain(Batch& batch) {
  // Under mu_: a stats snapshot sees each record either still in its ring or in the batch,
  // never in both or neither (BufferCore::stats).
  std::unique_lock<std::mutex> accounting(mu_);
  bool progressed = false;
  const std::size_t n = rings_.size();
  std::int64_t oldest = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::shared_ptr<ProducerRing>& ring = rings_[(next_ring_ + k) % n];
    std::lock_guard<std::mutex> lock(ring->consumer_mutex());
    // A batch ends at writer_batch_bytes; the arena is larger only so that one record of
    // max_record_bytes always fits into an empty one.
    while (batch.arena_used < options_.writer_batch_bytes) {
      EntryHeader header;
      std::uint8_t* dst = batch.arena.data() + batch.arena_used;
      const PopResult r = ring->pop(&header, dst, batch.arena.size() - batch.arena_used);
      if (r != PopResult::kPopped) break;
      // append_batch refuses a whole batch for one invalid record, so each is checked
      // here: one the log can never take is dropped (and counted), the rest are written.
      if (!log_.check_record(header.payload_bytes).is_ok()) {
        ++dropped_too_large_;
        continue;
      }
      batch.records.push_back(segment::AppendRecord{
          header.kind, std::span<const std::uint8_t>(dst, header.payload_bytes), header.buffered_at_ns,
          header.flags});
      batch.arena_used += header.payload_bytes;
      if (oldest == 0) oldest = header.buffered_at_ns;
    }
    const std::uint64_t popped = ring->consumer.popped.load(std::memory_order_relaxed);
    if (popped != ring->consumer.done.load(std::memory_order_relaxed)) {
      batch.marks.push_back(Batch::RingMark{ring, popped});
      progressed = true;
    }
  }
  if (n > 0) next_ring_ = (next_ring_ + 1) % n;
  inflight_oldest_ns_.store(oldest, std::memory_order_relaxed);
  inflight_records_.store(batch.records.size(), std::memory_order_release);
  accounting.unlock();
  if (progressed) {
    // Room was made: kBlock producers may retry.
    progress_seq_.fetch_add(1, std::memory_order_release);
    if (room_waiters_.load(std::memory_order_acquire) != 0) {
      io::futex_wake(&progress_seq_, INT32_MAX);
    }
  }
  return progressed;
}

void LogWriter::write(Batch& batch) {
  if (!batch.unwritten()) return;
  const std::uint64_t first = log_.next_offset();
  const std::int64_t start = io::monotonic_ns();
  const std::int64_t synced_before = log_.last_sync_ns();
  auto rest = std::span<const segment::AppendRecord>(batch.records).subspan(batch.written);
  Result<std::uint64_t> appended = log_.append_batch(rest);
  const std::int64_t end = io::monotonic_ns();
  const std::uint64_t count = log_.next_offset() - first;  // a prefix may be in after an error
  batch.written += count;
  std::lock_guard<std::mutex> lock(mu_);
  // One step under mu_: the records leave the batch and enter the log for stats readers.
  inflight_records_.store(batch.records.size() - batch.written, std::memory_order_release);
  written_ += count;
  written_end_ = log_.next_offset();
  last_write_ns_ = start;  // a sync inside append_batch (interval elapsed) comes after it
  if (appended.is_ok()) {
    ++write_batches_;
    if (log_.last_sync_ns() != synced_before) ++syncs_;
    add_sample(&batch_records_, rest.size());
    add_sample(&write_latency_ns_, static_cast<std::uint64_t>(end - start));
    error_ = Status::ok();
    retry_backoff_ns_ = 0;
    return;
  }
  ++write_errors_;
  last_write_error_ = appended.status().to_string();
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
}

void LogWriter::discard(Batch& batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // One step under mu_: the records leave the batch and become drops for stats readers.
    dropped_write_failed_ += batch.records.size() - batch.written;
    batch.written = batch.records.size();
    inflight_records_.store(0, std::memory_order_release);
  }
  finish(batch);
}

void LogWriter::finish(Batch& batch) {
  committed_.store(log_.next_offset(), std::memory_order_release);
  for (const Batch::RingMark& mark : batch.marks) {
    mark.ring->consumer.done.store(mark.popped, std::memory_order_release);
  }
  batch.clear();
  inflight_records_.store(0, std::memory_order_release);
  inflight_oldest_ns_.store(0, std::memory_order_relaxed);
  publish_progress();
}

void LogWriter::publish_progress() {
  std::lock_guard<std::mutex> lock(mu_);
  if (flush_waiters_ > 0) progress_cv_.notify_all();
}

bool LogWriter::rings_empty() const {
  for (const auto& ring : rings_) {
    if (ring->used_bytes() != 0) return false;
  }
  return true;
}

void LogWriter::timers(std::int64_t now_ns) {
  const std::uint64_t sync_wanted = sync_requested_.load(std::memory_order_acquire);
  if (sync_wanted != sync_completed_.load(std::memory_order_relaxed) && !batch_->unwritten()) {
    sync_log(/*report_to_waiters=*/true);
    sync_completed_.store(sync_wanted, std::memory_order_release);
    publish_progress();
  }
  if (options_.adaptive_budget && now_ns >= next_memory_check_ns_) {
    next_memory_check_ns_ = now_ns + std::int64_t{options_.memory_check_interval_ms} * 1'000'000;
    auto memory = io::read_memory_snapshot(memory_paths_);
    if (memory) (void)budget_.update(*memory, io::wall_clock_ns());
  }
  if (options_.log.durability == Durability::kInterval && !failed() && last_write_ns_ > log_.last_sync_ns() &&
      now_ns - log_.last_sync_ns() >= std::int64_t{options_.log.sync_interval_ms} * 1'000'000) {
    sync_log(/*report_to_waiters=*/false);
  }
  // Age retention also while idle (rotation runs it only when records arrive).
  if (const std::int64_t every = age_retention_interval_ns(options_.log.retention_max_age_ms);
      every > 0 && now_ns >= next_retention_ns_) {
    next_retention_ns_ = now_ns + every;
    if (auto deleted = log_.enforce_retention(); !deleted) {
      std::lock_guard<std::mutex> lock(mu_);
      ++write_errors_;
      last_write_error_ = deleted.status().to_string();  // counted; the next pass tries again
    }
  }
}

void LogWriter::sync_log(bool report_to_waiters) {
  Status s = log_.sync();
  std::lock_guard<std::mutex> lock(mu_);
  if (s.is_ok()) {
    ++syncs_;
    return;
  }
  ++write_errors_;
  last_write_error_ = s.to_string();
  // A requested sync's failure is the requester's answer. A failed sync puts the log in its
  // failed state, which every later append and flush reports.
  if (report_to_waiters) error_ = s;
  note_log_failure_locked();
}

std::int64_t LogWriter::next_timer_ns(std::int64_t now_ns) const {
  std::int64_t next = -1;
  auto consider = [&next](std::int64_t t) { next = next < 0 ? t : std::min(next, t); };
  if (options_.adaptive_budget) consider(next_memory_check_ns_);
  if (options_.log.durability == Durability::kInterval && !failed() && last_write_ns_ > log_.last_sync_ns()) {
    consider(log_.last_sync_ns() + std::int64_t{options_.log.sync_interval_ms} * 1'000'000);
  }
  if (batch_->unwritten() && !failed()) consider(retry_at_ns_);
  if (age_retention_interval_ns(options_.log.retention_max_age_ms) > 0) consider(next_retention_ns_);
  if (sync_requested_.load(std::memory_order_acquire) != sync_completed_.load(std::memory_order_relaxed)) {
    consider(now_ns);
  }
  return next < 0 ? -1 : std::max<std::int64_t>(0, next - now_ns);
}

void LogWriter::idle_wait() {
  const std::int64_t spin_until = io::monotonic_ns() + std::int64_t{options_.writer_spin_us} * 1000;
  const bool retrying = batch_->unwritten();
  const bool paused = paused_.load(std::memory_order_acquire);
  if (!retrying && !paused) {
    while (io::monotonic_ns() < spin_until) {
      if (!rings_empty() || stop_.load(std::memory_order_relaxed)) return;
      for (int i = 0; i < 32; ++i) cpu_relax();
    }
  }
  sleeping_.store(1, std::memory_order_relaxed);
  // Pairs with the producers' light barrier after each push (io/process_barrier.h): one
  // membarrier syscall per sleep instead of a full fence per append.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  io::heavy_barrier();
  if ((!retrying && !paused && !rings_empty()) || paused != paused_.load(std::memory_order_acquire) || stop_.load(std::memory_order_relaxed) ||
      registry_.snapshot_if_changed(&rings_version_, &rings_)) {
    sleeping_.store(0, std::memory_order_relaxed);
    return;
  }
  io::futex_wait(&sleeping_, 1, next_timer_ns(io::monotonic_ns()));
  sleeping_.store(0, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  ++wakeups_;
}

void LogWriter::wait_for_room(std::uint32_t seen, std::int64_t deadline_ns) noexcept {
  room_waiters_.fetch_add(1, std::memory_order_acq_rel);
  wake();
  const std::int64_t left = deadline_ns - io::monotonic_ns();
  if (left > 0 && progress_seq_.load(std::memory_order_acquire) == seen) {
    io::futex_wait(&progress_seq_, seen, std::min<std::int64_t>(left, 10'000'000));
  }
  room_waiters_.fetch_sub(1, std::memory_order_acq_rel);
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
  // The writer is gone; finish here: what it had not written yet, and entries that raced
  // with the stop. A lasting error gets one more attempt, then those records are counted
  // as dropped (kWriteFailed).
  registry_.snapshot_if_changed(&rings_version_, &rings_);
  Batch& batch = *batch_;
  for (;;) {
    if (!batch.unwritten() && !drain(batch)) break;
    write(batch);
    if (batch.unwritten()) break;
    finish(batch);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (batch.unwritten()) {
    // Records still in the rings are lost with the process too; count them with the batch.
    std::uint64_t lost = batch.records.size() - batch.written;
    for (const auto& ring : rings_) {
      lost += ring->producer.appended.load(std::memory_order_acquire) -
              ring->consumer.popped.load(std::memory_order_acquire);
    }
    dropped_write_failed_ += lost;
    final_error_ = error_;
    gave_up_at_stop_ = true;
  }
  stopped_ = true;
  progress_cv_.notify_all();
  return final_error_;
}

void LogWriter::fill_stats_locked(BufferStats* stats) const {
  stats->written = written_;
  stats->write_batches = write_batches_;
  stats->write_errors = write_errors_;
  stats->last_write_error = last_write_error_;
  if (failed()) stats->log_failed = failure_.to_string();
  stats->batch_records = batch_records_;
  stats->write_latency_ns = write_latency_ns_;
  stats->syncs = syncs_;
  stats->writer_wakeups = wakeups_;
  stats->dropped[static_cast<std::size_t>(DropReason::kWriteFailed)] += dropped_write_failed_;
  stats->committed_offset = committed_offset();
  stats->written_end_offset = written_end_;
}

}  // namespace spool::engine
