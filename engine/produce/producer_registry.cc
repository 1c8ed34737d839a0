#include "engine/produce/producer_registry.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "engine/produce/thread_exit_local.h"
#include "io/clock.h"
#include "io/process_barrier.h"

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
        // Busy while sealing, so housekeeping does not release the ring under the seal (a
        // ring it released already is only sealed again: its mapping stays).
        RingInUse use;
        (void)use.enter(ring.get());
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
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    into->dropped[i] += c.dropped[i];
    into->writer_dropped[i] += c.writer_dropped[i];
  }
  into->malformed += c.malformed;
  into->written += c.written;
}

}  // namespace

bool RingInUse::enter(LocalRing* ring) noexcept {
  if (ring != ring_) {
    leave();
    ring_ = ring;
    ring->busy.store(1, std::memory_order_relaxed);
    // Store busy, then load release: ordered against housekeeping's store release, then load
    // busy (its heavy barrier), so that one of the two sees the other.
    io::light_barrier();
  }
  return ring->release.load(std::memory_order_acquire) == static_cast<std::uint32_t>(RingRelease::kLive);
}

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
  adopt(ring);
  return ring.get();
}

void ProducerRegistry::adopt(const std::shared_ptr<LocalRing>& ring) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ring->quiet_since_ns = io::monotonic_ns();  // young: not idle yet
    rings_.push_back(ring);
    ring_count_.store(rings_.size(), std::memory_order_relaxed);
  }
  thread_rings().set(id_, ring);
  tl_cache_ = Cache{id_, ring.get()};
}

LocalRing* ProducerRegistry::replace_released(RingInUse& use, Status* error) {
  LocalRing* old = use.get();
  std::unique_lock<std::mutex> lock(mu_);
  const auto state = static_cast<RingRelease>(old->release.load(std::memory_order_acquire));
  // This thread is busy on `old`: housekeeping (under mu_ too) does not release it meanwhile.
  const std::uint64_t producer_id = old->ring.producer_id();
  const std::uint32_t generation = old->ring.generation();
  lock.unlock();
  auto made = make_ring(std::min(kFirstRingBytes, max_ring_bytes_), producer_id, generation + 1);
  lock.lock();
  if (!made.is_ok()) {
    if (state == RingRelease::kRequested) {
      // No room for a new ring (the budget is short): keep appending into this one.
      old->release.store(static_cast<std::uint32_t>(RingRelease::kLive), std::memory_order_release);
      return old;
    }
    *error = made.status();
    return nullptr;
  }
  // Sealed before the successor is visible to this thread's pushes (generation order).
  old->ring.seal();
  old->successor_made = true;
  lock.unlock();
  std::shared_ptr<LocalRing> ring(std::move(*made));
  ring->sample_sequence = old->sample_sequence;
  adopt(ring);
  if (!use.enter(ring.get())) return replace_released(use, error);  // asked back already
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    full.successor_made = true;
  }
  adopt(ring);
  return ring.get();
}

std::vector<std::shared_ptr<LocalRing>> ProducerRegistry::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rings_;
}

std::vector<std::shared_ptr<LocalRing>> ProducerRegistry::snapshot(RingCounters* retired) const {
  std::lock_guard<std::mutex> lock(mu_);
  *retired = retired_;
  return rings_;
}

void ProducerRegistry::prune() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  const std::size_t before = rings_.size();
  std::erase_if(rings_, [this](const std::shared_ptr<LocalRing>& ring) {
    // A ring housekeeping released stays (its memory returned already) while its thread may
    // still hold it in its cache: until the thread moves on or exits.
    const bool let_go = ring->successor_made || ring->abandoned.load(std::memory_order_acquire);
    // And its thread has left it: it marks a ring it moved on from (or sealed at exit) not
    // busy as its very last touch (the acquire pairs with that release store).
    if (!let_go || ring->busy.load(std::memory_order_acquire) != 0) return false;
    if (!ring->ring.sealed() || !ring->ring.drained()) return false;
    add_counters(&retired_, ring->ring.counters());
    return true;
  });
  if (rings_.size() != before) ring_count_.store(rings_.size(), std::memory_order_relaxed);
}

std::uint64_t ProducerRegistry::release_idle(std::int64_t now_ns, std::int64_t idle_ns, bool over_budget) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return 0;
  const std::uint64_t first_size = std::min(kFirstRingBytes, max_ring_bytes_);
  std::vector<LocalRing*> asked;
  for (const std::shared_ptr<LocalRing>& r : rings_) {
    LocalRing& ring = *r;
    if (ring.successor_made || ring.abandoned.load(std::memory_order_acquire)) continue;  // sealed by its owner
    const auto state = static_cast<RingRelease>(ring.release.load(std::memory_order_acquire));
    if (state == RingRelease::kReleased) continue;
    const std::uint64_t tail = ring.ring.published_tail();
    if (tail != ring.seen_tail) {
      ring.seen_tail = tail;
      ring.quiet_since_ns = now_ns;
    }
    const bool idle = idle_ns > 0 && now_ns - ring.quiet_since_ns >= idle_ns && ring.ring.drained();
    const bool shrink = over_budget && ring.ring.capacity() > first_size;
    if (!idle && !shrink && state == RingRelease::kLive) continue;
    if (state == RingRelease::kLive) ring.release.store(static_cast<std::uint32_t>(RingRelease::kRequested), std::memory_order_release);
    asked.push_back(&ring);
  }
  if (asked.empty()) return 0;
  // Every thread of this process passes a full barrier: an owner that stores busy after this
  // point loads release afterwards and sees the request.
  io::heavy_barrier();
  std::uint64_t returned = 0;
  for (LocalRing* ring : asked) {
    if (ring->busy.load(std::memory_order_acquire) != 0) continue;  // its owner moves on itself
    // Not busy and asked back: the owner never pushes into it again. Released only when empty
    // (all written); a ring with entries waits for the writer, and for a later pass.
    if (!ring->ring.drained()) continue;
    ring->ring.seal_shared();
    if (ring->ring.release_data_memory()) returned += ring->ring.capacity();
    ring->release.store(static_cast<std::uint32_t>(RingRelease::kReleased), std::memory_order_release);
  }
  return returned;
}

void ProducerRegistry::seal_all() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (const auto& ring : rings_) ring->ring.seal();
}

}  // namespace spool::engine
