// LogWriter: the one thread that moves records from the producer rings into the segment log.
//
// Each cycle it drains every ring (round robin, up to writer_batch_bytes), appends the batch
// with one SegmentLog::append_batch (one write per segment touched; in kBatch mode with a
// linked fdatasync), publishes the committed offset with release semantics and marks the
// drained entries done, which is what Buffer::flush() waits for. A record the log refuses
// (SegmentLog::check_record) is dropped from the batch and counted too_large, so it can never
// hold up the records behind it.
//
// Idle, it polls for writer_spin_us and then sleeps on a futex; a producer that finds it
// asleep wakes it (one syscall, only on the first append after an idle period). Its timers
// (interval sync, memory check, retry after a write error) bound the sleep.
//
// fork(): the thread runs only in the process that started it. In a fork child, stop()
// fails with ForkChild and the destructor abandons the thread (io::abandon_parent_thread)
// instead of draining or joining it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/produce/producer_registry.h"
#include "engine/produce/queue_budget.h"
#include "io/clock.h"
#include "io/futex.h"
#include "io/memory_info.h"
#include "io/opening_process.h"
#include "segment/segment_log.h"
#include "spool/buffer_options.h"
#include "spool/buffer_stats.h"

namespace spool::engine {

class LogWriter {
 public:
  // `memory` says where memory pressure is read (tests point it at a fake tree).
  LogWriter(segment::SegmentLog& log, ProducerRegistry& registry, QueueBudget& budget,
            const Options& options, io::MemoryPaths memory = {});
  ~LogWriter();  // stop()
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void start();
  // Drains everything queued (including entries that raced with the stop), then joins the
  // thread. Returns the error that made records fail for good, if any. Idempotent.
  Status stop();

  // Producer, right after a push and io::light_barrier(): wakes the writer if it sleeps.
  // The barrier pairs with the heavy one in idle_wait(), so either the writer sees the
  // entry or the producer sees it asleep.
  void notify_pushed() noexcept {
    if (sleeping_.load(std::memory_order_relaxed) != 0) wake();
  }
  void wake() noexcept {
    if (sleeping_.exchange(0, std::memory_order_acq_rel) != 0) io::futex_wake(&sleeping_, 1);
  }

  // Waits until `done()` says yes, the writer reports a lasting error, or the deadline
  // (monotonic ns; < 0: none) passes. Returns the writer's error, TimedOut, or OK.
  template <typename DonePredicate>
  Status wait_for_progress(DonePredicate done, std::int64_t deadline_ns);

  // kBlock producers wait here for room: returns once the writer made progress since
  // `seen` (progress_sequence()) or the deadline passed.
  std::uint32_t progress_sequence() const noexcept { return progress_seq_.load(std::memory_order_acquire); }
  void wait_for_room(std::uint32_t seen, std::int64_t deadline_ns) noexcept;

  // Asks the writer thread (the log's only user) for an fdatasync; done once
  // syncs_completed() reaches the returned number.
  std::uint64_t request_sync() noexcept {
    const std::uint64_t seq = sync_requested_.fetch_add(1, std::memory_order_acq_rel) + 1;
    wake();
    return seq;
  }
  std::uint64_t syncs_completed() const noexcept { return sync_completed_.load(std::memory_order_acquire); }

  // Test seam: a paused writer leaves the rings alone (so tests can fill them), but still
  // runs its timers and stops when asked.
  void set_paused(bool paused) noexcept {
    paused_.store(paused, std::memory_order_release);
    wake();
  }

  // Once the log failed a sync (SegmentLog::failed()), the writer takes no more records:
  // it does not retry (a retried fdatasync can succeed without the data on disk), discards
  // what is queued as kWriteFailed, and every later append and flush gets failure().
  bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  // The log's failed-sync error; only once failed() is true (set before it, never changed).
  const Status& failure() const noexcept { return failure_; }

  std::uint64_t committed_offset() const noexcept { return committed_.load(std::memory_order_acquire); }
  // Buffered-at time of the oldest record popped but not yet written; 0 if none.
  // Records popped from the rings but not yet in the log.
  std::uint64_t inflight_records() const noexcept { return inflight_records_.load(std::memory_order_acquire); }
  std::int64_t inflight_oldest_ns() const noexcept { return inflight_oldest_ns_.load(std::memory_order_relaxed); }
  // Runs `read` with the writer's accounting frozen: no record moves between the rings, the
  // batch and the log meanwhile (drain() and write() move them under the same mutex).
  template <typename Read>
  void with_accounting_frozen(Read read) const {
    std::lock_guard<std::mutex> lock(mu_);
    read();
  }
  // Writer-side figures for BufferStats (the rest comes from the rings); only inside
  // with_accounting_frozen().
  void fill_stats_locked(BufferStats* stats) const;
  // True when stop() gave up on records (counted as kWriteFailed, ring contents included).
  bool gave_up_at_stop_locked() const noexcept { return gave_up_at_stop_; }
  // Records queued and then refused by the log (too_large, but unlike a refusal at the door
  // they count in `accepted`); only inside with_accounting_frozen().
  std::uint64_t refused_by_log_locked() const noexcept { return dropped_too_large_; }

 private:
  struct Batch;
  void run();
  bool drain(Batch& batch);  // true when anything was popped or discarded
  void write(Batch& batch);
  void finish(Batch& batch);
  bool rings_empty() const;
  void timers(std::int64_t now_ns);
  void sync_log(bool report_to_waiters);
  std::int64_t next_timer_ns(std::int64_t now_ns) const;
  void idle_wait();
  void publish_progress();
  void record_error(const Status& status);
  // Checks the log's failed state after a write or sync; mu_ held.
  void note_log_failure_locked();
  // Counts the batch's unwritten records as kWriteFailed and releases their ring space.
  void discard(Batch& batch);

  segment::SegmentLog& log_;
  ProducerRegistry& registry_;
  QueueBudget& budget_;
  const Options options_;
  const io::MemoryPaths memory_paths_;
  const io::OpeningProcess opener_;
  std::thread thread_;
  std::unique_ptr<Batch> batch_;

  std::vector<std::shared_ptr<ProducerRing>> rings_;  // writer's snapshot
  std::uint64_t rings_version_ = 0;
  std::size_t next_ring_ = 0;  // round-robin start

  std::atomic<std::uint32_t> sleeping_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::atomic<std::uint32_t> progress_seq_{0};
  std::atomic<std::uint32_t> room_waiters_{0};
  std::atomic<std::uint64_t> committed_{0};
  std::atomic<std::uint64_t> sync_requested_{0};
  std::atomic<std::uint64_t> sync_completed_{0};
  std::atomic<std::int64_t> inflight_oldest_ns_{0};
  std::atomic<bool> failed_{false};
  Status failure_;  // written once, before failed_ is set
  std::atomic<std::uint64_t> inflight_records_{0};

  // Timers (writer thread only).
  std::int64_t next_memory_check_ns_ = 0;
  std::int64_t retry_at_ns_ = 0;
  std::int64_t retry_backoff_ns_ = 0;
  std::int64_t last_write_ns_ = 0;
  std::int64_t next_retention_ns_ = 0;  // age retention (retention_timer.h)

  // Progress and stats, for flush() and stats() (writer updates under mu_).
  mutable std::mutex mu_;
  std::condition_variable progress_cv_;
  std::uint32_t flush_waiters_ = 0;
  Status error_;           // lasting error (cleared once a write succeeds)
  Status final_error_;     // records given up at stop
  std::uint64_t written_ = 0;
  std::uint64_t written_end_ = 0;  // log_.next_offset() after the last write
  std::uint64_t write_batches_ = 0;
  std::uint64_t write_errors_ = 0;
  std::uint64_t syncs_ = 0;
  std::uint64_t wakeups_ = 0;
  std::uint64_t dropped_write_failed_ = 0;
  std::uint64_t dropped_too_large_ = 0;  // queued, then refused by the log (check_record)
  std::string last_write_error_;
  Log2Histogram batch_records_;
  Log2Histogram write_latency_ns_;
  bool stopped_ = false;
  bool gave_up_at_stop_ = false;
};

template <typename DonePredicate>
Status LogWriter::wait_for_progress(DonePredicate done, std::int64_t deadline_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  ++flush_waiters_;
  Status result;
  while (!done()) {
    if (!error_.is_ok()) {
      result = error_;
      break;
    }
    if (stopped_) {
      result = final_error_.is_ok() ? Status::closed("buffer is shut down") : final_error_;
      break;
    }
    lock.unlock();
    wake();
    lock.lock();
    if (done()) break;
    const auto slice = std::chrono::milliseconds(10);  // re-wake: a wake may race a spin
    if (deadline_ns >= 0) {
      const std::int64_t left = deadline_ns - io::monotonic_ns();
      if (left <= 0) {
        result = Status::timed_out("flush timed out");
        break;
      }
      progress_cv_.wait_for(lock, std::min<std::chrono::nanoseconds>(slice, std::chrono::nanoseconds(left)));
    } else {
      progress_cv_.wait_for(lock, slice);
    }
  }
  --flush_waiters_;
  return result;
}

}  // namespace spool::engine
