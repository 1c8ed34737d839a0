// LogWriter: the one thread that moves records from the producer rings (DIR/rings/*.ring,
// every producer of every process) into the segment log. It runs in whichever process holds
// the log's lock.
//
// Each cycle it drains the rings (RingSet: round robin, a producer's rings in generation
// order, up to writer_batch_bytes), copying each entry out of shared memory and validating
// the copy (lengths, kind, FlatBuffers verification) before it becomes a frame: a process
// with write access to a ring can get its own records dropped and counted as malformed,
// never a crash, a hang or a damaged log. Before the batch goes to the log it publishes an
// intent in CONTROL (which ring positions get which offsets); after the append it frees the
// rings' space (head) and clears the intent. A writer killed at any instant therefore leaves
// either entries still in their rings or records in the log with an intent that says so: the
// next writer (start()) resolves the intent against the recovered log and takes every entry
// exactly once.
//
// A record the log refuses (SegmentLog::check_record) is dropped and counted too_large, so it
// can never hold up the records behind it.
//
// Idle, it polls for writer_spin_us and then sleeps on CONTROL's futex word; a producer that
// finds it asleep wakes it. The first sleep is bounded (kMaxSleepNs): a producer in another
// process orders its push and its look at the word with a compiler fence only (the writer's
// membarrier reaches only its own process), so a push that overlapped the writer's going to
// sleep can miss it; the re-check 5 ms later finds that entry. Every later push sees the word
// set, since it has stayed set since then: while no one wakes it, the writer keeps the word
// set and sleeps longer each time (doubling, up to kMaxIdleSleepNs), without the spin or the
// membarrier. An idle writer so wakes about 10 times a second, not 200.
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
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/produce/queue_budget.h"
#include "engine/produce/ring_control.h"
#include "engine/produce/ring_set.h"
#include "io/clock.h"
#include "io/memory_info.h"
#include "io/opening_process.h"
#include "segment/segment_log.h"
#include "spool/buffer_options.h"
#include "spool/buffer_stats.h"
#include "spool/hooks.h"

namespace spool::engine {

class LogWriter {
 public:
  static constexpr std::int64_t kMaxSleepNs = 5'000'000;
  static constexpr std::int64_t kMaxIdleSleepNs = 100'000'000;

  // `memory` says where memory pressure is read (tests point it at a fake tree).
  LogWriter(segment::SegmentLog& log, RingSet& rings, RingControl& control, QueueBudget& budget,
            const Options& options, io::MemoryPaths memory = {});
  ~LogWriter();  // stop()
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Resolves what a dead writer left (its intent, entries it took but did not write), then
  // starts the thread.
  Status start();
  // Drains what is queued now (a bounded number of passes: attached producers may keep
  // appending, and what they append stays in their rings for the next writer), then joins
  // the thread. Returns the error that stopped records from being written, if any.
  // Idempotent.
  Status stop();

  void wake() noexcept { control_.wake_writer(); }

  // Once the log failed a sync (SegmentLog::failed()), the writer takes no more records:
  // it does not retry (a retried fdatasync can succeed without the data on disk), discards
  // what is queued as kWriteFailed, and every later append and flush gets failure().
  bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  const Status& failure() const noexcept { return failure_; }
  // The lasting error of the last write (a full disk), OK when the last write went through.
  Status last_error() const;

  std::uint64_t committed_offset() const noexcept { return committed_.load(std::memory_order_acquire); }
  // Test seam: a paused writer leaves the rings alone (so tests can fill them), but still
  // runs its timers and stops when asked.
  void set_paused(bool paused) noexcept {
    paused_.store(paused, std::memory_order_release);
    wake();
  }

  // Runs `work` on the writer thread after each ring reclaim pass (every 20 ms at most): the
  // writer's process unmaps its own finished rings and takes back idle ones there. Set
  // before start().
  void set_housekeeping(std::function<void()> work) { housekeeping_ = std::move(work); }
  // Told of every error the writer counts (write_errors), on the writer thread with the
  // stats mutex held: it must only hand the error on (HookNotifier::error). Set before start().
  void set_error_listener(std::function<void(ErrorSite, const Status&)> listener) {
    error_listener_ = std::move(listener);
  }

  // Runs `read` with the writer's accounting frozen: no batch moves from the rings' queues
  // into the log meanwhile (finish() moves them under the same mutex).
  template <typename Read>
  void with_accounting_frozen(Read read) const {
    std::lock_guard<std::mutex> lock(mu_);
    read();
  }
  // Writer-side figures for BufferStats; only inside with_accounting_frozen().
  void fill_stats_locked(BufferStats* stats) const;

 private:
  struct Batch;
  void run();
  void recover_rings();
  bool drain(Batch& batch);  // true when anything was taken
  // disk_full_policy for an entry that finds no room under the log's cap: true to keep it
  // in the batch, false when it was dropped (counted kDiskFull).
  bool keeps_past_cap(const DrainedEntry& e, SharedRing& ring, Batch& batch);
  void write(Batch& batch);
  void finish(Batch& batch);
  void timers(std::int64_t now_ns);
  void sync_log();
  std::int64_t next_timer_ns(std::int64_t now_ns, std::int64_t max_sleep_ns) const;
  void idle_wait();
  void note_log_failure_locked();
  // Counts `error` in write_errors / last_write_error and tells the listener; mu_ held.
  void count_error_locked(ErrorSite site, const Status& error);
  void discard(Batch& batch);

  segment::SegmentLog& log_;
  RingSet& rings_;
  RingControl& control_;
  QueueBudget& budget_;
  const Options options_;
  const io::MemoryPaths memory_paths_;
  const io::OpeningProcess opener_;
  std::thread thread_;
  std::unique_ptr<Batch> batch_;
  std::function<void()> housekeeping_;
  std::function<void(ErrorSite, const Status&)> error_listener_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::atomic<std::uint64_t> committed_{0};
  std::atomic<bool> failed_{false};
  Status failure_;  // written once, before failed_ is set

  // Timers (writer thread only).
  std::int64_t next_memory_check_ns_ = 0;
  std::int64_t retry_at_ns_ = 0;
  std::int64_t retry_backoff_ns_ = 0;
  std::int64_t last_write_ns_ = 0;
  std::int64_t next_retention_ns_ = 0;  // age retention (retention_timer.h)
  std::int64_t next_reclaim_ns_ = 0;
  std::uint64_t sync_seen_ = 0;
  int idle_sleeps_ = 0;  // sleeps in a row that ended with no one waking the writer
  std::uint64_t past_cap_seen_ = 0;  // kSample past the cap: low/normal records seen

  // Stats (writer updates under mu_).
  mutable std::mutex mu_;
  Status error_;  // lasting error (cleared once a write succeeds)
  std::uint64_t written_ = 0;
  std::uint64_t written_end_ = 0;
  std::uint64_t write_batches_ = 0;
  std::uint64_t write_errors_ = 0;
  std::uint64_t syncs_ = 0;
  std::uint64_t wakeups_ = 0;
  std::string last_write_error_;
  Log2Histogram batch_records_;
  Log2Histogram write_latency_ns_;
  bool stopped_ = false;
  Status final_error_;
  bool at_cap_ = false;       // the last drain (or append) found the log at its cap
  bool cap_refused_ = false;  // the log refused the batch at its cap (kBlock) and still does
};

}  // namespace spool::engine
