#include "engine/producer_registry.h"

#include <algorithm>
#include <utility>

namespace spool::engine {

namespace {

std::atomic<std::uint64_t> next_registry_id{1};

// Every ring this thread produced into, kept alive until the thread exits so the writer can
// drain what it queued last; marked abandoned then.
struct ThreadRings {
  std::vector<std::pair<std::uint64_t, std::shared_ptr<ProducerRing>>> rings;
  ~ThreadRings() {
    for (auto& [id, ring] : rings) ring->abandoned.store(true, std::memory_order_release);
  }
};
thread_local ThreadRings tl_rings;

}  // namespace

thread_local ProducerRegistry::Cache ProducerRegistry::tl_cache_;

ProducerRegistry::ProducerRegistry(std::size_t ring_bytes)
    : id_(next_registry_id.fetch_add(1, std::memory_order_relaxed)), ring_bytes_(ring_bytes) {}

ProducerRegistry::~ProducerRegistry() {
  // Threads may still hold this registry's rings in tl_rings; they no longer match any
  // registry id (ids are never reused) and are released when those threads exit or
  // register elsewhere.
  if (tl_cache_.registry_id == id_) tl_cache_ = Cache{};
}

ProducerRing& ProducerRegistry::register_thread() {
  // A thread that appended here before but switched buffers since: find its ring again.
  for (auto& [id, ring] : tl_rings.rings) {
    if (id == id_) {
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
  // Forget rings of registries that no longer exist (their ids are never seen again): this
  // registry holds the only other reference to live ones.
  std::erase_if(tl_rings.rings, [](const auto& entry) { return entry.second.use_count() == 1; });
  tl_rings.rings.emplace_back(id_, ring);
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
