// BufferCore: everything behind spool::Buffer once a record is bytes: admission into the
// calling thread's shared ring (full-queue policy, drop counting), the writer role (held,
// attached, taken over), flush, shutdown, stats.
//
// Roles. The writer is whoever holds DIR/LOCK. A process that gets the lock runs the writer
// thread (LogWriter) over every ring in DIR/rings/; one that does not attaches: its threads
// append into their rings exactly as the writer's own threads do, and the writer (in another
// process) drains them. An attached process keeps a standby thread for its housekeeping; with
// Role::kAuto it also tries the lock every kStandbyPollMs: when the writer dies (the kernel drops its flock) or
// shuts down, one attached process becomes the writer, recovers the log's tail and drains
// every ring, the dead writer's included. Producers never wait for the lock: while no writer
// runs, their rings fill and then the full-queue policy applies.
//
// Producer path (append): one thread_local lookup, a relaxed load of the closing flag and of
// CONTROL's failed flag, the ring push (a memcpy and a release store), one compiler barrier
// and one relaxed load of the writer's sleeping flag. No lock, no allocation, no syscall,
// unless the writer sleeps (then one futex wake), the thread's first append (its ring is
// made), or the ring is full (it grows, or the policy applies).
//
// fork(): in a child of the process that opened it, append (and the reject paths) fail
// with ForkChild before touching a ring; flush, sync and shutdown fail with ForkChild
// without waiting or writing; stats() is empty. The destructor then frees memory only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "engine/produce/hook_notifier.h"
#include "engine/produce/log_writer.h"
#include "engine/produce/producer_registry.h"
#include "engine/produce/queue_budget.h"
#include "engine/produce/ring_control.h"
#include "engine/produce/ring_directory.h"
#include "engine/produce/ring_set.h"
#include "io/opening_process.h"
#include "segment/segment_log.h"
#include "spool/buffer_options.h"
#include "spool/buffer_stats.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

class BufferCore {
 public:
  static constexpr int kStandbyPollMs = 2;

  // `memory`: where the writer reads memory pressure (tests point it at a fake tree).
  static Result<std::unique_ptr<BufferCore>> open(const std::string& dir, const Options& options,
                                                  io::MemoryPaths memory = {});
  ~BufferCore();
  BufferCore(const BufferCore&) = delete;
  BufferCore& operator=(const BufferCore&) = delete;

  // Queues `bytes` (a serialized record of `kind`) in the calling thread's ring.
  Status append(RecordKind kind, Priority priority, std::span<const std::uint8_t> bytes);
  Status reject_too_large();
  Status reject_malformed(Status why);
  Status refuse_in_fork_child() const;

  Status flush(std::uint32_t timeout_ms);
  Status sync();
  Status shutdown();
  BufferStats stats() const;
  Role role() const noexcept { return writer_side_.load(std::memory_order_acquire) != nullptr ? Role::kWriter : Role::kAttach; }
  std::uint64_t committed_offset() const noexcept;
  const std::string& dir() const noexcept { return dir_; }
  // The log as its writer holds it, for a Forwarder in this process; nullptr while attached.
  segment::SegmentLog* writer_log() noexcept;
  const Options& options() const noexcept { return options_; }
  // Test seam: see LogWriter::set_paused (writer role only).
  void set_writer_paused(bool paused) noexcept;

 private:
  // What this process has while it is the writer.
  struct WriterSide {
    std::unique_ptr<segment::SegmentLog> log;
    std::unique_ptr<RingSet> rings;
    std::unique_ptr<LogWriter> writer;
  };

  BufferCore(std::string dir, const Options& options, io::MemoryPaths memory, RingControl control);
  static Status validate(const Options& options);
  // Opens the log as its writer and starts the writer thread; Locked when another holds it.
  Status become_writer();
  // Starts the writer thread on `log` (opened for writing); writer_mu_ held.
  Status start_writer(std::unique_ptr<segment::SegmentLog> log, RingDirectory rings_dir);
  // shutdown() past its once-only guard: the writer drained and stopped, or this process's
  // rings handed to the writer.
  Status drain_and_stop();
  // The thread of a process that does not write: keeps house (housekeep) and, for kAuto,
  // tries the lock every kStandbyPollMs.
  void standby_loop();
  // Unmaps this process's finished rings and takes back idle ones (release_idle): from the
  // writer thread in the writer's process, from the standby thread elsewhere.
  void housekeep(std::int64_t now_ns);
  Status admit_full(RingInUse& use, RecordKind kind, std::uint16_t flags, std::int64_t at,
                    std::span<const std::uint8_t> bytes);
  // Retries the push as the writer makes progress, at most block_timeout_ms (then drops as
  // `on_timeout`); `before_push` runs before each try (kDropOldest evicts there).
  template <typename BeforePush>
  Status wait_for_room(LocalRing& ring, RecordKind kind, std::uint16_t flags, std::int64_t at,
                       std::span<const std::uint8_t> bytes, DropReason on_timeout, BeforePush before_push);
  Status drop(LocalRing& ring, DropReason reason) noexcept;
  bool push(LocalRing& ring, RecordKind kind, std::uint16_t flags, std::int64_t at,
            std::span<const std::uint8_t> bytes) noexcept;
  // Waits until every ring of this process has written what it held at the call.
  Status wait_written(std::int64_t deadline_ns);
  Status writer_error() const;

  const std::string dir_;
  const Options options_;
  const io::MemoryPaths memory_;
  const io::OpeningProcess opener_;
  RingControl control_;
  QueueBudget budget_;
  std::unique_ptr<ProducerRegistry> registry_;
  std::uint64_t max_payload_ = 0;

  std::mutex writer_mu_;  // becoming the writer, shutting down
  std::unique_ptr<WriterSide> writer_owned_;
  std::atomic<WriterSide*> writer_side_{nullptr};
  std::thread standby_;
  std::mutex standby_mu_;
  std::condition_variable standby_cv_;
  bool standby_stop_ = false;
  std::int64_t next_release_ns_ = 0;  // housekeep(): one thread at a time

  std::atomic<bool> closing_{false};
  std::atomic<std::uint64_t> refused_without_ring_{0};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
  Status shutdown_status_;
  // Calls options_.hooks (nullptr without hooks); stopped at the end of shutdown().
  std::unique_ptr<HookNotifier> hooks_;
};

}  // namespace spool::engine
