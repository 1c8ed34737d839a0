// tools/lane_spec: --lane specs and [[lane]] keys become LaneOptions, bad ones are refused
// naming what is wrong.
#include "tools/lane_spec.h"

#include <gtest/gtest.h>

namespace spool::tools {
namespace {

TEST(LaneSpec, ANameARouteAndKeys) {
  auto lane = parse_lane_spec(
      "logs=log,metric@low;max_bytes=16MiB;policy=drop_oldest;durability=batch;"
      "block_timeout_ms=250;sample_above_fill=0.5;breaker_failure_threshold=3");
  ASSERT_TRUE(lane.is_ok()) << lane.status().to_string();
  EXPECT_EQ(lane->name, "logs");
  EXPECT_EQ(lane->route, (std::vector<std::string>{"log", "metric@low"}));
  EXPECT_EQ(lane->max_bytes, 16ull << 20);
  EXPECT_EQ(lane->full_policy, FullPolicy::kDropOldest);
  EXPECT_EQ(lane->durability, Durability::kBatch);
  EXPECT_EQ(lane->block_timeout_ms, 250u);
  EXPECT_EQ(lane->sample_above_fill, 0.5);
  EXPECT_EQ(lane->breaker_failure_threshold, 3u);
  EXPECT_FALSE(lane->queue_bytes.has_value());  // unset: the Buffer's
}

TEST(LaneSpec, SizesTakeTheToolsUnits) {
  LaneOptions lane;
  ASSERT_TRUE(set_lane_key(&lane, "queue_bytes", "1MB").is_ok());
  EXPECT_EQ(lane.queue_bytes, 1'000'000u);
  ASSERT_TRUE(set_lane_key(&lane, "segment_bytes", "2M").is_ok());
  EXPECT_EQ(lane.segment_bytes, 2ull << 20);
  ASSERT_TRUE(set_lane_key(&lane, "full_policy", "block").is_ok());
  EXPECT_EQ(lane.full_policy, FullPolicy::kBlock);
}

TEST(LaneSpec, PolicySetsTheQueueAndTheDiskPolicyAlike) {
  LaneOptions lane;
  ASSERT_TRUE(set_lane_key(&lane, "policy", "block").is_ok());
  EXPECT_EQ(lane.full_policy, FullPolicy::kBlock);
  EXPECT_EQ(lane.disk_full_policy, FullPolicy::kBlock);
  ASSERT_TRUE(set_lane_key(&lane, "disk_full_policy", "drop_newest").is_ok());
  EXPECT_EQ(lane.full_policy, FullPolicy::kBlock);
  EXPECT_EQ(lane.disk_full_policy, FullPolicy::kDropNewest);
  EXPECT_FALSE(set_lane_key(&lane, "disk_full_policy", "never").is_ok());
}

TEST(LaneSpec, WhatIsWrongIsNamed) {
  struct Case {
    const char* spec;
    const char* says;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"logs", "is not NAME=TERM"},
           {"=log", "is not NAME=TERM"},
           {"logs=", "is not NAME=TERM"},
           {"logs=log;max_bytes", "'max_bytes' is not KEY=VALUE"},
           {"logs=log;max_bytes=lots", "max_bytes: 'lots' is not a size"},
           {"logs=log;policy=never", "policy: 'never' is not one of block"},
           {"logs=log;sample_above_fill=2", "sample_above_fill: '2' is not a fraction"},
           {"logs=log;colour=red", "unknown lane key 'colour'"},
       }) {
    auto lane = parse_lane_spec(c.spec);
    ASSERT_FALSE(lane.is_ok()) << c.spec;
    EXPECT_EQ(lane.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(lane.status().message().find(c.says), std::string::npos)
        << c.spec << ": " << lane.status().message();
  }
}

}  // namespace
}  // namespace spool::tools
