#include "engine/produce/ring_set.h"

#include <unistd.h>

#include <algorithm>

#include "io/process_identity.h"

namespace spool::engine {

RingSet::RingSet(RingDirectory directory, RingControl& control)
    : directory_(std::move(directory)), control_(control), own_pid_(static_cast<int>(::getpid())) {}

void RingSet::refresh(std::int64_t now_ns, bool force) {
  const std::uint64_t version = control_.rings_version();
  if (force || version != seen_version_ || now_ns >= next_list_ns_) {
    seen_version_ = version;
    next_list_ns_ = now_ns + kRelistNs;
    relist();
  }
  if (force || now_ns >= next_liveness_ns_) {
    next_liveness_ns_ = now_ns + kLivenessNs;
    check_liveness();
  }
}

void RingSet::relist() {
  Result<std::vector<std::uint64_t>> ids = directory_.list_ids();
  if (!ids.is_ok()) {
    ++refused_;
    last_refusal_ = ids.status().to_string();
    return;
  }
  for (std::uint64_t id : *ids) {
    if (by_id_.count(id) != 0 || refused_ids_.count(id) != 0) continue;
    Result<SharedRing> ring = directory_.open_ring(id);
    if (!ring.is_ok()) {
      // NotFound: gone meanwhile (reclaimed, or of another boot and deleted). Anything else
      // is a file this writer does not trust: left alone, never read, counted once.
      if (ring.status().code() != StatusCode::kNotFound) {
        refused_ids_.insert(id);
        ++refused_;
        last_refusal_ = ring.status().to_string();
      }
      continue;
    }
    auto entry = std::make_unique<Entry>();
    entry->ring = std::move(*ring);
    by_id_.emplace(id, std::move(entry));
    dirty_ = true;
  }
}

void RingSet::check_liveness() {
  for (auto& [id, entry] : by_id_) {
    if (entry->dead || entry->ring.identity().pid == own_pid_) continue;
    if (!entry->ring.producer_alive()) entry->dead = true;
  }
}

void RingSet::rebuild_drainable() {
  by_producer_.clear();
  for (auto& [id, entry] : by_id_) by_producer_[entry->ring.producer_id()].push_back(&entry->ring);
  for (auto& [producer, rings] : by_producer_) {
    std::sort(rings.begin(), rings.end(),
              [](const SharedRing* a, const SharedRing* b) { return a->generation() < b->generation(); });
  }
  dirty_ = false;
}

const std::vector<SharedRing*>& RingSet::drainable() {
  if (dirty_) rebuild_drainable();
  // Per producer, its first ring by generation that may still hold an untaken entry: a
  // sealed ring whose every entry is taken is passed over (its successor's entries come after
  // all of its own, in this batch or the next), so a growing producer is never held up until
  // the sealed ring is reclaimed.
  drainable_.clear();
  for (auto& [producer, rings] : by_producer_) {
    for (SharedRing* ring : rings) {
      if (ring->sealed() && ring->all_taken()) continue;
      drainable_.push_back(ring);
      break;
    }
  }
  rotated_.clear();
  const std::size_t n = drainable_.size();
  if (n == 0) return rotated_;
  start_ = (start_ + 1) % n;
  for (std::size_t k = 0; k < n; ++k) rotated_.push_back(drainable_[(start_ + k) % n]);
  return rotated_;
}

SharedRing* RingSet::find(std::uint64_t ring_id) {
  auto it = by_id_.find(ring_id);
  return it == by_id_.end() ? nullptr : &it->second->ring;
}

bool RingSet::all_taken() const {
  for (const auto& [id, entry] : by_id_) {
    if (!entry->ring.all_taken()) return false;
  }
  return true;
}

std::size_t RingSet::reclaim_finished() {
  std::size_t reclaimed = 0;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    Entry& e = *it->second;
    const bool finished = e.dead || e.ring.sealed();
    // Only the lowest generation of its producer may go: a later one may still wait its turn.
    const bool lowest = std::none_of(by_id_.begin(), by_id_.end(), [&](const auto& other) {
      return other.second->ring.producer_id() == e.ring.producer_id() &&
             other.second->ring.generation() < e.ring.generation();
    });
    if (finished && lowest && e.ring.drained()) {
      (void)directory_.reclaim(std::move(e.ring), e.dead, control_);
      it = by_id_.erase(it);
      dirty_ = true;
      ++reclaimed;
      continue;
    }
    ++it;
  }
  return reclaimed;
}

void RingSet::reclaim_broken(SharedRing* ring) {
  auto it = by_id_.find(ring->ring_id());
  if (it == by_id_.end()) return;
  (void)directory_.reclaim(std::move(it->second->ring), it->second->dead, control_);
  by_id_.erase(it);
  dirty_ = true;
}

void RingSet::retake_all_unwritten(const std::set<std::uint64_t>& in_intent) {
  for (auto& [id, entry] : by_id_) {
    if (in_intent.count(id) == 0) entry->ring.retake_unwritten();
  }
}

}  // namespace spool::engine
