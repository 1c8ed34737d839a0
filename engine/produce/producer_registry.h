// ProducerRegistry: this process's producer threads' rings for one log (one Buffer).
//
// Every ring is a SharedRing, a file in DIR/rings/ (shared_ring.h), whether this process is
// the writer or attached to another: the writer drains the files, not this registry, so
// records queued here survive the death of this process or of the writer.
//
// A thread's first append to a Buffer makes its ring (small: kFirstRingBytes) and registers
// it under a mutex; every later append finds it through a thread_local cache without a lock.
// When the ring is full the thread may grow: it seals the ring and makes a successor twice as
// large (up to Options::producer_ring_bytes, within the budget shared by every process in
// RingControl); the writer drains a producer's rings in generation order. When the thread
// exits (after its last thread_local destructor, which may still append) its ring is sealed;
// the writer drains and unlinks it, and this registry unmaps it at its next prune(), which is
// when the memory goes back to the system. A registry owns its mappings: destroying it seals
// and unmaps them even while their threads live on, and the ids in those threads' caches are
// never given to another registry, so no thread reaches an unmapped ring.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/produce/ring_control.h"
#include "engine/produce/ring_directory.h"
#include "engine/produce/shared_ring.h"
#include "spool/buffer_stats.h"
#include "spool/status.h"

namespace spool::engine {

// Where a ring is in its release (ProducerRegistry::release_idle).
enum class RingRelease : std::uint32_t {
  kLive = 0,       // the owning thread appends into it
  kRequested = 1,  // housekeeping wants it back: the owner's next append moves to a new ring
  kReleased = 2,   // sealed and its memory returned by housekeeping; the owner never touches it
};

// One ring this process made, with the producer-local state that is not shared.
struct LocalRing {
  SharedRing ring;
  std::uint64_t sample_sequence = 0;  // kSample: the owning thread only
  std::atomic<bool> abandoned{false};  // its thread exited (the ring is sealed)
  bool successor_made = false;         // sealed because another ring took over (owner only)

  // The handshake that lets housekeeping take an idle ring back without a lock or an atomic
  // read-modify-write on the append path (a Dekker pair made cheap by io/process_barrier.h):
  // the owner stores busy = 1, passes a light barrier, then loads `release`; housekeeping
  // stores `release`, passes a heavy barrier, then loads `busy`. At least one of them sees the
  // other, so housekeeping never releases a ring an append is using.
  alignas(64) std::atomic<std::uint32_t> busy{0};
  std::atomic<std::uint32_t> release{0};  // a RingRelease
  // Housekeeping only (under the registry's mutex): when the ring last moved.
  std::uint64_t seen_tail = 0;
  std::int64_t quiet_since_ns = 0;
};

// The owning thread's use of its ring for one append (or its thread-exit seal): busy while it
// lives. use() says whether the ring is still the thread's (else the caller moves to a new one).
class RingInUse {
 public:
  RingInUse() = default;
  explicit RingInUse(LocalRing* ring) noexcept { enter(ring); }
  ~RingInUse() { leave(); }
  RingInUse(const RingInUse&) = delete;
  RingInUse& operator=(const RingInUse&) = delete;

  // Marks `ring` busy (and the previous one not); false when housekeeping asked for it back.
  bool enter(LocalRing* ring) noexcept;
  void leave() noexcept {
    if (ring_ != nullptr) ring_->busy.store(0, std::memory_order_release);
    ring_ = nullptr;
  }
  LocalRing* get() const noexcept { return ring_; }

 private:
  LocalRing* ring_ = nullptr;
};

class ProducerRegistry {
 public:
  static constexpr std::uint64_t kFirstRingBytes = 64 * 1024;

  ProducerRegistry(RingDirectory directory, RingControl& control, RingRole role, std::uint64_t max_ring_bytes);
  ~ProducerRegistry();
  ProducerRegistry(const ProducerRegistry&) = delete;
  ProducerRegistry& operator=(const ProducerRegistry&) = delete;

  // The calling thread's current ring, made on first use, marked in use by `use` for as long
  // as `use` lives; nullptr when no ring can be made (the error in *error: a full disk, no
  // descriptors). A ring housekeeping asked back is replaced here by a new one.
  LocalRing* local_ring(RingInUse& use, Status* error) {
    if (tl_cache_.registry_id == id_) [[likely]] return use_ring(use, tl_cache_.ring, error);
    LocalRing* ring = register_thread(error);
    return ring == nullptr ? nullptr : use_ring(use, ring, error);
  }
  // Marks `ring`, the calling thread's, in use by `use`; when housekeeping asked for it back,
  // moves the thread to a new ring instead (nullptr and *error when none can be made).
  LocalRing* use_ring(RingInUse& use, LocalRing* ring, Status* error) {
    if (use.enter(ring)) [[likely]] return ring;
    return replace_released(use, error);
  }

  // The thread's ring is full: seals it and makes a successor of twice its capacity (at
  // least room for `payload_bytes`), when that is at most max_ring_bytes and the budget has
  // room. Returns the successor (now the thread's ring) or nullptr.
  LocalRing* grow(LocalRing& full, std::size_t payload_bytes);

  // The largest payload any ring of this registry may take.
  std::uint64_t max_payload_bytes() const noexcept;

  // Every ring still mapped (flush targets, stats); each stays mapped while its pointer lives.
  std::vector<std::shared_ptr<LocalRing>> snapshot() const;
  // The same, and in one cut with it (one lock) the counters of rings unmapped by prune():
  // a ring is in exactly one of the two, never both (stats would count it twice) or neither.
  std::vector<std::shared_ptr<LocalRing>> snapshot(RingCounters* retired) const;
  std::size_t ring_count() const noexcept { return ring_count_.load(std::memory_order_relaxed); }

  // Unmaps sealed rings the writer has finished with (drained), folding their counters into
  // the retired counters (snapshot(RingCounters*)): what returns a finished thread's ring
  // memory to the system.
  void prune();
  // Takes back the memory of rings whose thread stopped appending: a ring that has not moved
  // for `idle_ns` and is empty (all written) is sealed and its pages returned; the thread's
  // next append, if any, starts a new small ring. While the rings of all processes hold more
  // than the budget (`over_budget`), every ring above the first size is asked back too: empty
  // ones at once, the others at their owner's next append (they shrink to a new small ring).
  // Returns the bytes of ring memory returned. Any thread but the producers' (housekeeping).
  std::uint64_t release_idle(std::int64_t now_ns, std::int64_t idle_ns, bool over_budget);
  // Seals every ring (no more pushes): at shutdown.
  void seal_all();

  static void forget_thread_cache() noexcept;

 private:
  struct Cache {
    std::uint64_t registry_id = 0;
    LocalRing* ring = nullptr;
  };
  LocalRing* register_thread(Status* error);
  // The thread's ring was asked back: seals it (if housekeeping has not) and moves the thread
  // to a new ring of the first size, next in the producer's generation order; `use` then holds
  // the new ring. nullptr when none can be made.
  LocalRing* replace_released(RingInUse& use, Status* error);
  // Publishes a ring made for the calling thread: in rings_, the thread's list and its cache.
  void adopt(const std::shared_ptr<LocalRing>& ring);
  Result<std::unique_ptr<LocalRing>> make_ring(std::uint64_t capacity, std::uint64_t producer_id,
                                               std::uint32_t generation);

  static constinit thread_local Cache tl_cache_;
  const std::uint64_t id_;  // unique per registry for the process's lifetime, never 0
  RingDirectory directory_;
  RingControl& control_;
  const RingRole role_;
  const std::uint64_t max_ring_bytes_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<LocalRing>> rings_;
  RingCounters retired_;
  std::atomic<std::size_t> ring_count_{0};
  bool closed_ = false;  // after seal_all(): threads may still cache their rings, keep them
};

// The capacity (a power of two) a ring needs for one payload of `payload_bytes`.
std::uint64_t ring_capacity_for(std::uint64_t payload_bytes) noexcept;

}  // namespace spool::engine
