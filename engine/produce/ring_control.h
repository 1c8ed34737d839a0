// RingControl: DIR/rings/CONTROL, the one small file every producer process and the writer map
// MAP_SHARED beside the rings: the futex words that wake the writer and the waiting producers,
// the ring directory's version, the ring-memory budget, the counters of reclaimed rings, the
// recently dead producers, and the writer's intent (the batch it is writing to the log; see
// shared_ring.h IntentRun and resolve_intent: exactly once from ring to log across a kill -9 of
// the writer).
//
// File layout (CONTROL, kControlBytes = 53248 bytes, mode = the log's file_mode; integers in
// the machine's byte order; offsets in bytes):
//   identity line (written once, under an flock of the file, magic last):
//     0     char[8]  magic "SPOOLCTL"
//     8     u32      version (kVersion)
//     12    u32      control_bytes (kControlBytes)
//     16    u64      log id
//     24    u8[16]   boot id (a CONTROL of another boot is initialized afresh)
//     40    i64      created, wall-clock ns
//     48    ..63     zero
//   wake line (64):
//     64    u32      writer_sleeping: futex word, 1 while the writer sleeps (shared futex)
//     68    u32      progress: futex word, bumped by the writer after each batch
//     72    u32      log_failed: 1 once the log failed a sync (producers refuse appends)
//     76    u32      zero
//     80    u64      sync_requested: tickets of sync() calls (any process)
//     88    u64      sync_completed: the last ticket the writer synced for
//     96    u64      committed_offset: the writer's committed offset (attached producers)
//     104   ..127    zero
//   rings line (128):
//     128   u64      rings_version: bumped by a producer after creating a ring
//     136   u64      ring_bytes_total: capacities of live rings (the budget's accounting)
//     144   u64      budget_bytes: the writer's current queue budget (0: not set)
//     152   ..191    zero
//   retired line (192), counters of reclaimed rings (writer only):
//     192   u64      appended
//     200   u64[8]   dropped, by spool::DropReason
//     264   u64      malformed
//     272   u64      written
//     280   u64      producer_died (partial entries lost to a producer's death)
//     288   u64      producers_died (producers, i.e. threads, that died before sealing a ring)
//     296   u64      tombstones_added (the next tombstone goes to slot tombstones_added % 256)
//     304   ..319    zero
//   intent line (320):
//     320   u64      sequence: 0 = no intent; stored last when one is published, first cleared
//     328   u64      run_count (<= kMaxIntentRuns)
//     336   u64      first_offset of the batch
//     344   u64      end_offset of the batch (first_offset + records)
//     352   u64      batches (sequence of the last intent published)
//     360   ..4095   zero
//   4096   IntentRun[512], 40 bytes each: ring_id, pos_start, pos_end, first_offset, count (u64s)
//   24576  Tombstone[256], 104 bytes each (see ControlTombstone), ends at 51200
//   51200  the reclaim in progress (begin_retire), 256 bytes: u64 ring_id (0: none), capacity,
//          released, the retired line's counters as they are after it, u64 has_tombstone,
//          u64 tombstone_index, Tombstone (104 bytes); zero to 53248
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/produce/shared_ring.h"
#include "io/file.h"
#include "io/mmap_region.h"
#include "spool/status.h"

namespace spool::engine {

struct ControlIdentity {
  std::uint64_t log_id = 0;
  BootId boot_id{};
  mode_t file_mode = io::kPrivateFileMode;
};

// The retired counters, as read.
struct RetiredCounters {
  std::uint64_t appended = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};
  std::uint64_t malformed = 0;
  std::uint64_t written = 0;
  std::uint64_t producer_died = 0;
  std::uint64_t producers_died = 0;
};

// A producer whose ring was reclaimed after its death (or its seal), for `spoolctl stats`.
struct ControlTombstone {
  std::uint64_t ring_id = 0;
  std::uint64_t producer_id = 0;
  std::int32_t pid = 0;
  std::uint32_t died = 0;  // 1: the process died (not a clean seal); 2: it died mid-entry
  std::uint64_t appended = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};
  std::int64_t retired_unix_ns = 0;
};

// A dead writer's batch as read back.
struct Intent {
  std::uint64_t sequence = 0;
  std::uint64_t first_offset = 0;
  std::uint64_t end_offset = 0;
  std::vector<IntentRun> runs;
};

class RingControl {
 public:
  static constexpr const char* kFileName = "CONTROL";
  static constexpr std::size_t kMaxIntentRuns = 512;
  static constexpr std::size_t kTombstones = 256;
  static constexpr std::size_t kControlBytes = 53248;
  static constexpr std::uint64_t kMinRingBytes = 64 * 1024;  // always granted by the budget

  RingControl() = default;
  RingControl(RingControl&&) noexcept = default;
  RingControl& operator=(RingControl&&) noexcept = default;

  // Opens DIR/rings/CONTROL, making it when absent (or initializing it afresh when it was
  // made in another boot, or left half-made by a process that died making it). Refuses a file
  // of another user or mode (PermissionDenied), of another log (InvalidArgument), or a wrong
  // size or magic (Corruption), each naming the path.
  static Result<RingControl> open(const std::string& rings_dir, const ControlIdentity& identity);

  // An existing CONTROL (NotFound when there is none): for readers such as `spoolctl stats`.
  static Result<RingControl> open_existing(const std::string& rings_dir, std::uint64_t log_id,
                                           mode_t file_mode = io::kPrivateFileMode);

  const std::string& path() const noexcept { return path_; }

  // ---- The log's state, for attached producers. ----
  bool log_failed() const noexcept;
  void set_log_failed() noexcept;
  // sync() from any process: a ticket, synced once sync_completed() reaches it.
  std::uint64_t request_sync() noexcept;
  std::uint64_t sync_requested() const noexcept;
  void set_sync_completed(std::uint64_t ticket) noexcept;
  std::uint64_t sync_completed() const noexcept;
  void set_committed_offset(std::uint64_t offset) noexcept;
  std::uint64_t committed_offset() const noexcept;

  // ---- Waking. ----
  // The writer: announces its sleep (1) or its waking (0); then futex-waits while it is 1.
  void set_writer_sleeping(bool sleeping) noexcept;
  void writer_wait(std::int64_t timeout_ns) noexcept;
  // 1 until a producer (or flush, sync, stop) wakes the writer.
  bool writer_sleeping() const noexcept;
  // A producer: wakes the writer when it sleeps (one load when it does not).
  void wake_writer_if_sleeping() noexcept;
  // Wakes the writer whether or not it announced its sleep (flush, sync, stop: rare).
  void wake_writer() noexcept;
  // The writer, after each batch: wakes every kBlock producer and flush() waiting for room.
  void bump_progress() noexcept;
  std::uint32_t progress() const noexcept;
  // Waits until progress differs from `seen`, at most timeout_ns.
  void wait_progress(std::uint32_t seen, std::int64_t timeout_ns) noexcept;

  // ---- Discovery. ----
  std::uint64_t rings_version() const noexcept;
  // A producer made a ring: the writer re-lists DIR/rings (and is woken if asleep).
  void announce_ring() noexcept;

  // ---- Budget: ring memory of every producer counts against budget_bytes. ----
  // Takes `bytes` from the budget; refused when it would pass budget_bytes, except that a ring
  // of at most kMinRingBytes is always granted (a producer can always make progress).
  bool try_reserve_ring_bytes(std::uint64_t bytes) noexcept;
  void release_ring_bytes(std::uint64_t bytes) noexcept;
  std::uint64_t ring_bytes_total() const noexcept;
  void set_budget_bytes(std::uint64_t bytes) noexcept;
  std::uint64_t budget_bytes() const noexcept;

  // ---- Intent (writer only). ----
  // Before the batch goes to the log: the runs in batch order and the batch's offsets.
  // InvalidArgument when there are more than kMaxIntentRuns runs (end the batch earlier).
  Status publish_intent(std::span<const IntentRun> runs, std::uint64_t first_offset, std::uint64_t end_offset);
  // After every ring's head is stored.
  void clear_intent() noexcept;
  // The intent left by a dead writer, or nullopt; Corruption when its fields are impossible.
  Result<std::optional<Intent>> read_intent() const;

  // ---- Reclaim (writer only). ----
  // A drained ring is reclaimed in three steps that a kill -9 of the writer cannot make count
  // twice (RingDirectory::reclaim):
  //   begin_retire: the retired counters as they are with this ring folded in (absolute
  //     values, and a tombstone when its producer died) are recorded with the ring's id, then
  //     stored;
  //   the caller unlinks the ring file;
  //   end_retire: the ring's bytes go back to the budget, the record is cleared.
  // A writer killed in between leaves the record (interrupted_retire() != 0): the next one
  // calls apply_retiring() (stores the same values again), unlinks the ring if it is still
  // there, and end_retire(). Only a kill between the budget's release and the store that
  // marks it done (two instructions) can return a ring's bytes twice.
  void begin_retire(const SharedRing& ring, bool producer_dead);
  void apply_retiring() noexcept;
  void end_retire() noexcept;
  std::uint64_t interrupted_retire() const noexcept;
  RetiredCounters retired() const noexcept;
  // The tombstones kept (at most kTombstones, oldest first).
  std::vector<ControlTombstone> tombstones() const;

 private:
  struct Layout;
  Layout* layout() const noexcept;

  std::string path_;
  io::File file_;
  io::MmapRegion mapping_;
};

}  // namespace spool::engine
