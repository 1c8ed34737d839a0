// engine/produce/lane_record.h: a lane's record round-trips every setting, keeps a retired
// lane's settings without a route, skips a newer writer's keys, and refuses damage by name.
#include "engine/produce/lane_record.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <fstream>
#include <string>

#include "io/hex.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

LaneOptions full_lane() {
  LaneOptions l;
  l.name = "spans";
  l.route = {"span", "*@critical", "record:action"};
  l.max_bytes = 16u << 20;
  l.max_age_ms = 3'600'000;
  l.segment_bytes = 2u << 20;
  l.full_policy = FullPolicy::kBlock;
  l.disk_full_policy = FullPolicy::kSample;
  l.queue_bytes = 1u << 20;
  l.block_timeout_ms = 250;
  l.sample_above_fill = 0.75;
  l.sample_keep_one_in = 7;
  l.durability = Durability::kBatch;
  l.sync_interval_ms = 50;
  l.breaker_failure_threshold = 3;
  return l;
}

void expect_same(const LaneOptions& a, const LaneOptions& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.route, b.route);
  EXPECT_EQ(a.max_bytes, b.max_bytes);
  EXPECT_EQ(a.max_age_ms, b.max_age_ms);
  EXPECT_EQ(a.segment_bytes, b.segment_bytes);
  EXPECT_EQ(a.full_policy, b.full_policy);
  EXPECT_EQ(a.disk_full_policy, b.disk_full_policy);
  EXPECT_EQ(a.queue_bytes, b.queue_bytes);
  EXPECT_EQ(a.block_timeout_ms, b.block_timeout_ms);
  EXPECT_EQ(a.sample_above_fill, b.sample_above_fill);
  EXPECT_EQ(a.sample_keep_one_in, b.sample_keep_one_in);
  EXPECT_EQ(a.durability, b.durability);
  EXPECT_EQ(a.sync_interval_ms, b.sync_interval_ms);
  EXPECT_EQ(a.breaker_failure_threshold, b.breaker_failure_threshold);
}

TEST(LaneRecord, RoundTripsEverySetting) {
  const LaneOptions l = full_lane();
  const std::string text = encode_lane_record(l);
  EXPECT_TRUE(text.starts_with("spool-lane 1\nname spans\nroute span,*@critical,record:action\n"));
  auto back = decode_lane_record(text);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  expect_same(*back, l);
}

TEST(LaneRecord, UnsetFieldsStayUnsetAndNoRouteMeansRetired) {
  LaneOptions l;
  l.name = "logs";
  const std::string text = encode_lane_record(l);
  EXPECT_EQ(text.find("route"), std::string::npos);
  EXPECT_EQ(text.find("max_bytes"), std::string::npos);
  auto back = decode_lane_record(text);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(back->route.empty());
  EXPECT_FALSE(back->max_bytes.has_value());
  EXPECT_FALSE(back->full_policy.has_value());
}

TEST(LaneRecord, DamageIsRefusedSayingWhat) {
  const std::string good = encode_lane_record(full_lane());
  struct Case {
    std::string text;
    const char* says;
  };
  std::string flipped = good;
  flipped[flipped.find("16777216")] = '2';
  std::string no_checksum = good.substr(0, good.rfind("checksum "));
  for (const Case& c : std::initializer_list<Case>{
           {flipped, "checksum mismatch"},
           {no_checksum, "no checksum line"},
           {good.substr(0, good.size() - 1), "not complete"},
           {"", "not complete"},
           {std::string(kMaxLaneRecordBytes + 1, '\n'), "larger than"},
       }) {
    auto r = decode_lane_record(c.text);
    ASSERT_FALSE(r.is_ok()) << c.says;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
}

// `body` with a checksum line that matches it: text another writer could have made.
std::string sealed(const std::string& body) {
  return body + "checksum " + io::hex_u64(XXH3_64bits(body.data(), body.size())) + "\n";
}

TEST(LaneRecord, ANewerWritersKeysAreSkipped) {
  auto r =
      decode_lane_record(sealed("spool-lane 1\nname logs\nroute log\ncolour red\nmax_bytes 5\n"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->route, (std::vector<std::string>{"log"}));
  EXPECT_EQ(r->max_bytes, 5u);
}

TEST(LaneRecord, WellSealedNonsenseIsRefusedSayingWhat) {
  struct Case {
    const char* body;
    const char* says;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"spool-lane 2\nname logs\n", "does not start with 'spool-lane 1'"},
           {"spool-lane 1\nname logs\nmax_bytes lots\n", "max_bytes 'lots'"},
           {"spool-lane 1\nname logs\nmax_bytes -1\n", "max_bytes '-1'"},
           {"spool-lane 1\nname logs\nfull_policy never\n", "full_policy 'never'"},
           {"spool-lane 1\nname logs\ndurability always\n", "durability 'always'"},
           {"spool-lane 1\nname ../etc\n", "'../etc' is not a lane name"},
           {"spool-lane 1\nroute log\n", "'' is not a lane name"},
           {"spool-lane 1\nname logs\nroute\n", "is not KEY VALUE"},
           {"spool-lane 1\nname logs\nroute \n", "has an empty term"},
           {"spool-lane 1\nname logs\nroute log,,span\n", "has an empty term"},
           {"spool-lane 1\nname logs\nroute log,\n", "has an empty term"},
           {"", "it is empty"},
       }) {
    auto r = decode_lane_record(sealed(c.body));
    ASSERT_FALSE(r.is_ok()) << c.says;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
}

TEST(LaneRecord, ReadsAndWritesTheFileInTheLanesDirectory) {
  testing::TempDir dir;
  auto none = read_lane_record(dir.path());
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(write_lane_record(dir.path(), full_lane(), 0600).is_ok());
  auto back = read_lane_record(dir.path());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_TRUE(back->has_value());
  expect_same(**back, full_lane());

  // A damaged file is refused naming it.
  {
    std::ofstream out(dir.path() + "/LANE", std::ios::app);
    out << "max_bytes 1\n";
  }
  auto damaged = read_lane_record(dir.path());
  ASSERT_FALSE(damaged.is_ok());
  EXPECT_NE(damaged.status().message().find(dir.path() + "/LANE"), std::string::npos)
      << damaged.status().message();
}

}  // namespace
}  // namespace spool::engine
