// The dead-letter log's own retention: a byte cap and an age limit delete whole sealed
// segments of dead letters; what they delete before it was requeued is counted, persisted
// and visible to read-only tools.
#include <gtest/gtest.h>

#include <vector>

#include "engine/forward/dead_letter_log.h"
#include "segment/segment_log.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using testing::TempDir;

constexpr std::uint32_t kMaxPayload = 1024;
constexpr std::uint64_t kSegmentBytes = 8 * 1024;

std::unique_ptr<DeadLetterLog> open_log(const std::string& dir) {
  auto log = DeadLetterLog::open(dir, kMaxPayload, kSegmentBytes);
  EXPECT_TRUE(log) << log.status().to_string();
  return std::move(*log);
}

void append(DeadLetterLog& log, std::uint64_t first, std::uint64_t n) {
  std::vector<std::uint8_t> payload(512, 0x5a);
  for (std::uint64_t i = first; i < first + n; ++i) {
    DeadLetterInput in;
    in.log_id = 7;
    in.offset = i;
    in.error = "HTTP 400: no";
    in.payload = payload;
    ASSERT_TRUE(log.append(std::span<const DeadLetterInput>(&in, 1)));
  }
}

TEST(DeadLetterRetention, ByteCapDeletesOldestSegmentsAndCountsThem) {
  TempDir dir;
  auto log = open_log(dir.path());
  append(*log, 0, 200);  // ~120 KiB in 8 KiB segments
  ASSERT_EQ(log->pending(), 200u);
  auto dropped = log->enforce_retention(DeadLetterRetention{32 * 1024, 0});
  ASSERT_TRUE(dropped) << dropped.status().to_string();
  EXPECT_GT(*dropped, 0u);
  EXPECT_EQ(log->dropped_by_retention(), *dropped);
  EXPECT_EQ(log->pending() + *dropped, 200u) << "every dead letter is pending or counted as dropped";
  auto left = log->list();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->size(), log->pending());
  EXPECT_EQ(left->back().offset, 199u) << "the newest are kept";
  // Persisted: a read-only open (spoolctl stats) sees the count.
  ASSERT_TRUE(log->close());
  log.reset();
  auto ro = DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(ro);
  EXPECT_EQ((*ro)->dropped_by_retention(), *dropped);
  EXPECT_EQ((*ro)->pending(), 200u - *dropped);
}

TEST(DeadLetterRetention, AgeLimitDeletesSealedSegmentsSetAsideLongAgo) {
  TempDir dir;
  auto log = open_log(dir.path());
  append(*log, 0, 60);
  // Nothing is a day old: an age limit of a day keeps everything.
  auto none = log->enforce_retention(DeadLetterRetention{0, 24ull * 3600 * 1000});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
  // 1 ms: every sealed segment is older than that by the time we look (the active stays).
  std::uint64_t dropped = 0;
  for (int i = 0; i < 1000 && dropped == 0; ++i) {
    auto d = log->enforce_retention(DeadLetterRetention{0, 1});
    ASSERT_TRUE(d);
    dropped = *d;
  }
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, 60u) << "the active segment is never deleted";
  EXPECT_EQ(log->dropped_by_retention(), dropped);
}

TEST(DeadLetterRetention, RequeuedDeadLettersAreNotCountedAsDropped) {
  TempDir dir;
  auto log = open_log(dir.path());
  append(*log, 0, 200);
  auto main = segment::SegmentLog::open(dir.sub("main"), LogOptions{});
  ASSERT_TRUE(main);
  auto requeued = log->requeue(**main);
  ASSERT_TRUE(requeued);
  ASSERT_EQ(*requeued, 200u);
  auto dropped = log->enforce_retention(DeadLetterRetention{32 * 1024, 0});
  ASSERT_TRUE(dropped);
  EXPECT_EQ(*dropped, 0u);
  EXPECT_EQ(log->dropped_by_retention(), 0u);
  EXPECT_EQ(log->pending(), 0u);
}

TEST(DeadLetterRetention, ZeroCapsAreOff) {
  TempDir dir;
  auto log = open_log(dir.path());
  append(*log, 0, 100);
  auto dropped = log->enforce_retention(DeadLetterRetention{0, 0});
  ASSERT_TRUE(dropped);
  EXPECT_EQ(*dropped, 0u);
  EXPECT_EQ(log->pending(), 100u);
}

}  // namespace
}  // namespace spool::engine
