// DeliveryPlan: which records of a backlog a forwarder sends next, and how far its cursor
// may move once they are settled.
//
// Without it a forwarder sends strictly in offset order and its cursor is one number. With
// priorities (critical before high before normal before low), newest-first order or a
// selection, records are settled out of offset order, so the cursor becomes
//   low watermark  every offset below it is settled (the value the cursor file holds, the
//                  retention floor), and
//   settled ahead  runs of offsets above it already settled (delivered, dead-lettered, not
//                  selected, or without a record); persisted with the cursor so a restart
//                  sends again at most what was in flight.
// The forwarder classifies the backlog into the plan as it scans it (add_pending for the
// records it will send, settle_record and pass_to for everything else), asks take() for the next
// batch and settles the batch once the sink acknowledged it (or it was dead-lettered).
//
// Order of take(): the highest priority class with pending records first; within a class,
// oldest or newest first. Starvation is bounded: one batch in every `period` goes to the
// oldest pending record of any class, and so does every batch while the settled-ahead runs
// number more than kMaxSettledRuns (the oldest-first batch fills the holes below them and
// merges them into the watermark), which also bounds what the cursor file holds.
//
// Pure bookkeeping, no I/O and no locks: used by the forwarding thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <vector>

#include "spool/records.h"

namespace spool::engine {

// Offsets [first, end).
struct OffsetRun {
  std::uint64_t first = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const noexcept { return end - first; }
  friend bool operator==(const OffsetRun&, const OffsetRun&) = default;
};

struct DeliveryPlanOrder {
  bool by_priority = true;    // false: one class, whatever the records' priorities
  bool newest_first = false;  // within a class
  std::uint32_t period =
      10;  // every period-th batch is oldest-first across classes (>= 1; 1 = always)
};

class DeliveryPlan {
 public:
  // Settled-ahead runs beyond which every batch is oldest-first until they merge.
  static constexpr std::size_t kMaxSettledRuns = 1024;

  explicit DeliveryPlan(DeliveryPlanOrder order = {}) : order_(order) {}

  // Starts over: every offset below `low` is settled, and so are `settled_ahead` (runs above
  // `low`, in any order, may touch or overlap). Nothing is pending or scanned.
  void reset(std::uint64_t low, std::span<const OffsetRun> settled_ahead = {});

  // Every offset below is settled.
  std::uint64_t low() const noexcept { return low_; }
  // Offsets [low(), scanned_end()) are classified: pending, in flight or settled.
  std::uint64_t scanned_end() const noexcept { return scanned_end_; }
  // Offsets settled above low() (what the cursor's backlog no longer holds).
  std::uint64_t settled_ahead_count() const noexcept { return settled_ahead_count_; }
  std::size_t settled_run_count() const noexcept { return settled_.size(); }
  std::uint64_t pending_count() const noexcept { return pending_count_; }
  // The settled-ahead runs in offset order (for the cursor file).
  std::vector<OffsetRun> settled_ahead() const;

  // The scan, in increasing offset order from scanned_end(). pass_to(o): offsets
  // [scanned_end(), o) hold no record (lost before they were durable, or damaged): settled.
  // Returns how many of them were not settled already (from the cursor file).
  std::uint64_t pass_to(std::uint64_t offset);
  // True when `offset` was settled already (from the cursor file): pass_to(offset + 1).
  bool settled(std::uint64_t offset) const;
  // The record at `offset` == scanned_end(): to be sent, or (settle_record) not selected.
  void add_pending(std::uint64_t offset, Priority priority);
  void settle_record(std::uint64_t offset);

  // The next batch: up to max_records pending offsets of one class, in increasing order.
  // They are in flight until settle() or give_back().
  std::vector<std::uint64_t> take(std::size_t max_records);
  // The same from the class of `priority` only (in its order), whatever its turn: the
  // critical records when only the bandwidth budget's critical reserve is left.
  std::vector<std::uint64_t> take(Priority priority, std::size_t max_records);
  // Pending records of the class of `priority` (every pending record without by_priority).
  std::uint64_t pending_count(Priority priority) const noexcept;
  // Offsets of the last take() that were not sent after all (a byte limit cut the batch):
  // pending again, in their class.
  void give_back(std::span<const std::uint64_t> offsets);
  // In-flight offsets now delivered or dead-lettered. Moves low() over what is settled.
  void settle(std::span<const std::uint64_t> offsets);

  // Retention deleted every offset below `first`: forgets them. Returns how many of them
  // were not settled (pending, in flight or never scanned): the records dropped unforwarded.
  std::uint64_t drop_below(std::uint64_t first);

 private:
  using Runs = std::deque<OffsetRun>;
  // Settles [first, end); returns how many of those offsets were not settled before.
  std::uint64_t add_settled(std::uint64_t first, std::uint64_t end);
  void advance_low();
  // The class the next batch comes from; *oldest: take from its front.
  std::size_t next_class(bool* oldest);
  std::size_t class_of(Priority priority) const noexcept;
  std::vector<std::uint64_t> take_from(std::size_t cls, bool oldest, std::size_t max_records);
  static void insert_offset(Runs* runs, std::uint64_t offset);

  DeliveryPlanOrder order_;
  std::uint64_t low_ = 0;
  std::uint64_t scanned_end_ = 0;
  std::map<std::uint64_t, std::uint64_t>
      settled_;  // first -> end, disjoint, not touching, above low_
  std::uint64_t settled_ahead_count_ = 0;
  std::array<Runs, 4> pending_;  // by class (Priority value; class 0 only without priorities)
  std::uint64_t pending_count_ = 0;
  std::uint32_t batches_ = 0;   // since the last oldest-first batch
  std::size_t last_class_ = 0;  // of the last take()
};

}  // namespace spool::engine
