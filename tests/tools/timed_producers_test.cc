// The timed producer loop shared by `spoolctl produce` and the end-to-end driver
// (tools/timed_producers.h): which spans it appends, from how many threads, what it counts.
// Only counts and orders are checked, never durations.
#include "tools/timed_producers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <vector>

namespace spool::tools {
namespace {

// Counts appends per span of a set as large as the plan, so each span is one plan index.
class AppendCounter {
 public:
  explicit AppendCounter(const StandardSpanSet& set)
      : set_(set), counts_(std::make_unique<std::atomic<int>[]>(set.size())) {}
  bool operator()(const Span& span) {
    counts_[static_cast<std::size_t>(&span - set_.spans().data())].fetch_add(1);
    total_.fetch_add(1);
    return true;
  }
  int count(std::size_t i) const { return counts_[i].load(); }
  int total() const { return total_.load(); }

 private:
  const StandardSpanSet& set_;
  std::unique_ptr<std::atomic<int>[]> counts_;
  std::atomic<int> total_{0};
};

TEST(SummarizeLatencies, NearestRankQuantiles) {
  std::vector<std::uint64_t> ns(1000);
  std::iota(ns.rbegin(), ns.rend(), 1);  // 1000 .. 1
  const LatencySummary s = summarize_latencies(ns);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.p50_ns, 500u);
  EXPECT_EQ(s.p99_ns, 990u);
  EXPECT_EQ(s.p999_ns, 999u);
  EXPECT_EQ(s.max_ns, 1000u);

  std::vector<std::uint64_t> one{7};
  const LatencySummary single = summarize_latencies(one);
  EXPECT_EQ(single.p50_ns, 7u);
  EXPECT_EQ(single.p999_ns, 7u);
  std::vector<std::uint64_t> none;
  EXPECT_EQ(summarize_latencies(none).max_ns, 0u);
}

TEST(RunTimedProducers, EverySpanOnceAcrossThreadsWithTheRemainderSpread) {
  for (unsigned threads : {1u, 2u, 3u, 7u}) {
    const StandardSpanSet set(1001);
    AppendCounter counter(set);
    int finished = 0;
    int appended_before_finish = -1;
    ProducerPlan plan;
    plan.threads = threads;
    plan.spans = set.size();
    const ProducerRun run = run_timed_producers(
        set, plan, [&](const Span& s) { return counter(s); },
        [&] {
          ++finished;
          appended_before_finish = counter.total();
        });
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(appended_before_finish, 1001);
    for (std::size_t i = 0; i < set.size(); ++i) ASSERT_EQ(counter.count(i), 1) << i;
    EXPECT_EQ(run.latency.count, 1001u);
    EXPECT_EQ(run.not_queued, 0u);
    EXPECT_LE(run.latency.p50_ns, run.latency.p99_ns);
    EXPECT_LE(run.latency.p99_ns, run.latency.p999_ns);
    EXPECT_LE(run.latency.p999_ns, run.latency.max_ns);
    EXPECT_GT(run.seconds, 0.0);
  }
}

TEST(RunTimedProducers, BurstsCoverThePlanAndTheLastBurstMayBeShort) {
  for (unsigned threads : {1u, 2u}) {
    const StandardSpanSet set(250);
    AppendCounter counter(set);
    ProducerPlan plan;
    plan.threads = threads;
    plan.spans = set.size();
    plan.burst_spans = 100;  // 100, 100, 50
    plan.idle = std::chrono::milliseconds(1);
    const ProducerRun run = run_timed_producers(
        set, plan, [&](const Span& s) { return counter(s); }, [] {});
    for (std::size_t i = 0; i < set.size(); ++i) ASSERT_EQ(counter.count(i), 1) << i;
    EXPECT_EQ(run.latency.count, 250u);
  }
}

TEST(RunTimedProducers, CyclesThroughAPoolSmallerThanThePlanAndCountsRefusals) {
  const StandardSpanSet set(10);
  AppendCounter counter(set);
  std::atomic<int> calls{0};
  ProducerPlan plan;
  plan.threads = 2;
  plan.spans = 95;
  const ProducerRun run = run_timed_producers(
      set, plan,
      [&](const Span& s) {
        counter(s);
        return calls.fetch_add(1) % 5 != 0;  // every 5th call refused
      },
      [] {});
  EXPECT_EQ(counter.total(), 95);
  for (std::size_t i = 0; i < set.size(); ++i) EXPECT_EQ(counter.count(i), i < 5 ? 10 : 9) << i;
  EXPECT_EQ(run.not_queued, 19u);
}

}  // namespace
}  // namespace spool::tools
