#include "engine/forward/delivery_plan.h"

#include <algorithm>
#include <iterator>

namespace spool::engine {

void DeliveryPlan::reset(std::uint64_t low, std::span<const OffsetRun> settled_ahead) {
  low_ = low;
  scanned_end_ = low;
  settled_.clear();
  settled_ahead_count_ = 0;
  for (Runs& runs : pending_) runs.clear();
  pending_count_ = 0;
  batches_ = 0;
  for (const OffsetRun& run : settled_ahead) {
    const std::uint64_t first = std::max(run.first, low_);
    if (run.end > first) add_settled(first, run.end);
  }
  scanned_end_ = low_;
}

std::vector<OffsetRun> DeliveryPlan::settled_ahead() const {
  std::vector<OffsetRun> runs;
  runs.reserve(settled_.size());
  for (const auto& [first, end] : settled_) runs.push_back(OffsetRun{first, end});
  return runs;
}

bool DeliveryPlan::settled(std::uint64_t offset) const {
  if (offset < low_) return true;
  auto it = settled_.upper_bound(offset);
  if (it == settled_.begin()) return false;
  --it;
  return offset < it->second;
}

std::uint64_t DeliveryPlan::pass_to(std::uint64_t offset) {
  if (offset <= scanned_end_) return 0;
  const std::uint64_t from = scanned_end_;
  scanned_end_ = offset;
  return add_settled(from, offset);
}

void DeliveryPlan::add_pending(std::uint64_t offset, Priority priority) {
  Runs& runs = pending_[class_of(priority)];
  if (!runs.empty() && runs.back().end == offset) {
    ++runs.back().end;
  } else {
    runs.push_back(OffsetRun{offset, offset + 1});
  }
  ++pending_count_;
  scanned_end_ = std::max(scanned_end_, offset + 1);
}

void DeliveryPlan::settle_record(std::uint64_t offset) {
  scanned_end_ = std::max(scanned_end_, offset + 1);
  add_settled(offset, offset + 1);
}

std::size_t DeliveryPlan::next_class(bool* oldest) {
  const bool oldest_any = settled_.size() > kMaxSettledRuns || ++batches_ >= order_.period;
  if (oldest_any) {
    batches_ = 0;
    *oldest = true;
    std::size_t best = pending_.size();
    for (std::size_t c = 0; c < pending_.size(); ++c) {
      if (pending_[c].empty()) continue;
      if (best == pending_.size() || pending_[c].front().first < pending_[best].front().first)
        best = c;
    }
    return best;
  }
  *oldest = !order_.newest_first;
  for (std::size_t c = pending_.size(); c-- > 0;) {
    if (!pending_[c].empty()) return c;
  }
  return 0;  // unreachable while pending_count_ > 0
}

std::vector<std::uint64_t> DeliveryPlan::take(std::size_t max_records) {
  if (pending_count_ == 0 || max_records == 0) return {};
  bool oldest = true;
  const std::size_t cls = next_class(&oldest);
  return take_from(cls, oldest, max_records);
}

std::vector<std::uint64_t> DeliveryPlan::take(Priority priority, std::size_t max_records) {
  return take_from(class_of(priority), !order_.newest_first, max_records);
}

std::uint64_t DeliveryPlan::pending_count(Priority priority) const noexcept {
  std::uint64_t n = 0;
  for (const OffsetRun& run : pending_[class_of(priority)]) n += run.size();
  return n;
}

std::size_t DeliveryPlan::class_of(Priority priority) const noexcept {
  return order_.by_priority ? static_cast<std::size_t>(priority) : 0;
}

std::vector<std::uint64_t> DeliveryPlan::take_from(std::size_t cls, bool oldest,
                                                   std::size_t max_records) {
  std::vector<std::uint64_t> out;
  last_class_ = cls;
  Runs& runs = pending_[cls];
  out.reserve(std::min<std::uint64_t>(max_records, pending_count_));
  while (out.size() < max_records && !runs.empty()) {
    OffsetRun& run = oldest ? runs.front() : runs.back();
    const std::uint64_t k = std::min<std::uint64_t>(max_records - out.size(), run.size());
    if (oldest) {
      for (std::uint64_t i = 0; i < k; ++i) out.push_back(run.first + i);
      run.first += k;
      if (run.size() == 0) runs.pop_front();
    } else {
      for (std::uint64_t i = 0; i < k; ++i) out.push_back(run.end - 1 - i);
      run.end -= k;
      if (run.size() == 0) runs.pop_back();
    }
  }
  if (!oldest) std::reverse(out.begin(), out.end());
  pending_count_ -= out.size();
  return out;
}

void DeliveryPlan::insert_offset(Runs* runs, std::uint64_t offset) {
  auto it = std::lower_bound(runs->begin(), runs->end(), offset,
                             [](const OffsetRun& r, std::uint64_t o) { return r.end < o; });
  // *it is the first run with end >= offset: offset extends it at its end, precedes it, or
  // (the run starting at offset + 1) extends it at its front.
  if (it != runs->end() && it->end == offset) {
    ++it->end;
    auto next = std::next(it);
    if (next != runs->end() && next->first == it->end) {
      it->end = next->end;
      runs->erase(next);
    }
    return;
  }
  if (it != runs->end() && it->first == offset + 1) {
    it->first = offset;
    return;
  }
  runs->insert(it, OffsetRun{offset, offset + 1});
}

void DeliveryPlan::give_back(std::span<const std::uint64_t> offsets) {
  for (std::uint64_t offset : offsets) insert_offset(&pending_[last_class_], offset);
  pending_count_ += offsets.size();
}

void DeliveryPlan::settle(std::span<const std::uint64_t> offsets) {
  std::size_t i = 0;
  while (i < offsets.size()) {
    std::size_t j = i + 1;
    while (j < offsets.size() && offsets[j] == offsets[j - 1] + 1) ++j;
    add_settled(offsets[i], offsets[j - 1] + 1);
    i = j;
  }
}

std::uint64_t DeliveryPlan::add_settled(std::uint64_t first, std::uint64_t end) {
  first = std::max(first, low_);
  if (end <= first) return 0;
  auto it = settled_.upper_bound(first);
  if (it != settled_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= first) it = prev;
  }
  std::uint64_t merged_first = first, merged_end = end, covered = 0;
  while (it != settled_.end() && it->first <= merged_end) {
    merged_first = std::min(merged_first, it->first);
    merged_end = std::max(merged_end, it->second);
    covered += it->second - it->first;
    it = settled_.erase(it);
  }
  settled_.emplace(merged_first, merged_end);
  const std::uint64_t added = (merged_end - merged_first) - covered;
  settled_ahead_count_ += added;
  advance_low();
  return added;
}

void DeliveryPlan::advance_low() {
  while (!settled_.empty() && settled_.begin()->first == low_) {
    low_ = settled_.begin()->second;
    settled_ahead_count_ -= low_ - settled_.begin()->first;
    settled_.erase(settled_.begin());
  }
  scanned_end_ = std::max(scanned_end_, low_);
}

std::uint64_t DeliveryPlan::drop_below(std::uint64_t first) {
  if (first <= low_) return 0;
  std::uint64_t settled_below = 0;
  while (!settled_.empty() && settled_.begin()->first < first) {
    auto it = settled_.begin();
    const std::uint64_t cut = std::min(it->second, first);
    settled_below += cut - it->first;
    if (it->second > first) {
      const std::uint64_t end = it->second;
      settled_.erase(it);
      settled_.emplace(first, end);
    } else {
      settled_.erase(it);
    }
  }
  settled_ahead_count_ -= settled_below;
  for (Runs& runs : pending_) {
    while (!runs.empty() && runs.front().first < first) {
      const std::uint64_t cut = std::min(runs.front().end, first);
      pending_count_ -= cut - runs.front().first;
      runs.front().first = cut;
      if (runs.front().size() == 0) runs.pop_front();
    }
  }
  const std::uint64_t dropped = (first - low_) - settled_below;
  low_ = first;
  advance_low();
  return dropped;
}

}  // namespace spool::engine
