// engine::LaneRoute: route terms parse, the most specific term decides whatever the
// declaration order, and conflicting or malformed routes are refused naming the lanes.
#include "engine/produce/lane_route.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/lanes.h"

namespace spool::engine {
namespace {

using spool::testing::lane;

LaneRoute compiled(const std::vector<LaneOptions>& lanes) {
  auto route = LaneRoute::compile(lanes);
  EXPECT_TRUE(route.is_ok()) << route.status().to_string();
  return route ? *route : LaneRoute();
}

Status refusal(const std::vector<LaneOptions>& lanes) {
  auto route = LaneRoute::compile(lanes);
  return route ? Status::ok() : route.status();
}

TEST(LaneRoute, WithoutLanesEverythingGoesToTheDefaultLane) {
  const LaneRoute route = compiled({});
  for (RecordKind kind : {RecordKind::kRawFrame, RecordKind::kSpan, RecordKind::kLog,
                          RecordKind::kMetric, RecordKind::kRecord}) {
    for (Priority p : {Priority::kLow, Priority::kNormal, Priority::kHigh, Priority::kCritical}) {
      EXPECT_EQ(route.lane_of(kind, p, "any"), 0u);
    }
  }
  EXPECT_FALSE(route.routes_by_type());
}

TEST(LaneRoute, AKindTermTakesEveryRecordOfItsKind) {
  const LaneRoute route = compiled({lane("logs", {"log"}), lane("numbers", {"metric", "raw"})});
  EXPECT_EQ(route.lane_of(RecordKind::kLog, Priority::kLow), 1u);
  EXPECT_EQ(route.lane_of(RecordKind::kLog, Priority::kCritical), 1u);
  EXPECT_EQ(route.lane_of(RecordKind::kMetric, Priority::kNormal), 2u);
  EXPECT_EQ(route.lane_of(RecordKind::kRawFrame, Priority::kNormal), 2u);
  EXPECT_EQ(route.lane_of(RecordKind::kSpan, Priority::kNormal), 0u);
}

// record:TYPE > KIND@P(+) > KIND > *@P(+) > default, in either declaration order.
TEST(LaneRoute, TheMostSpecificTermDecidesWhateverTheOrder) {
  std::vector<LaneOptions> lanes{lane("urgent", {"*@critical"}), lane("spans", {"span"}),
                                 lane("hot_spans", {"span@high+"}),
                                 lane("actions", {"record:action"})};
  for (int order = 0; order < 2; ++order) {
    const LaneRoute route = compiled(lanes);
    auto named = [&](RecordKind kind, Priority p, std::string_view type = {}) {
      return lanes[route.lane_of(kind, p, type) - 1].name;
    };
    EXPECT_EQ(named(RecordKind::kSpan, Priority::kNormal), "spans");
    EXPECT_EQ(named(RecordKind::kSpan, Priority::kHigh), "hot_spans");
    EXPECT_EQ(named(RecordKind::kSpan, Priority::kCritical), "hot_spans");  // kind@P beats *@P
    EXPECT_EQ(named(RecordKind::kLog, Priority::kCritical), "urgent");
    EXPECT_EQ(named(RecordKind::kRecord, Priority::kCritical, "action"), "actions");
    EXPECT_EQ(named(RecordKind::kRecord, Priority::kLow, "action"), "actions");
    EXPECT_EQ(named(RecordKind::kRecord, Priority::kCritical, "other"), "urgent");
    EXPECT_EQ(route.lane_of(RecordKind::kLog, Priority::kHigh), 0u);
    EXPECT_EQ(route.lane_of(RecordKind::kRecord, Priority::kNormal, "other"), 0u);
    EXPECT_TRUE(route.routes_by_type());
    std::reverse(lanes.begin(), lanes.end());
  }
}

TEST(LaneRoute, PriorityRangesCoverThePriorityAndAbove) {
  const LaneRoute route = compiled({lane("important", {"*@high+"}), lane("quiet", {"log@low"})});
  EXPECT_EQ(route.lane_of(RecordKind::kMetric, Priority::kNormal), 0u);
  EXPECT_EQ(route.lane_of(RecordKind::kMetric, Priority::kHigh), 1u);
  EXPECT_EQ(route.lane_of(RecordKind::kMetric, Priority::kCritical), 1u);
  EXPECT_EQ(route.lane_of(RecordKind::kLog, Priority::kLow), 2u);
  EXPECT_EQ(route.lane_of(RecordKind::kLog, Priority::kNormal), 0u);
}

TEST(LaneRoute, KindsThisVersionDoesNotKnowGoToTheDefaultLane) {
  const LaneRoute route = compiled({lane("all_low", {"*@low+"})});
  EXPECT_EQ(route.lane_of(RecordKind::kSpan, Priority::kNormal), 1u);
  EXPECT_EQ(route.lane_of(static_cast<RecordKind>(9), Priority::kNormal), 0u);
}

TEST(LaneRoute, TwoLanesClaimingTheSameRecordsAtOneRankAreRefusedNamingBoth) {
  for (const auto& [a, b] :
       std::vector<std::pair<std::string, std::string>>{{"span", "span"},
                                                        {"span@high+", "span@critical"},
                                                        {"*@low+", "*@normal"},
                                                        {"record:x", "record:x"}}) {
    const Status s = refusal({lane("first", {a}), lane("second", {b})});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << a << " / " << b;
    EXPECT_NE(s.message().find("'first'"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("'second'"), std::string::npos) << s.message();
  }
  // The same records at different ranks are not a conflict, nor one lane naming them twice.
  EXPECT_TRUE(refusal({lane("first", {"span"}), lane("second", {"span@high"})}).is_ok());
  EXPECT_TRUE(refusal({lane("first", {"span", "span@low", "span@low+"})}).is_ok());
}

TEST(LaneRoute, MalformedTermsAreRefusedNamingTheLaneAndTheTerm) {
  for (const std::string term :
       {"spans", "span@urgent", "*", "record:", "", "@high", "span@", "log@+"}) {
    const Status s = refusal({lane("mine", {term})});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "'" << term << "'";
    EXPECT_NE(s.message().find("lane 'mine'"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("'" + term + "'"), std::string::npos) << s.message();
  }
  const Status empty = refusal({lane("mine", {})});
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("route is empty"), std::string::npos) << empty.message();
}

}  // namespace
}  // namespace spool::engine
