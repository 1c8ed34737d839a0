// spool::evaluate_health (engine/forward/health.cc): healthy inputs give no warning; each
// check names its code with the figures that tripped it. Here: the bandwidth budget's
// daily_cap_reached (the general allowance spent, or the whole cap) and bandwidth_limited
// (the rate limit held a send back recently), and that the others stay quiet meanwhile.
#include "spool/health.h"

#include <gtest/gtest.h>

#include <string>

namespace spool {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

HealthInputs with_budget(BandwidthHealthInputs b) {
  HealthInputs in;
  in.now_ns = kNow;
  in.bandwidth.push_back(std::move(b));
  return in;
}

const HealthWarning* find(const HealthReport& r, const std::string& code) {
  for (const HealthWarning& w : r.warnings) {
    if (w.code == code) return &w;
  }
  return nullptr;
}

TEST(HealthTest, DefaultInputsAreHealthy) {
  EXPECT_TRUE(evaluate_health(HealthInputs{}).healthy());
}

TEST(HealthTest, DailyCapOpenIsHealthy) {
  const HealthReport r = evaluate_health(with_budget({"otlp", 1'000, 200, 799, 0, 0}));
  EXPECT_TRUE(r.healthy());
}

TEST(HealthTest, DailyCapCriticalOnlyWarnsWithTheReserve) {
  const HealthReport r = evaluate_health(with_budget({"otlp", 1'000, 200, 800, 0, 0}));
  const HealthWarning* w = find(r, "daily_cap_reached");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("cursor otlp"), std::string::npos) << w->message;
  EXPECT_NE(w->message.find("800"), std::string::npos) << w->message;
  EXPECT_NE(w->message.find("only batches of critical records"), std::string::npos) << w->message;
  EXPECT_NE(w->message.find("00:00 UTC"), std::string::npos) << w->message;
  EXPECT_EQ(r.warnings.size(), 1u);
}

TEST(HealthTest, DailyCapSpentWarnsThatNothingIsSent) {
  const HealthReport r = evaluate_health(with_budget({"otlp", 1'000, 200, 1'200, 0, 0}));
  const HealthWarning* w = find(r, "daily_cap_reached");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("nothing is sent until 00:00 UTC"), std::string::npos) << w->message;
}

TEST(HealthTest, RateLimitedWhileItHeldASendBackRecently) {
  HealthInputs in = with_budget({"otlp", 0, 0, 0, 1'048'576, kNow - 2 * kSecond});
  const HealthReport recent = evaluate_health(in);
  const HealthWarning* w = find(recent, "bandwidth_limited");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("1048576 bytes/s"), std::string::npos) << w->message;
  in.bandwidth[0].last_rate_limited_ns = kNow - 11 * kSecond;  // beyond the 10 s default
  EXPECT_TRUE(evaluate_health(in).healthy());
  HealthThresholds th;
  th.rate_limited_ms = 60'000;
  EXPECT_NE(find(evaluate_health(in, th), "bandwidth_limited"), nullptr);
  in.bandwidth[0].last_rate_limited_ns = 0;  // never
  EXPECT_TRUE(evaluate_health(in, th).healthy());
}

TEST(HealthTest, EachBudgetIsCheckedOnItsOwn) {
  HealthInputs in = with_budget({"a", 1'000, 0, 1'000, 0, 0});
  in.bandwidth.push_back({"b", 1'000, 0, 10, 0, 0});
  in.bandwidth.push_back({"c", 5, 0, 5, 0, 0});
  const HealthReport r = evaluate_health(in);
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_NE(r.warnings[0].message.find("cursor a"), std::string::npos);
  EXPECT_NE(r.warnings[1].message.find("cursor c"), std::string::npos);
}

}  // namespace
}  // namespace spool
