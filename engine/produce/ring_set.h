// RingSet: the writer's view of every producer ring of the log (DIR/rings/), whichever
// process made it: which rings to drain, in which order, and when a ring is finished.
//
// - Discovery: the directory is listed again when RingControl's rings_version moved (a
//   producer made a ring and said so: picked up at the writer's next pass, within a few
//   milliseconds of its first append) and every kRelistNs regardless.
// - Order: a producer's rings are drained strictly by generation (a ring grows by sealing
//   itself and starting a successor), so only the lowest generation of each producer is
//   drainable; across producers the writer goes round robin.
// - Finished rings: a ring that is sealed (its thread exited or moved on) or whose process
//   died (pid gone or reused, checked every kLivenessNs) is drained to its last complete
//   entry and then reclaimed: counters folded into CONTROL, tombstone for a death, file
//   unlinked, capacity back to the budget. A producer that died between claiming space and
//   publishing its entry lost that entry only; it is counted (producer_died).
// - Untrusted: a ring whose positions break the invariants, or whose mapping faults, is
//   reclaimed with everything in it counted malformed; a file that fails the checks of
//   SharedRing::open_existing is refused and left alone (counted in refused()).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/produce/ring_control.h"
#include "engine/produce/ring_directory.h"
#include "engine/produce/shared_ring.h"

namespace spool::engine {

class RingSet {
 public:
  static constexpr std::int64_t kRelistNs = 250'000'000;    // a safety net: producers announce
  static constexpr std::int64_t kLivenessNs = 100'000'000;  // 100 ms

  RingSet(RingDirectory directory, RingControl& control);

  // Lists the directory again when a ring was announced or kRelistNs passed (or `force`),
  // opening rings not seen before; checks liveness every kLivenessNs. Writer thread only.
  void refresh(std::int64_t now_ns, bool force = false);
  // The rings to drain now: the lowest generation of each producer, round robin from a
  // start that moves by one per call.
  const std::vector<SharedRing*>& drainable();
  SharedRing* find(std::uint64_t ring_id);
  // True when no drainable ring holds an untaken entry (cheap: two loads per ring).
  bool all_taken() const;
  // Reclaims every ring that is finished (sealed or dead) and fully written. Returns how many.
  std::size_t reclaim_finished();
  // A ring drain() found corrupt or unreadable: reclaimed now, whatever it holds.
  void reclaim_broken(SharedRing* ring);
  // A new writer's start, before the first refresh: finishes a reclaim the dead writer left
  // half done (RingDirectory::finish_interrupted_reclaim), so its ring is not counted twice.
  Status finish_interrupted_reclaim() { return directory_.finish_interrupted_reclaim(control_); }
  // A new writer's start: every ring not named by the dead writer's intent takes again what
  // that writer took but did not write (read = head).
  void retake_all_unwritten(const std::set<std::uint64_t>& in_intent);

  // A producer announced a ring since the last listing.
  bool announced() const noexcept { return control_.rings_version() != seen_version_; }
  std::size_t size() const noexcept { return by_id_.size(); }
  std::uint64_t refused() const noexcept { return refused_; }
  const std::string& last_refusal() const noexcept { return last_refusal_; }

 private:
  struct Entry {
    SharedRing ring;
    bool dead = false;  // its process is gone
  };
  void relist();
  void check_liveness();
  void rebuild_drainable();

  RingDirectory directory_;
  RingControl& control_;
  std::map<std::uint64_t, std::unique_ptr<Entry>> by_id_;
  std::set<std::uint64_t> refused_ids_;
  std::map<std::uint64_t, std::vector<SharedRing*>> by_producer_;  // by generation
  std::vector<SharedRing*> drainable_;
  std::vector<SharedRing*> rotated_;
  std::size_t start_ = 0;
  bool dirty_ = true;
  std::uint64_t seen_version_ = ~std::uint64_t{0};
  std::int64_t next_list_ns_ = 0;
  std::int64_t next_liveness_ns_ = 0;
  std::uint64_t refused_ = 0;
  std::string last_refusal_;
  const int own_pid_;
};

}  // namespace spool::engine
