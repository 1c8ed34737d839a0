#include "segment/segment_mappings.h"

#include <vector>

#include "segment/segment_file.h"

namespace spool::segment {

void SegmentMappings::touch(const std::shared_ptr<const SegmentFile>& seg) {
  // Evicted segments are released after mu_ is unlocked: dropping the last reference
  // destroys a segment, whose destructor calls forget().
  std::vector<std::shared_ptr<const SegmentFile>> evicted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seg->lru_listed_) {
      lru_.splice(lru_.end(), lru_, seg->lru_pos_);
    } else {
      seg->lru_pos_ = lru_.insert(lru_.end(), Entry{seg, seg.get()});
      seg->lru_listed_ = true;
    }
    while (limit_ != 0 && lru_.size() > limit_) {
      Entry victim = lru_.front();
      lru_.pop_front();
      // Listed means alive or inside its destructor, blocked in forget() on mu_: the raw
      // pointer is valid while mu_ is held.
      victim.raw->lru_listed_ = false;
      if (auto alive = victim.seg.lock()) {
        alive->drop_mapping();
        evicted.push_back(std::move(alive));
      }
    }
  }
}

void SegmentMappings::forget(const SegmentFile* seg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!seg->lru_listed_) return;
  lru_.erase(seg->lru_pos_);
  seg->lru_listed_ = false;
}

std::size_t SegmentMappings::mapped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace spool::segment
