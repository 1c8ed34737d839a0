#include "segment/sparse_index.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "segment/segment_header.h"

namespace spool::segment {

namespace {
constexpr char kMagic[8] = {'S', 'P', 'O', 'O', 'L', 'I', 'D', 'X'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 64;
}  // namespace

void SparseIndex::on_frame(std::uint64_t base_offset, std::uint64_t offset,
                           std::uint64_t position, std::int64_t timestamp_ns) {
  if (entries_.empty() || position - last_entry_position_ >= interval_) {
    entries_.push_back(IndexEntry{static_cast<std::uint32_t>(offset - base_offset),
                                  static_cast<std::uint32_t>(position), max_ts_});
    last_entry_position_ = position;
  }
  max_ts_ = std::max(max_ts_, timestamp_ns);
}

std::uint64_t SparseIndex::position_for_offset(std::uint64_t base_offset,
                                               std::uint64_t offset) const {
  if (offset < base_offset) return 0;
  const std::uint64_t rel = offset - base_offset;
  // Last entry with relative_offset <= rel.
  auto it = std::upper_bound(entries_.begin(), entries_.end(), rel,
                             [](std::uint64_t v, const IndexEntry& e) { return v < e.relative_offset; });
  if (it == entries_.begin()) return 0;
  return std::prev(it)->position;
}

std::uint64_t SparseIndex::position_for_time(std::int64_t t) const {
  // Last entry whose frames before it are all older than t: max_timestamp_before < t.
  auto it = std::partition_point(entries_.begin(), entries_.end(),
                                 [t](const IndexEntry& e) { return e.max_timestamp_before < t; });
  if (it == entries_.begin()) return 0;
  return std::prev(it)->position;
}

void SparseIndex::clear() {
  entries_.clear();
  last_entry_position_ = 0;
  max_ts_ = std::numeric_limits<std::int64_t>::min();
}

std::string SparseIndex::encode(std::uint64_t base_offset, const SegmentSummary& s) const {
  std::string out(kHeaderBytes + entries_.size() * sizeof(IndexEntry), '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  std::memcpy(p, kMagic, 8);
  io::store_u32(p + 8, kVersion);
  io::store_u32(p + 12, static_cast<std::uint32_t>(entries_.size()));
  io::store_u64(p + 16, base_offset);
  io::store_u64(p + 24, s.data_end);
  io::store_u64(p + 32, s.record_count);
  io::store_u64(p + 40, s.last_offset);
  io::store_u64(p + 48, static_cast<std::uint64_t>(s.max_timestamp));
  if (!entries_.empty()) {
    std::memcpy(p + kHeaderBytes, entries_.data(), entries_.size() * sizeof(IndexEntry));
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, p, 56);
  XXH3_64bits_update(&state, p + kHeaderBytes, entries_.size() * sizeof(IndexEntry));
  io::store_u64(p + 56, XXH3_64bits_digest(&state));
  return out;
}

bool SparseIndex::decode(const std::string& bytes, std::uint64_t base_offset,
                         std::uint64_t file_size, SegmentSummary* summary) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (bytes.size() < kHeaderBytes || std::memcmp(p, kMagic, 8) != 0) return false;
  if (io::load_u32(p + 8) != kVersion) return false;
  const std::uint64_t n = io::load_u32(p + 12);
  if (bytes.size() != kHeaderBytes + n * sizeof(IndexEntry)) return false;
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, p, 56);
  XXH3_64bits_update(&state, p + kHeaderBytes, n * sizeof(IndexEntry));
  if (XXH3_64bits_digest(&state) != io::load_u64(p + 56)) return false;
  if (io::load_u64(p + 16) != base_offset) return false;

  SegmentSummary s;
  s.data_end = io::load_u64(p + 24);
  s.record_count = io::load_u64(p + 32);
  s.last_offset = io::load_u64(p + 40);
  s.max_timestamp = static_cast<std::int64_t>(io::load_u64(p + 48));
  if (s.data_end < kSegmentHeaderBytes || s.data_end > file_size) return false;
  if ((s.record_count == 0) != (n == 0)) return false;
  if (s.record_count > 0 &&
      (s.last_offset < base_offset || s.last_offset >= segment_offset_end(base_offset))) {
    return false;
  }
  if (s.record_count > s.last_offset - base_offset + 1 && s.record_count > 0) return false;

  std::vector<IndexEntry> entries(n);
  if (n > 0) std::memcpy(entries.data(), p + kHeaderBytes, n * sizeof(IndexEntry));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const IndexEntry& e = entries[i];
    if (e.position < kSegmentHeaderBytes || e.position % kFrameAlignment != 0 ||
        e.position >= s.data_end || base_offset + e.relative_offset > s.last_offset) {
      return false;
    }
    if (i > 0 && (e.position <= entries[i - 1].position ||
                  e.relative_offset <= entries[i - 1].relative_offset ||
                  e.max_timestamp_before < entries[i - 1].max_timestamp_before)) {
      return false;
    }
  }
  if (n > 0) s.first_offset = base_offset + entries[0].relative_offset;
  entries_ = std::move(entries);
  last_entry_position_ = entries_.empty() ? 0 : entries_.back().position;
  max_ts_ = s.max_timestamp;
  *summary = s;
  return true;
}

}  // namespace spool::segment
