// ProducerRegistry: hands each producer thread its own ProducerRing, and the writer the set
// of all rings.
//
// A thread's first append to a Buffer allocates its ring and registers it under a mutex;
// every later append finds it through a thread_local cache without a lock. When the thread
// exits (after its last thread_local destructor, which may still append) its rings are
// marked abandoned and its cache cleared; the writer drains them and drops them. A registry
// owns its rings: destroying it frees them even while their threads live on, and the ids in
// those threads' caches are never given to another registry, so no thread reaches a freed
// ring (producer_registry.cc).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/produce/producer_ring.h"

namespace spool::engine {

class ProducerRegistry {
 public:
  explicit ProducerRegistry(std::size_t ring_bytes);
  ~ProducerRegistry();
  ProducerRegistry(const ProducerRegistry&) = delete;
  ProducerRegistry& operator=(const ProducerRegistry&) = delete;

  // The calling thread's ring, created on first use.
  ProducerRing& local_ring() {
    if (tl_cache_.registry_id == id_) return *tl_cache_.ring;
    return register_thread();
  }

  // Rings registered now (writer and stats readers). Cheap when nothing changed since
  // `*seen_version`: returns false and leaves `out` alone.
  bool snapshot_if_changed(std::uint64_t* seen_version, std::vector<std::shared_ptr<ProducerRing>>* out) const;
  // Drops abandoned rings that are empty and finished (writer thread).
  void remove_drained_abandoned();
  // Counters of rings dropped by remove_drained_abandoned(), so totals never go backwards.
  struct RetiredCounters {
    std::uint64_t appended = 0;
    std::array<std::uint64_t, kDropReasonCount> dropped{};
  };
  // Rings registered now (flush targets).
  std::vector<std::shared_ptr<ProducerRing>> rings() const;
  // All rings and the retired counters, taken together (stats).
  void snapshot_all(std::vector<std::shared_ptr<ProducerRing>>* rings, RetiredCounters* retired) const;
  std::size_t ring_count() const noexcept { return ring_count_.load(std::memory_order_relaxed); }

  // Clears the calling thread's cache (at its exit).
  static void forget_thread_cache() noexcept;

 private:
  struct Cache {
    std::uint64_t registry_id = 0;
    ProducerRing* ring = nullptr;
  };
  ProducerRing& register_thread();

  // constinit: no dynamic initialization, so an access from another file needs no TLS
  // init-function check on the append path.
  static constinit thread_local Cache tl_cache_;
  const std::uint64_t id_;  // unique per registry for the process's lifetime, never 0
  const std::size_t ring_bytes_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ProducerRing>> rings_;
  RetiredCounters retired_;
  std::atomic<std::uint64_t> version_{1};
  std::atomic<std::size_t> ring_count_{0};
};

}  // namespace spool::engine
