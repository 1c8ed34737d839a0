// engine/produce/lane_settings: lane names, directories, validation of Options::lanes and the
// Options a lane's log opens with.
#include "engine/produce/lane_settings.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "segment/segment_log.h"
#include "support/lanes.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using spool::testing::TempDir;

LaneOptions lane(std::string name, std::vector<std::string> route = {"log"}) {
  return spool::testing::lane(std::move(name), std::move(route));
}

TEST(LaneSettings, NamesAreShortLowercaseWordsAndNotDefault) {
  for (std::string_view ok : {"logs", "a", "span-lane_2", "abcdefghijklmnopqrstuvwxyz012345"}) {
    EXPECT_TRUE(valid_lane_name(ok)) << ok;
  }
  for (std::string_view bad :
       {"", "default", "Logs", "a/b", "..", ".", "a b", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    EXPECT_FALSE(valid_lane_name(bad)) << bad;
  }
}

TEST(LaneSettings, TheDefaultLaneIsTheDirectoryItself) {
  EXPECT_EQ(lane_directory("/var/spool/t", "default"), "/var/spool/t");
  EXPECT_EQ(lane_directory("/var/spool/t", "logs"), "/var/spool/t/lanes/logs");
}

TEST(LaneSettings, ValidationNamesTheLaneAndTheField) {
  Options o;
  o.lanes = {lane("logs"), lane("logs", {"span"})};
  Status s = validate_lanes(o);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'logs' is declared twice"), std::string::npos) << s.message();

  o.lanes = {lane("Bad Name")};
  s = validate_lanes(o);
  EXPECT_NE(s.message().find("lane name 'Bad Name'"), std::string::npos) << s.message();

  o.lanes = {lane("logs")};
  o.lanes[0].segment_bytes = 0;
  s = validate_lanes(o);
  EXPECT_NE(s.message().find("lane 'logs': segment_bytes"), std::string::npos) << s.message();

  o.lanes.clear();
  for (std::size_t i = 0; i < kMaxLanes; ++i)
    o.lanes.push_back(lane("l" + std::to_string(i), {"record:t" + std::to_string(i)}));
  s = validate_lanes(o);
  EXPECT_NE(s.message().find("at most 15"), std::string::npos) << s.message();
  o.lanes.pop_back();
  EXPECT_TRUE(validate_lanes(o).is_ok());
}

TEST(LaneSettings, ALaneInheritsWhatItDoesNotSet) {
  Options base;
  base.queue_bytes = 32ull << 20;
  base.min_queue_bytes = 8ull << 20;
  base.full_policy = FullPolicy::kDropNewest;
  base.block_timeout_ms = 7;
  base.log.durability = Durability::kInterval;
  base.log.log_id = 42;
  base.log.retention_max_age_ms = 1000;
  base.lanes = {lane("x")};

  LaneOptions l = lane("logs");
  l.full_policy = FullPolicy::kDropOldest;
  l.queue_bytes = 1ull << 20;
  l.durability = Durability::kBatch;
  const Options o = lane_buffer_options(base, l);
  EXPECT_TRUE(o.lanes.empty());
  EXPECT_EQ(o.log.log_id, 0u);  // a log id of its own
  EXPECT_EQ(o.full_policy, FullPolicy::kDropOldest);
  EXPECT_EQ(o.queue_bytes, 1ull << 20);
  EXPECT_EQ(o.min_queue_bytes, 1ull << 20);  // not above its budget
  EXPECT_EQ(o.log.durability, Durability::kBatch);
  EXPECT_EQ(o.block_timeout_ms, 7u);
  EXPECT_EQ(o.log.retention_max_age_ms, 1000u);
  EXPECT_EQ(o.log.segment_bytes, base.log.segment_bytes);  // no cap: the Buffer's segments
  EXPECT_EQ(o.disk_full_policy, base.disk_full_policy);    // unset: the Buffer's

  l.disk_full_policy = FullPolicy::kBlock;
  EXPECT_EQ(lane_buffer_options(base, l).disk_full_policy, FullPolicy::kBlock);
}

TEST(LaneSettings, ACappedLaneGetsSegmentsThatFitItsCap) {
  Options base;
  LaneOptions l = lane("logs");
  l.max_bytes = 16ull << 20;
  Options o = lane_buffer_options(base, l);
  EXPECT_EQ(o.log.retention_bytes, 16ull << 20);
  EXPECT_EQ(o.log.segment_bytes, 2ull << 20);
  l.max_bytes = 2ull << 20;  // at least 1 MiB
  EXPECT_EQ(lane_buffer_options(base, l).log.segment_bytes, 1ull << 20);
  l.segment_bytes = 4096;  // its own choice wins
  EXPECT_EQ(lane_buffer_options(base, l).log.segment_bytes, 4096u);
}

TEST(LaneSettings, OnlyMarkedLaneDirectoriesAreLanes) {
  TempDir dir;
  EXPECT_TRUE(lanes_on_disk(dir.path()).empty());
  ASSERT_EQ(::mkdir((dir.path() + "/lanes").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dir.path() + "/lanes/empty").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dir.path() + "/lanes/Not_A_Name").c_str(), 0700), 0);
  std::ofstream(dir.path() + "/lanes/file") << "x";
  for (const char* name : {"b", "a"}) {
    LogOptions o;
    o.segment_bytes = 4096;
    auto log =
        segment::SegmentLog::open(dir.path() + "/lanes/" + name, o, segment::OpenMode::kReadWrite);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  }
  EXPECT_EQ(lanes_on_disk(dir.path()), (std::vector<std::string>{"a", "b"}));
}

TEST(LaneSettings, TimeLeftOfADeadlineSharedByLanes) {
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(timeout_left_ms(now, 0), 0u);                              // no limit stays no limit
  EXPECT_EQ(timeout_left_ms(now - std::chrono::seconds(1), 500), 1u);  // past: one last try
  const std::uint32_t left = timeout_left_ms(now + std::chrono::seconds(10), 20000);
  EXPECT_GT(left, 9000u);
  EXPECT_LE(left, 10000u);
}

TEST(LaneSettings, LaneErrorsNameTheLane) {
  EXPECT_EQ(lane_status("logs", Status::no_space("disk full")).message(), "lane 'logs': disk full");
  EXPECT_EQ(lane_status("default", Status::no_space("disk full")).message(), "disk full");
  EXPECT_TRUE(lane_status("logs", Status::ok()).is_ok());
}

}  // namespace
}  // namespace spool::engine
