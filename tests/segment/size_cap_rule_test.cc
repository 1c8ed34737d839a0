// The size cap's two rules (LogOptions::size_cap_rule): kDeleteOldest deletes what a cursor
// still needs; kKeepNeeded keeps it and refuses to grow past the cap instead, and cap_room()
// never promises more than the log takes (and holds back less than a segment).
#include <gtest/gtest.h>

#include "segment/cap_room.h"
#include "segment/cursor_store.h"
#include "segment/frame_format.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::commit_cursor;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;
using spool::testing::small_segments;

constexpr int kCapSegments = 6;

LogOptions capped(SizeCapRule rule) {
  LogOptions o = small_segments();
  o.retention_bytes = kCapSegments * o.segment_bytes;
  o.size_cap_rule = rule;
  return o;
}

// Appends sample records until the log refuses one; returns how many it took.
std::uint64_t fill(SegmentLog& log, std::uint64_t limit = 100000) {
  for (std::uint64_t i = 0; i < limit; ++i) {
    auto offset = log.append(0, bytes_of(sample_payload(log.next_offset())));
    if (!offset) {
      EXPECT_EQ(offset.status().code(), StatusCode::kNoSpace) << offset.status().to_string();
      return i;
    }
  }
  return limit;
}

TEST(CapRoom, TakesFramesAsAppendPlacesThem) {
  CapRoom unlimited;
  EXPECT_TRUE(unlimited.take(1u << 30));
  CapRoom room{.capped = true, .active_free = 100, .new_segments = 1, .segment_capacity = 300};
  EXPECT_TRUE(room.take(60));    // active: 40 left
  EXPECT_TRUE(room.take(200));   // does not fit in 40: a new segment, 100 left in it
  EXPECT_FALSE(room.take(101));  // no segment left
  EXPECT_TRUE(room.take(100));
  EXPECT_FALSE(room.take(8));
  CapRoom big{.capped = true, .active_free = 0, .new_segments = 5, .segment_capacity = 300};
  EXPECT_FALSE(big.take(301));  // larger than a whole segment
  EXPECT_EQ(big.new_segments, 5u);
}

TEST(SizeCapRule, DeleteOldestDeletesWhatACursorNeeds) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), capped(SizeCapRule::kDeleteOldest));
  ASSERT_NE(log, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  EXPECT_EQ(fill(*log, 2000), 2000u);  // never refused
  EXPECT_GT(log->first_offset(), 0u);
  EXPECT_GT(log->retention_forced_records(), 0u);
  EXPECT_LE(log->disk_bytes(), log->options().retention_bytes);
  EXPECT_FALSE(log->at_size_cap());
}

TEST(SizeCapRule, KeepNeededRefusesToGrowPastTheCapAndDeletesNothingUnread) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), capped(SizeCapRule::kKeepNeeded));
  ASSERT_NE(log, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  const std::uint64_t taken = fill(*log);
  ASSERT_GT(taken, 0u);
  EXPECT_TRUE(log->at_size_cap());
  EXPECT_LE(log->disk_bytes(), log->options().retention_bytes);
  EXPECT_EQ(log->first_offset(), 0u);
  EXPECT_EQ(log->retention_forced_records(), 0u);
  EXPECT_EQ(read_all(*log).size(), taken);  // every record it acknowledged is there

  // The cursor passes three segments: as many of them go as the next segment needs (the
  // oldest first), and the log takes records again.
  const std::uint64_t passed = log->segments()[3]->base_offset();
  commit_cursor(dir.path(), "forwarder", passed);
  ASSERT_TRUE(log->append(0, bytes_of(sample_payload(taken))));
  EXPECT_FALSE(log->at_size_cap());
  EXPECT_GT(log->first_offset(), 0u);
  EXPECT_LE(log->first_offset(), passed);
  EXPECT_EQ(log->retention_forced_records(), 0u);
  EXPECT_LE(log->disk_bytes(), log->options().retention_bytes);
}

TEST(SizeCapRule, KeepNeededWithoutCursorsKeepsEverything) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), capped(SizeCapRule::kKeepNeeded));
  ASSERT_NE(log, nullptr);
  const std::uint64_t taken = fill(*log);
  EXPECT_TRUE(log->at_size_cap());
  EXPECT_EQ(log->first_offset(), 0u);
  EXPECT_EQ(read_all(*log).size(), taken);
}

TEST(SizeCapRule, CapRoomNeverPromisesMoreThanTheLogTakes) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), capped(SizeCapRule::kKeepNeeded));
  ASSERT_NE(log, nullptr);
  commit_cursor(dir.path(), "forwarder", 0);
  CapRoom room = log->cap_room();
  ASSERT_TRUE(room.capped);
  std::uint64_t fitted = 0;
  for (;; ++fitted) {
    const std::string payload = sample_payload(log->next_offset());
    if (!room.take(frame_size(payload.size()))) break;
    ASSERT_TRUE(log->append(0, bytes_of(payload))) << "record " << fitted << " fitted the room";
  }
  EXPECT_GT(fitted, 0u);
  // cap_room() counts each sealed segment at its preallocated size, so it is conservative by
  // the unused tails of the segments it sees sealed: less than one segment's worth of records.
  EXPECT_LT(fill(*log), log->options().segment_bytes / frame_size(1));
  EXPECT_TRUE(log->at_size_cap());
  EXPECT_LE(log->disk_bytes(), log->options().retention_bytes);
}

TEST(SizeCapRule, WithoutACapThereIsNoRoomLimit) {
  testing::TempDir dir;
  auto log = open_log(dir.path(), small_segments());
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->cap_room().capped);
}

}  // namespace
}  // namespace spool::segment
