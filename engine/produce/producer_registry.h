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

// One ring this process made, with the producer-local state that is not shared.
struct LocalRing {
  SharedRing ring;
  std::uint64_t sample_sequence = 0;  // kSample: the owning thread only
  std::atomic<bool> abandoned{false};  // its thread exited (the ring is sealed)
  bool successor_made = false;         // sealed because a larger ring took over
};

class ProducerRegistry {
 public:
  static constexpr std::uint64_t kFirstRingBytes = 64 * 1024;

  ProducerRegistry(RingDirectory directory, RingControl& control, RingRole role, std::uint64_t max_ring_bytes);
  ~ProducerRegistry();
  ProducerRegistry(const ProducerRegistry&) = delete;
  ProducerRegistry& operator=(const ProducerRegistry&) = delete;

  // The calling thread's current ring, made on first use; nullptr when it cannot be made
  // (the error in *error: a full disk, no descriptors).
  LocalRing* local_ring(Status* error) {
    if (tl_cache_.registry_id == id_) [[likely]] return tl_cache_.ring;
    return register_thread(error);
  }

  // The thread's ring is full: seals it and makes a successor of twice its capacity (at
  // least room for `payload_bytes`), when that is at most max_ring_bytes and the budget has
  // room. Returns the successor (now the thread's ring) or nullptr.
  LocalRing* grow(LocalRing& full, std::size_t payload_bytes);

  // The largest payload any ring of this registry may take.
  std::uint64_t max_payload_bytes() const noexcept;

  // Every ring still mapped (flush targets, stats); each stays mapped while its pointer lives.
  std::vector<std::shared_ptr<LocalRing>> snapshot() const;
  // Counters of rings unmapped by prune(), so totals never go backwards.
  RingCounters retired() const;
  std::size_t ring_count() const noexcept { return ring_count_.load(std::memory_order_relaxed); }

  // Unmaps sealed rings the writer has finished with (drained), folding their counters into
  // retired(): what returns a finished thread's ring memory to the system.
  void prune();
  // Seals every ring (no more pushes): at shutdown.
  void seal_all();

  static void forget_thread_cache() noexcept;

 private:
  struct Cache {
    std::uint64_t registry_id = 0;
    LocalRing* ring = nullptr;
  };
  LocalRing* register_thread(Status* error);
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
