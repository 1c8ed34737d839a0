#include "engine/produce/producer_registry.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "engine/produce/thread_exit_local.h"

namespace spool::engine {

namespace {

std::atomic<std::uint64_t> next_registry_id{1};

// The ring this thread produces into, one per registry (weak: a ring lives as long as its
// registry holds it, so closing a Buffer unmaps the rings of threads that outlive it). At
// thread exit, after the thread's last thread_local destructor (which may still append;
// thread_exit_local.h), its rings are sealed and its cache cleared, so an append after that
// registers again instead of using a ring the writer may have reclaimed.
struct ThreadRings {
  std::vector<std::pair<std::uint64_t, std::weak_ptr<LocalRing>>> rings;
  ~ThreadRings() {
    ProducerRegistry::forget_thread_cache();
    for (auto& [id, weak] : rings) {
      if (auto ring = weak.lock()) {
        ring->ring.seal();
        ring->abandoned.store(true, std::memory_order_release);
      }
    }
  }
  void set(std::uint64_t registry_id, const std::shared_ptr<LocalRing>& ring) {
    std::erase_if(rings, [&](const auto& e) { return e.first == registry_id || e.second.expired(); });
    rings.emplace_back(registry_id, ring);
  }
};

ThreadRings& thread_rings() { return ThreadExitLocal<ThreadRings>::get(); }

void add_counters(RingCounters* into, const RingCounters& c) {
  into->appended += c.appended;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) into->dropped[i] += c.dropped[i];
  into->malformed += c.malformed;
  into->written += c.written;
}

}  // namespace

std::uint64_t ring_capacity_for(std::uint64_t payload_bytes) noexcept {
  // max_payload_bytes() of a ring is capacity / 2 - 16 (shared_ring.h).
  const std::uint64_t need = 2 * (payload_bytes + kRingEntryHeaderBytes);
  return std::bit_ceil(std::max<std::uint64_t>(need, kMinRingCapacity));
}

constinit thread_local ProducerRegistry::Cache ProducerRegistry::tl_cache_;

void ProducerRegistry::forget_thread_cache() noexcept { tl_cache_ = Cache{}; }

ProducerRegistry::ProducerRegistry(RingDirectory directory, RingControl& control, RingRole role,
                                   std::uint64_t max_ring_bytes)
    : id_(next_registry_id.fetch_add(1, std::memory_order_relaxed)),
      directory_(std::move(directory)),
      control_(control),
      role_(role),
      max_ring_bytes_(std::bit_floor(std::max<std::uint64_t>(max_ring_bytes, kMinRingCapacity))) {}

ProducerRegistry::~ProducerRegistry() {
  seal_all();
  // The rings are unmapped with rings_. Other threads may still cache a pointer to theirs,
  // but only under this registry's id, which no registry ever has again.
  if (tl_cache_.registry_id == id_) tl_cache_ = Cache{};
}

std::uint64_t ProducerRegistry::max_payload_bytes() const noexcept {
  return max_ring_bytes_ / 2 - kRingEntryHeaderBytes;
}

Result<std::unique_ptr<LocalRing>> ProducerRegistry::make_ring(std::uint64_t capacity, std::uint64_t producer_id,
                                                               std::uint32_t generation) {
  RingIdentity identity;
  identity.producer_id = producer_id;
  identity.generation = generation;
  identity.role = role_;
  Result<SharedRing> ring = directory_.create_ring(identity, capacity, control_);
  if (!ring.is_ok()) return ring.status();
  auto local = std::make_unique<LocalRing>();
  local->ring = std::move(*ring);
  return local;
}

LocalRing* ProducerRegistry::register_thread(Status* error) {
  ThreadRings& mine = thread_rings();
  // A thread that appended here before but switched buffers since: find its ring again.
  for (auto& [id, weak] : mine.rings) {
    if (id != id_) continue;
    if (auto ring = weak.lock(); ring && !ring->ring.sealed()) {
      tl_cache_ = Cache{id_, ring.get()};
      return ring.get();
    }
  }
  prune();
  auto made = make_ring(std::min(kFirstRingBytes, max_ring_bytes_), 0, 0);
  if (!made.is_ok()) {
    *error = made.status();
    return nullptr;
  }
  std::shared_ptr<LocalRing> ring(std::move(*made));
  {
    std::lock_guard<std::mutex> lock(mu_);
    rings_.push_back(ring);
    ring_count_.store(rings_.size(), std::memory_order_relaxed);
  }
  mine.set(id_, ring);
  tl_cache_ = Cache{id_, ring.get()};
  return ring.get();
}

LocalRing* ProducerRegistry::grow(LocalRing& full, std::size_t payload_bytes) {
  prune();  // rings this thread grew out of before, drained since: their memory goes now
  const std::uint64_t capacity = std::max(full.ring.capacity() * 2, ring_capacity_for(payload_bytes));
  if (capacity > max_ring_bytes_) return nullptr;
  auto made = make_ring(capacity, full.ring.producer_id(), full.ring.generation() + 1);
  if (!made.is_ok()) return nullptr;  // over the budget (or out of disk): the policy decides
  std::shared_ptr<LocalRing> ring(std::move(*made));
  ring->sample_sequence = full.sample_sequence;
  // Sealed before the successor is visible to this thread's pushes: the writer drains the
  // old ring to its end, then moves on to the successor (generation order).
  full.ring.seal();
  full.successor_made = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rings_.push_back(ring);
    ring_count_.store(rings_.size(), std::memory_order_relaxed);
  }
  thread_rings().set(id_, ring);
  tl_cache_ = Cache{id_, ring.get()};
  return ring.get();
}

std::vector<std::shared_ptr<LocalRing>> ProducerRegistry::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rings_;
}

RingCounters ProducerRegistry::retired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retired_;
}

void ProducerRegistry::prune() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  const std::size_t before = rings_.size();
  std::erase_if(rings_, [this](const std::shared_ptr<LocalRing>& ring) {
    if (!ring->ring.sealed() || !ring->ring.drained()) return false;
    add_counters(&retired_, ring->ring.counters());
    return true;
  });
  if (rings_.size() != before) ring_count_.store(rings_.size(), std::memory_order_relaxed);
}

void ProducerRegistry::seal_all() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (const auto& ring : rings_) ring->ring.seal();
}

}  // namespace spool::engine
