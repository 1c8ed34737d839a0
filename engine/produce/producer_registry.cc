#include "engine/produce/producer_registry.h"

#include <algorithm>
#include <utility>

#include "engine/produce/thread_exit_local.h"

namespace spool::engine {

namespace {

std::atomic<std::uint64_t> next_registry_id{1};

// The rings this thread produced into, one per registry (weak: a ring lives as long as its
// registry holds it, so closing a Buffer frees the rings of threads that outlive it). At
// thread exit, after the thread's last thread_local destructor (which may still append;
// engine/produce/thread_exit_local.h), its rings are marked abandoned and its cache cleared, so an
// append after that registers again instead of using a ring the writer may have freed.
struct ThreadRings {
  std::vector<std::pair<std::uint64_t, std::weak_ptr<ProducerRing>>> rings;
  ~ThreadRings() {
    ProducerRegistry::forget_thread_cache();
    for (auto& [id, weak] : rings) {
      if (auto ring = weak.lock()) ring->abandoned.store(true, std::memory_order_release);
    }
  }
};

ThreadRings& thread_rings() { return ThreadExitLocal<ThreadRings>::get(); }

}  // namespace

constinit thread_local ProducerRegistry::Cache ProducerRegistry::tl_cache_;

void ProducerRegistry::forget_thread_cache() noexcept { tl_cache_ = Cache{}; }

ProducerRegistry::ProducerRegistry(std::size_t ring_bytes)
    : id_(next_registry_id.fetch_add(1, std::memory_order_relaxed)), ring_bytes_(ring_bytes) {}

ProducerRegistry::~ProducerRegistry() {
  // The rings are freed with rings_. Other threads may still cache a pointer to theirs, but
  // only under this registry's id, which no registry ever has again: their next append to
  // any Buffer registers afresh.
  if (tl_cache_.registry_id == id_) tl_cache_ = Cache{};
}

ProducerRing& ProducerRegistry::register_thread() {
  ThreadRings& mine = thread_rings();
  // A thread that appended here before but switched buffers since: find its ring again.
  // (Registry ids are never reused, so an entry of a destroyed registry never matches.)
  for (auto& [id, weak] : mine.rings) {
    if (id != id_) continue;
    if (auto ring = weak.lock()) {
      tl_cache_ = Cache{id_, ring.get()};
      return *ring;
    }
  }
  auto ring = std::make_shared<ProducerRing>(ring_bytes_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    rings_.push_back(ring);
    ring_count_.store(rings_.size(), std::memory_order_relaxed);
    version_.fetch_add(1, std::memory_order_release);
  }
  // Forget rings of registries that no longer exist (their ids are never seen again).
  std::erase_if(mine.rings, [this](const auto& entry) { return entry.first == id_ || entry.second.expired(); });
  mine.rings.emplace_back(id_, ring);
  tl_cache_ = Cache{id_, ring.get()};
  return *ring;
}

bool ProducerRegistry::snapshot_if_changed(std::uint64_t* seen_version,
                                           std::vector<std::shared_ptr<ProducerRing>>* out) const {
  if (version_.load(std::memory_order_acquire) == *seen_version) return false;
  std::lock_guard<std::mutex> lock(mu_);
  *out = rings_;
  *seen_version = version_.load(std::memory_order_relaxed);
  return true;
}

std::vector<std::shared_ptr<ProducerRing>> ProducerRegistry::rings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rings_;
}

void ProducerRegistry::snapshot_all(std::vector<std::shared_ptr<ProducerRing>>* rings,
                                    RetiredCounters* retired) const {
  std::lock_guard<std::mutex> lock(mu_);
  *rings = rings_;
  *retired = retired_;
}

void ProducerRegistry::remove_drained_abandoned() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t before = rings_.size();
  std::erase_if(rings_, [this](const std::shared_ptr<ProducerRing>& ring) {
    const bool drained = ring->abandoned.load(std::memory_order_acquire) && ring->used_bytes() == 0 &&
                         ring->consumer.done.load(std::memory_order_acquire) ==
                             ring->producer.appended.load(std::memory_order_acquire);
    if (drained) {
      retired_.appended += ring->producer.appended.load(std::memory_order_relaxed);
      for (std::size_t i = 0; i < kDropReasonCount; ++i) {
        retired_.dropped[i] += ring->producer.dropped[i].load(std::memory_order_relaxed);
      }
    }
    return drained;
  });
  if (rings_.size() != before) {
    ring_count_.store(rings_.size(), std::memory_order_relaxed);
    version_.fetch_add(1, std::memory_order_release);
  }
}

}  // namespace spool::engine
