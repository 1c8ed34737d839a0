// BufferCore: everything behind spool::Buffer once a record is bytes — admission into the
// calling thread's ring (budget, full-queue policy, drop counting), flush, shutdown, stats.
//
// Producer path (append): one thread_local lookup, two relaxed loads (budget, ring count),
// the ring push, one counter store, one seq_cst fence, one relaxed load of the writer's
// sleeping flag. No lock, no allocation, no syscall, unless the writer sleeps (then one
// futex wake) or the queue is full and the policy is kBlock or kDropOldest; plus one relaxed
// load and compare of the fork generation (io/opening_process.h).
//
// fork(): in a child of the process that opened it, append (and the reject paths) fail
// with ForkChild before touching a ring; flush, sync and shutdown fail with ForkChild
// without waiting or writing; stats() is empty (the rings and the writer's figures are the
// parent's). The destructor then frees memory only: SegmentLog and LogWriter leave the
// parent's log, lock and thread alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "engine/produce/log_writer.h"
#include "engine/produce/producer_registry.h"
#include "engine/produce/queue_budget.h"
#include "io/opening_process.h"
#include "segment/segment_log.h"
#include "spool/buffer_options.h"
#include "spool/buffer_stats.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

class BufferCore {
 public:
  // `memory`: where the writer reads memory pressure (tests point it at a fake tree).
  static Result<std::unique_ptr<BufferCore>> open(const std::string& dir, const Options& options,
                                                  io::MemoryPaths memory = {});
  ~BufferCore();
  BufferCore(const BufferCore&) = delete;
  BufferCore& operator=(const BufferCore&) = delete;

  // Queues `bytes` (a serialized record of `kind`) in the calling thread's ring.
  Status append(RecordKind kind, Priority priority, std::span<const std::uint8_t> bytes);
  // Counts a record the caller could not even serialize (too large to encode).
  Status reject_too_large();
  // Counts a record whose bytes failed verification; returns `why`.
  Status reject_malformed(Status why);
  // Everything refused in a fork child returns this (ForkChild, naming both pids).
  Status refuse_in_fork_child() const;

  Status flush(std::uint32_t timeout_ms);
  Status sync();
  Status shutdown();
  BufferStats stats() const;
  std::uint64_t committed_offset() const noexcept { return writer_->committed_offset(); }
  const std::string& dir() const noexcept { return log_->dir(); }
  // For a Forwarder in this process: it reads the log up to committed_offset().
  segment::SegmentLog& log() noexcept { return *log_; }
  const Options& options() const noexcept { return options_; }
  // Test seam: see LogWriter::set_paused.
  void set_writer_paused(bool paused) noexcept { writer_->set_paused(paused); }

 private:
  BufferCore(const Options& options, std::unique_ptr<segment::SegmentLog> log, io::MemoryPaths memory);
  static Status validate(const Options& options);
  // Room this thread's ring may use now: its share of the budget, at most its capacity.
  std::size_t ring_limit(const ProducerRing& ring) const noexcept;
  Status admit_full(ProducerRing& ring, const EntryHeader& header, std::span<const std::uint8_t> bytes,
                    std::size_t need);
  Status drop(ProducerRing& ring, DropReason reason) noexcept;
  // Pushes (if the ring then holds at most `limit` bytes) and wakes the writer if needed;
  // false when there is no room.
  bool push(ProducerRing& ring, const EntryHeader& header, std::span<const std::uint8_t> bytes,
            std::size_t limit) noexcept;

  const Options options_;
  const io::OpeningProcess opener_;
  std::unique_ptr<segment::SegmentLog> log_;
  ProducerRegistry registry_;
  QueueBudget budget_;
  std::unique_ptr<LogWriter> writer_;
  std::size_t max_payload_;
  std::atomic<bool> closing_{false};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
  Status shutdown_status_;
};

}  // namespace spool::engine
