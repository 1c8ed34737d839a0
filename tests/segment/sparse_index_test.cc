// segment/sparse_index.h: the per-segment offset/time index and its file.
#include "segment/sparse_index.h"

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "segment/segment_header.h"

namespace spool::segment {
namespace {

constexpr std::int64_t kMinTs = std::numeric_limits<std::int64_t>::min();

// A segment's frames as the writer or a scan sees them.
struct Frame {
  std::uint64_t offset;
  std::uint64_t position;
  std::int64_t timestamp;
};

// `count` frames from `base` at positions starting after the segment header, with sizes
// 40..96 bytes and timestamps from `ts(i)`.
template <typename Ts>
std::vector<Frame> make_frames(std::uint64_t base, std::size_t count, Ts ts) {
  std::vector<Frame> frames;
  std::uint64_t pos = kSegmentHeaderBytes;
  for (std::size_t i = 0; i < count; ++i) {
    frames.push_back(Frame{base + i, pos, ts(i)});
    pos += frame_size((i * 13) % 57);
  }
  return frames;
}

SparseIndex index_of(const std::vector<Frame>& frames, std::uint64_t base, std::uint32_t interval) {
  SparseIndex idx(interval);
  for (const Frame& f : frames) idx.on_frame(base, f.offset, f.position, f.timestamp);
  return idx;
}

// The documented rule, written out independently: an entry for the first frame and for
// every frame at least `interval` bytes after the previous entry.
std::vector<IndexEntry> expected_entries(const std::vector<Frame>& frames, std::uint64_t base,
                                         std::uint32_t interval) {
  std::vector<IndexEntry> out;
  std::int64_t max_before = kMinTs;
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (out.empty() || frames[i].position - last >= interval) {
      out.push_back(IndexEntry{static_cast<std::uint32_t>(frames[i].offset - base),
                               static_cast<std::uint32_t>(frames[i].position), max_before});
      last = frames[i].position;
    }
    max_before = std::max(max_before, frames[i].timestamp);
  }
  return out;
}

void expect_same_entries(const std::vector<IndexEntry>& a, const std::vector<IndexEntry>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].relative_offset, b[i].relative_offset) << "entry " << i;
    EXPECT_EQ(a[i].position, b[i].position) << "entry " << i;
    EXPECT_EQ(a[i].max_timestamp_before, b[i].max_timestamp_before) << "entry " << i;
  }
}

// The index file, laid out from the documentation (not from the code under test).
std::string index_file(std::uint64_t base, std::uint32_t declared_count, const SegmentSummary& s,
                       const std::vector<IndexEntry>& entries) {
  std::string out(64 + entries.size() * 16, '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  std::memcpy(p, "SPOOLIDX", 8);
  io::store_u32(p + 8, 1);
  io::store_u32(p + 12, declared_count);
  io::store_u64(p + 16, base);
  io::store_u64(p + 24, s.data_end);
  io::store_u64(p + 32, s.record_count);
  io::store_u64(p + 40, s.last_offset);
  io::store_u64(p + 48, static_cast<std::uint64_t>(s.max_timestamp));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    io::store_u32(p + 64 + 16 * i, entries[i].relative_offset);
    io::store_u32(p + 64 + 16 * i + 4, entries[i].position);
    io::store_u64(p + 64 + 16 * i + 8, static_cast<std::uint64_t>(entries[i].max_timestamp_before));
  }
  std::string hashed = out.substr(0, 56) + out.substr(64);
  io::store_u64(p + 56, XXH3_64bits(hashed.data(), hashed.size()));
  return out;
}

std::string index_file(std::uint64_t base, const SegmentSummary& s,
                       const std::vector<IndexEntry>& entries) {
  return index_file(base, static_cast<std::uint32_t>(entries.size()), s, entries);
}

SegmentSummary summary_of(const std::vector<Frame>& frames, std::uint64_t data_end) {
  SegmentSummary s;
  s.data_end = data_end;
  s.record_count = frames.size();
  if (!frames.empty()) {
    s.first_offset = frames.front().offset;
    s.last_offset = frames.back().offset;
  }
  for (const Frame& f : frames) s.max_timestamp = std::max(s.max_timestamp, f.timestamp);
  return s;
}

std::int64_t monotonic_ts(std::size_t i) { return 1000 + 10 * static_cast<std::int64_t>(i); }
// Jittery clock: goes back now and then, repeats values, and has a few big jumps.
std::int64_t jittery_ts(std::size_t i) {
  const auto k = static_cast<std::int64_t>(i);
  std::int64_t t = 1000 + 10 * k - ((k * 37) % 11) * 25;
  if (i % 97 == 50) t += 100000;
  if (i % 89 == 3) t -= 5000;
  return t;
}

// ---------------------------------------------------------------- building

TEST(SparseIndex, EmptyIndexLooksUpNothing) {
  SparseIndex idx(100);
  EXPECT_TRUE(idx.entries().empty());
  EXPECT_EQ(idx.max_timestamp(), kMinTs);
  EXPECT_EQ(idx.position_for_offset(0, 0), 0u);
  EXPECT_EQ(idx.position_for_offset(10, 50), 0u);
  EXPECT_EQ(idx.position_for_time(0), 0u);
}

TEST(SparseIndex, AddsAnEntryForTheFirstFrameAndEveryInterval) {
  for (std::uint32_t interval : {1u, 40u, 100u, 333u, 4096u}) {
    SCOPED_TRACE(interval);
    const std::uint64_t base = 5000;
    const auto frames = make_frames(base, 500, monotonic_ts);
    const SparseIndex idx = index_of(frames, base, interval);
    expect_same_entries(idx.entries(), expected_entries(frames, base, interval));
    ASSERT_FALSE(idx.entries().empty());
    EXPECT_EQ(idx.entries().front().position, kSegmentHeaderBytes);
    EXPECT_EQ(idx.entries().front().relative_offset, 0u);
    EXPECT_EQ(idx.entries().front().max_timestamp_before, kMinTs);
    // Consecutive entries are at least one interval apart, and never more than an interval
    // plus one frame (the largest frame here is 96 bytes).
    for (std::size_t i = 1; i < idx.entries().size(); ++i) {
      const std::uint64_t gap = idx.entries()[i].position - idx.entries()[i - 1].position;
      EXPECT_GE(gap, interval);
      EXPECT_LT(gap, interval + 96u + 1u);
    }
    EXPECT_EQ(idx.max_timestamp(), frames.back().timestamp);
  }
}

TEST(SparseIndex, IntervalOfOneIndexesEveryFrame) {
  const auto frames = make_frames(0, 50, monotonic_ts);
  const SparseIndex idx = index_of(frames, 0, 1);
  ASSERT_EQ(idx.entries().size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(idx.entries()[i].position, frames[i].position);
    EXPECT_EQ(idx.entries()[i].max_timestamp_before, i == 0 ? kMinTs : frames[i - 1].timestamp);
  }
}

TEST(SparseIndex, MaxTimestampBeforeIsARunningMaximum) {
  const auto frames = make_frames(0, 1000, jittery_ts);
  const SparseIndex idx = index_of(frames, 0, 200);
  expect_same_entries(idx.entries(), expected_entries(frames, 0, 200));
  for (std::size_t i = 1; i < idx.entries().size(); ++i) {
    EXPECT_GE(idx.entries()[i].max_timestamp_before, idx.entries()[i - 1].max_timestamp_before);
  }
}

TEST(SparseIndex, ClearForgetsEverything) {
  SparseIndex idx = index_of(make_frames(0, 100, monotonic_ts), 0, 100);
  ASSERT_FALSE(idx.entries().empty());
  idx.clear();
  EXPECT_TRUE(idx.entries().empty());
  EXPECT_EQ(idx.max_timestamp(), kMinTs);
  EXPECT_EQ(idx.position_for_offset(0, 50), 0u);
  // After clear the next frame is an entry again, with nothing before it.
  idx.on_frame(0, 7, 64, 99);
  ASSERT_EQ(idx.entries().size(), 1u);
  EXPECT_EQ(idx.entries()[0].relative_offset, 7u);
  EXPECT_EQ(idx.entries()[0].max_timestamp_before, kMinTs);
}

// ---------------------------------------------------------------- lookups

TEST(SparseIndex, PositionForOffsetIsTheLastEntryAtOrBefore) {
  const std::uint64_t base = 1000;
  const auto frames = make_frames(base, 800, monotonic_ts);
  const SparseIndex idx = index_of(frames, base, 256);
  const auto& entries = idx.entries();
  ASSERT_GT(entries.size(), 10u);
  for (const Frame& f : frames) {
    const std::uint64_t pos = idx.position_for_offset(base, f.offset);
    // Scanning forward from pos reaches the frame within one interval...
    EXPECT_LE(pos, f.position) << f.offset;
    EXPECT_GE(pos, kSegmentHeaderBytes) << f.offset;
    // ...and pos is the closest entry: no entry lies in (pos, f.position].
    for (const IndexEntry& e : entries) {
      EXPECT_FALSE(e.position > pos && e.position <= f.position) << f.offset;
    }
  }
  // Every entry is found exactly.
  for (const IndexEntry& e : entries) {
    EXPECT_EQ(idx.position_for_offset(base, base + e.relative_offset), e.position);
  }
  // Below the base there is nothing; far beyond the end, the last entry.
  EXPECT_EQ(idx.position_for_offset(base, 0), 0u);
  EXPECT_EQ(idx.position_for_offset(base, base - 1), 0u);
  EXPECT_EQ(idx.position_for_offset(base, base + 1'000'000), entries.back().position);
}

TEST(SparseIndex, PositionForOffsetBeforeTheFirstIndexedRecordIsZero) {
  // A segment whose first surviving record is not at its base (earlier ones were damaged).
  SparseIndex idx(1);
  idx.on_frame(100, 105, 64, 1);
  idx.on_frame(100, 106, 112, 2);
  EXPECT_EQ(idx.position_for_offset(100, 100), 0u);
  EXPECT_EQ(idx.position_for_offset(100, 104), 0u);
  EXPECT_EQ(idx.position_for_offset(100, 105), 64u);
  EXPECT_EQ(idx.position_for_offset(100, 106), 112u);
}

// For time t: the first frame with timestamp >= t must lie at or after the returned
// position (no frame before it is that new), and no later entry would also do.
void check_time_lookup(const std::vector<Frame>& frames, const SparseIndex& idx, std::int64_t t) {
  const std::uint64_t pos = idx.position_for_time(t);
  for (const Frame& f : frames) {
    if (f.position < pos) {
      EXPECT_LT(f.timestamp, t) << "frame at " << f.position << " is >= " << t
                                << " but lies before the returned position " << pos;
    }
  }
  for (const IndexEntry& e : idx.entries()) {
    if (e.position <= pos) continue;
    // A later entry: some frame before it must have a timestamp >= t, or pos was not tight.
    bool newer_before = false;
    for (const Frame& f : frames) newer_before |= (f.position < e.position && f.timestamp >= t);
    EXPECT_TRUE(newer_before) << "entry at " << e.position << " would also do for " << t;
    break;
  }
  if (pos != 0) {
    bool is_entry = false;
    for (const IndexEntry& e : idx.entries()) is_entry |= (e.position == pos);
    EXPECT_TRUE(is_entry) << pos;
  }
}

TEST(SparseIndex, PositionForTimeWithMonotonicTimestamps) {
  const auto frames = make_frames(0, 600, monotonic_ts);
  const SparseIndex idx = index_of(frames, 0, 300);
  for (std::int64_t t = 900; t <= 1000 + 10 * 600 + 20; t += 7) check_time_lookup(frames, idx, t);
  EXPECT_EQ(idx.position_for_time(kMinTs), 0u);
  EXPECT_EQ(idx.position_for_time(0), kSegmentHeaderBytes);
  EXPECT_EQ(idx.position_for_time(std::numeric_limits<std::int64_t>::max()),
            idx.entries().back().position);
}

TEST(SparseIndex, PositionForTimeWithNonMonotonicTimestamps) {
  const auto frames = make_frames(0, 2000, jittery_ts);
  for (std::uint32_t interval : {1u, 150u, 1000u}) {
    SCOPED_TRACE(interval);
    const SparseIndex idx = index_of(frames, 0, interval);
    for (std::int64_t t = -6000; t <= 125000; t += 137) check_time_lookup(frames, idx, t);
    for (const Frame& f : frames) {
      check_time_lookup(frames, idx, f.timestamp);
      check_time_lookup(frames, idx, f.timestamp + 1);
    }
  }
}

TEST(SparseIndex, PositionForTimeAfterAClockJumpBack) {
  // Timestamps 100, 200, 300, then the clock jumps back to 10, 20, 30.
  SparseIndex idx(1);
  const std::int64_t ts[] = {100, 200, 300, 10, 20, 30};
  for (int i = 0; i < 6; ++i) idx.on_frame(0, i, 64 + 48 * i, ts[i]);
  // The first frame >= 15 is the one with 100 (at 64): the scan must start there.
  EXPECT_EQ(idx.position_for_time(15), 64u);
  // The first frame >= 250 is the one with 300 (at 160): start at 160 or earlier.
  EXPECT_EQ(idx.position_for_time(250), 160u);
  // Nothing is >= 301: every frame before the last entry is older, so start there.
  EXPECT_EQ(idx.position_for_time(301), 64u + 48u * 5u);
}

// ---------------------------------------------------------------- the index file

TEST(SparseIndexFile, RoundTrip) {
  const std::uint64_t base = 777;
  const auto frames = make_frames(base, 400, jittery_ts);
  const SparseIndex idx = index_of(frames, base, 512);
  const std::uint64_t data_end = frames.back().position + 96;
  const SegmentSummary s = summary_of(frames, data_end);
  const std::string bytes = idx.encode(base, s);

  SparseIndex back(512);
  SegmentSummary got;
  ASSERT_TRUE(back.decode(bytes, base, data_end, &got));
  expect_same_entries(back.entries(), idx.entries());
  EXPECT_EQ(got.data_end, s.data_end);
  EXPECT_EQ(got.record_count, s.record_count);
  EXPECT_EQ(got.first_offset, base);
  EXPECT_EQ(got.last_offset, s.last_offset);
  EXPECT_EQ(got.max_timestamp, s.max_timestamp);
  EXPECT_EQ(back.max_timestamp(), s.max_timestamp);
  // Lookups agree with the index that was written.
  for (const Frame& f : frames) {
    EXPECT_EQ(back.position_for_offset(base, f.offset), idx.position_for_offset(base, f.offset));
    EXPECT_EQ(back.position_for_time(f.timestamp), idx.position_for_time(f.timestamp));
  }
}

TEST(SparseIndexFile, LayoutMatchesTheDocumentedBytes) {
  const std::uint64_t base = 42;
  const auto frames = make_frames(base, 100, monotonic_ts);
  const SparseIndex idx = index_of(frames, base, 300);
  const SegmentSummary s = summary_of(frames, frames.back().position + 40);
  EXPECT_EQ(idx.encode(base, s), index_file(base, s, idx.entries()));
}

TEST(SparseIndexFile, EmptySegmentRoundTrips) {
  SparseIndex idx(100);
  SegmentSummary s;
  s.data_end = kSegmentHeaderBytes;
  const std::string bytes = idx.encode(9, s);
  EXPECT_EQ(bytes.size(), 64u);
  SparseIndex back(100);
  SegmentSummary got;
  ASSERT_TRUE(back.decode(bytes, 9, 1 << 20, &got));
  EXPECT_TRUE(back.entries().empty());
  EXPECT_EQ(got.record_count, 0u);
  EXPECT_EQ(got.data_end, kSegmentHeaderBytes);
  EXPECT_EQ(got.max_timestamp, kMinTs);
}

class SparseIndexDecode : public ::testing::Test {
 protected:
  void SetUp() override {
    frames_ = make_frames(kBase, 300, jittery_ts);
    index_ = index_of(frames_, kBase, 400);
    summary_ = summary_of(frames_, frames_.back().position + 48);
    ASSERT_GT(index_.entries().size(), 3u);
  }

  // Decodes into an index that already holds entries, and checks a refusal leaves it be.
  bool decode(const std::string& bytes, std::uint64_t base = kBase,
              std::uint64_t file_size = 1 << 20) {
    SparseIndex target = index_of(make_frames(0, 5, monotonic_ts), 0, 1);
    const std::vector<IndexEntry> before = target.entries();
    SegmentSummary got;
    got.record_count = 12345;
    const bool ok = target.decode(bytes, base, file_size, &got);
    if (!ok) {
      expect_same_entries(target.entries(), before);
      EXPECT_EQ(got.record_count, 12345u) << "summary written despite refusal";
    }
    return ok;
  }

  std::string with_entries(const std::vector<IndexEntry>& entries) const {
    return index_file(kBase, summary_, entries);
  }

  static constexpr std::uint64_t kBase = 3000;
  std::vector<Frame> frames_;
  SparseIndex index_{400};
  SegmentSummary summary_;
};

TEST_F(SparseIndexDecode, AcceptsTheGoodFile) {
  EXPECT_TRUE(decode(index_.encode(kBase, summary_)));
  EXPECT_TRUE(decode(with_entries(index_.entries())));
}

TEST_F(SparseIndexDecode, RejectsEverySingleByteFlip) {
  const std::string good = index_.encode(kBase, summary_);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      EXPECT_FALSE(decode(bad)) << "byte " << i << " ^ " << int{mask};
    }
  }
}

TEST_F(SparseIndexDecode, RejectsWrongBase) {
  const std::string good = index_.encode(kBase, summary_);
  EXPECT_FALSE(decode(good, kBase + 1));
  EXPECT_FALSE(decode(good, kBase - 1));
  EXPECT_FALSE(decode(good, 0));
}

TEST_F(SparseIndexDecode, RejectsDataEndBeyondTheFile) {
  const std::string good = index_.encode(kBase, summary_);
  EXPECT_TRUE(decode(good, kBase, summary_.data_end));
  EXPECT_FALSE(decode(good, kBase, summary_.data_end - 1));
  EXPECT_FALSE(decode(good, kBase, 0));
}

TEST_F(SparseIndexDecode, RejectsDataEndInsideTheSegmentHeader) {
  SparseIndex empty(400);
  SegmentSummary s;
  s.data_end = kSegmentHeaderBytes - 1;
  EXPECT_FALSE(decode(empty.encode(kBase, s)));
  s.data_end = kSegmentHeaderBytes;
  EXPECT_TRUE(decode(empty.encode(kBase, s)));
}

TEST_F(SparseIndexDecode, RejectsNonIncreasingPositions) {
  std::vector<IndexEntry> e = index_.entries();
  e[2].position = e[1].position;
  EXPECT_FALSE(decode(with_entries(e)));
  e = index_.entries();
  e[2].position = e[1].position - 8;
  EXPECT_FALSE(decode(with_entries(e)));
}

TEST_F(SparseIndexDecode, RejectsNonIncreasingOffsets) {
  std::vector<IndexEntry> e = index_.entries();
  e[2].relative_offset = e[1].relative_offset;
  EXPECT_FALSE(decode(with_entries(e)));
  e = index_.entries();
  e[2].relative_offset = e[1].relative_offset - 1;
  EXPECT_FALSE(decode(with_entries(e)));
}

TEST_F(SparseIndexDecode, RejectsDecreasingRunningMaximum) {
  std::vector<IndexEntry> e = index_.entries();
  e[2].max_timestamp_before = e[1].max_timestamp_before - 1;
  EXPECT_FALSE(decode(with_entries(e)));
  e = index_.entries();
  e[2].max_timestamp_before = e[1].max_timestamp_before;  // equal is fine
  EXPECT_TRUE(decode(with_entries(e)));
}

TEST_F(SparseIndexDecode, RejectsPositionsOutsideTheFrames) {
  std::vector<IndexEntry> e = index_.entries();
  e[0].position = kSegmentHeaderBytes - 8;  // inside the segment header
  EXPECT_FALSE(decode(with_entries(e)));
  e = index_.entries();
  e[1].position += 4;  // not 8-byte aligned
  EXPECT_FALSE(decode(with_entries(e)));
  e = index_.entries();
  e.back().position = static_cast<std::uint32_t>(summary_.data_end);  // at/after data end
  EXPECT_FALSE(decode(with_entries(e)));
}

TEST_F(SparseIndexDecode, RejectsOffsetsBeyondTheLastRecord) {
  std::vector<IndexEntry> e = index_.entries();
  e.back().relative_offset = static_cast<std::uint32_t>(summary_.last_offset - kBase + 1);
  EXPECT_FALSE(decode(with_entries(e)));
  SegmentSummary s = summary_;
  s.last_offset = kBase - 1;  // last record below the segment's base
  EXPECT_FALSE(decode(index_file(kBase, s, index_.entries())));
}

// Regression (fuzzing): a forged index whose last offset lay beyond the offset space moved
// the log's next offset past 2^63, and an acknowledged append was then unreadable.
TEST_F(SparseIndexDecode, RejectsLastOffsetOutsideTheSegmentSpan) {
  SegmentSummary s = summary_;
  s.last_offset = segment_offset_end(kBase);
  EXPECT_FALSE(decode(index_file(kBase, s, index_.entries())));
  s.last_offset = (1ull << 63) + 5;
  EXPECT_FALSE(decode(index_file(kBase, s, index_.entries())));
}

TEST_F(SparseIndexDecode, RejectsMoreRecordsThanOffsets) {
  SegmentSummary s = summary_;
  s.record_count = summary_.last_offset - kBase + 2;  // more records than offsets they span
  EXPECT_FALSE(decode(index_file(kBase, s, index_.entries())));
}

TEST_F(SparseIndexDecode, RejectsRecordCountThatContradictsEntries) {
  SegmentSummary s = summary_;
  s.record_count = 0;
  EXPECT_FALSE(decode(index_file(kBase, s, index_.entries())));
  s = summary_;
  EXPECT_FALSE(decode(index_file(kBase, s, {})));
}

TEST_F(SparseIndexDecode, RejectsWrongSizeOrCount) {
  const std::string good = index_.encode(kBase, summary_);
  EXPECT_FALSE(decode(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(decode(good.substr(0, good.size() - 16)));
  EXPECT_FALSE(decode(good + std::string(16, '\0')));
  EXPECT_FALSE(decode(good.substr(0, 63)));
  EXPECT_FALSE(decode(""));
  const auto& e = index_.entries();
  EXPECT_FALSE(decode(index_file(kBase, static_cast<std::uint32_t>(e.size() + 1), summary_, e)));
  EXPECT_FALSE(decode(index_file(kBase, static_cast<std::uint32_t>(e.size() - 1), summary_, e)));
  EXPECT_FALSE(decode(index_file(kBase, 0xFFFFFFFFu, summary_, e)));
}

TEST_F(SparseIndexDecode, RejectsOtherMagicOrVersion) {
  std::string bad = with_entries(index_.entries());
  bad[1] = 'Q';
  EXPECT_FALSE(decode(bad));
  // Version 2 with a correct checksum.
  std::string v2 = with_entries(index_.entries());
  auto* p = reinterpret_cast<std::uint8_t*>(v2.data());
  io::store_u32(p + 8, 2);
  std::string hashed = v2.substr(0, 56) + v2.substr(64);
  io::store_u64(p + 56, XXH3_64bits(hashed.data(), hashed.size()));
  EXPECT_FALSE(decode(v2));
}

}  // namespace
}  // namespace spool::segment
