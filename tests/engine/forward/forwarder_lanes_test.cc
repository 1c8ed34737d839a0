// spool::Forwarder over a Buffer with lanes: every lane is forwarded through a cursor of its
// own, batches never mix lanes and carry their lane's log id, the accounting identity holds
// per lane and summed, ForwarderOptions::lanes picks lanes, one lane's failing records open
// only that lane's breaker, and Forwarder::open finds the lanes on disk.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "support/forwarder_fixtures.h"
#include "support/lanes.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

// Every wait of these tests ends: a flush that takes longer fails the test (TimedOut).
std::uint32_t wait_ms() { return static_cast<std::uint32_t>(testing::scaled(std::chrono::seconds(60)).count()); }

using testing::append_seq;
using testing::eventually;
using testing::TempDir;

using spool::testing::lane;

// What a sink saw of each lane: the log id its batches carried and every offset delivered.
struct Seen {
  std::mutex mu;
  std::map<std::string, std::set<std::uint64_t>> log_ids;
  std::map<std::string, std::multiset<std::uint64_t>> offsets;
  std::atomic<int> concurrent{0};
  std::atomic<int> most_concurrent{0};

  FlushResult take(const ForwardBatch& batch) {
    const int now = ++concurrent;
    int seen = most_concurrent.load();
    while (now > seen && !most_concurrent.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard lock(mu);
      const std::string lane(batch.lane);
      log_ids[lane].insert(batch.log_id);
      for (const ForwardRecord& r : batch.records) offsets[lane].insert(r.offset);
    }
    --concurrent;
    return FlushResult::succeeded();
  }
  std::size_t delivered(const std::string& lane) {
    std::lock_guard lock(mu);
    return offsets[lane].size();
  }
};

std::unique_ptr<Buffer> open_lanes(const std::string& dir, std::vector<LaneOptions> lanes) {
  Options o = testing::small_buffer_options();
  o.full_policy = FullPolicy::kBlock;
  o.block_timeout_ms = 30'000;
  o.lanes = std::move(lanes);
  auto buffer = Buffer::open(dir, o);
  EXPECT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  return buffer ? std::move(*buffer) : nullptr;
}

void append_logs(Buffer& buffer, int n) {
  for (int i = 0; i < n; ++i) {
    LogRecord log;
    log.body = "line";
    ASSERT_TRUE(buffer.append(log).is_ok());
  }
}

std::unique_ptr<Forwarder> start(Buffer& buffer, Seen& seen,
                                 ForwarderOptions o = testing::fast_forwarder_options()) {
  auto fwd = Forwarder::start(
      buffer, make_callback_sink([&seen](const ForwardBatch& b) { return seen.take(b); }),
      std::move(o));
  EXPECT_TRUE(fwd.is_ok()) << fwd.status().to_string();
  return fwd ? std::move(*fwd) : nullptr;
}

TEST(ForwarderLanes, EveryLaneIsDeliveredFromACursorOfItsOwn) {
  TempDir dir;
  auto buffer = open_lanes(dir.path(), {lane("logs", {"log"}), lane("actions", {"record:seq"})});
  ASSERT_TRUE(buffer);
  append_logs(*buffer, 300);
  for (std::uint64_t i = 0; i < 200; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i).is_ok());
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  Seen seen;
  auto fwd = start(*buffer, seen);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->lanes(), (std::vector<std::string>{"default", "logs", "actions"}));
  ASSERT_TRUE(fwd->flush(wait_ms()).is_ok());
  EXPECT_EQ(seen.delivered("logs"), 300u);
  EXPECT_EQ(seen.delivered("actions"), 200u);
  EXPECT_EQ(seen.delivered("default"), 0u);
  // Offsets from 0 in each lane; one log id per lane, different between lanes.
  EXPECT_EQ(*seen.offsets["logs"].begin(), 0u);
  EXPECT_EQ(*seen.offsets["logs"].rbegin(), 299u);
  EXPECT_EQ(*seen.offsets["actions"].rbegin(), 199u);
  ASSERT_EQ(seen.log_ids["logs"].size(), 1u);
  ASSERT_EQ(seen.log_ids["actions"].size(), 1u);
  EXPECT_NE(*seen.log_ids["logs"].begin(), *seen.log_ids["actions"].begin());
  // A sink that takes one send at a time got one at a time from all lanes.
  EXPECT_EQ(seen.most_concurrent.load(), 1);

  const ForwarderStats s = fwd->stats();
  ASSERT_EQ(s.lanes.size(), 3u);
  EXPECT_EQ(s.totals.delivered, 500u);
  EXPECT_EQ(s.lanes[1].lane, "logs");
  EXPECT_EQ(s.lanes[1].stats.cursor_offset, 300u);
  EXPECT_EQ(s.lanes[2].stats.cursor_offset, 200u);
  ASSERT_TRUE(fwd->stop().is_ok());

  // The cursors are the lanes' own: a new forwarder of the same name sends nothing again.
  append_logs(*buffer, 10);
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  Seen again;
  auto second = start(*buffer, again);
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->flush(wait_ms()).is_ok());
  EXPECT_EQ(again.delivered("logs"), 10u);
  EXPECT_EQ(*again.offsets["logs"].begin(), 300u);
  EXPECT_EQ(again.delivered("actions"), 0u);
}

TEST(ForwarderLanes, TheAccountingIdentityHoldsPerLaneAndSummed) {
  TempDir dir;
  auto buffer = open_lanes(dir.path(), {lane("logs", {"log"})});
  ASSERT_TRUE(buffer);
  Seen seen;
  ForwarderOptions o = testing::fast_forwarder_options();
  o.select.min_priority = Priority::kNormal;  // some records are left out
  auto fwd = start(*buffer, seen, o);
  ASSERT_TRUE(fwd);
  append_logs(*buffer, 100);
  for (std::uint64_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        append_seq(*buffer, 0, i, 0, i % 2 == 0 ? Priority::kLow : Priority::kHigh).is_ok());
  }
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  ASSERT_TRUE(fwd->flush(wait_ms()).is_ok());
  const Accounting total = fwd->accounting();
  EXPECT_TRUE(total.balanced());
  EXPECT_EQ(total.appended, 150u);
  EXPECT_EQ(total.delivered, 125u);
  EXPECT_EQ(total.not_selected, 25u);
  for (const char* name : {"default", "logs"}) {
    auto one = fwd->accounting(name);
    ASSERT_TRUE(one.is_ok());
    EXPECT_TRUE(one->balanced()) << name;
  }
  EXPECT_EQ(fwd->accounting("logs")->delivered, 100u);
  EXPECT_EQ(fwd->accounting("nope").status().code(), StatusCode::kNotFound);
}

TEST(ForwarderLanes, LanesOptionPicksWhatItForwards) {
  TempDir dir;
  auto buffer = open_lanes(dir.path(), {lane("logs", {"log"}), lane("actions", {"record:seq"})});
  ASSERT_TRUE(buffer);
  append_logs(*buffer, 20);
  for (std::uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i).is_ok());
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  Seen seen;
  ForwarderOptions o = testing::fast_forwarder_options();
  o.lanes = {"actions"};
  auto fwd = start(*buffer, seen, o);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->lanes(), (std::vector<std::string>{"actions"}));
  ASSERT_TRUE(fwd->flush(wait_ms()).is_ok());
  EXPECT_EQ(seen.delivered("actions"), 20u);
  EXPECT_EQ(seen.delivered("logs"), 0u);
  // Offsets are per lane: seeking to one is for a forwarder of one lane.
  EXPECT_TRUE(fwd->seek(SeekTarget::kOffset, 5).is_ok());

  o.lanes = {"logs", "nope"};
  auto refused = Forwarder::start(
      *buffer, make_callback_sink([](const ForwardBatch&) { return FlushResult::succeeded(); }), o);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kNotFound);
  EXPECT_NE(refused.status().message().find("no lane 'nope'"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("default, logs, actions"), std::string::npos)
      << refused.status().message();

  o.lanes.clear();
  auto all = Forwarder::start(
      *buffer, make_callback_sink([](const ForwardBatch&) { return FlushResult::succeeded(); }),
      [] {
        ForwarderOptions x = testing::fast_forwarder_options();
        x.cursor = "other";
        return x;
      }());
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ((*all)->seek(SeekTarget::kOffset, 5).code(), StatusCode::kInvalidArgument);
}

// The logs lane's records keep failing; its breaker (threshold 2) opens, the others' do not,
// and the default lane's records still arrive.
TEST(ForwarderLanes, OneLanesFailuresOpenOnlyThatLanesBreaker) {
  TempDir dir;
  LaneOptions logs = lane("logs", {"log"});
  logs.breaker_failure_threshold = 2;
  auto buffer = open_lanes(dir.path(), {logs});
  ASSERT_TRUE(buffer);
  std::atomic<std::uint64_t> spans_delivered{0};
  ForwarderOptions o = testing::fast_forwarder_options();
  o.breaker.cooldown_ms = 60'000;
  o.breaker.max_cooldown_ms = 60'000;
  auto fwd = Forwarder::start(*buffer, make_callback_sink([&](const ForwardBatch& b) {
    if (b.lane == "logs") return FlushResult::unavailable("logs collector down");
    spans_delivered += b.records.size();
    return FlushResult::succeeded();
  }),
                              o);
  ASSERT_TRUE(fwd.is_ok()) << fwd.status().to_string();
  append_logs(*buffer, 10);
  for (int i = 0; i < 10; ++i) {
    Span span;
    span.name = "s";
    ASSERT_TRUE(buffer->append(span).is_ok());
  }
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  ASSERT_TRUE(
      eventually([&] { return (*fwd)->stats().lanes[1].stats.circuit == CircuitState::kOpen; }));
  ASSERT_TRUE(eventually([&] { return spans_delivered.load() == 10; }));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.lanes[0].stats.circuit, CircuitState::kClosed);
  EXPECT_EQ(s.circuit, CircuitState::kOpen);  // the sum shows the worst lane
  bool named = false;
  for (const HealthWarning& w : (*fwd)->health().warnings)
    named |= w.message.find("lane 'logs'") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(ForwarderLanes, OpenFindsTheLanesOnDisk) {
  TempDir dir;
  {
    auto buffer = open_lanes(dir.path(), {lane("logs", {"log"})});
    ASSERT_TRUE(buffer);
    append_logs(*buffer, 40);
    Span span;
    ASSERT_TRUE(buffer->append(span).is_ok());
  }
  Seen seen;
  auto fwd = Forwarder::open(
      dir.path(), make_callback_sink([&seen](const ForwardBatch& b) { return seen.take(b); }),
      testing::fast_forwarder_options());
  ASSERT_TRUE(fwd.is_ok()) << fwd.status().to_string();
  EXPECT_EQ((*fwd)->lanes(), (std::vector<std::string>{"default", "logs"}));
  ASSERT_TRUE((*fwd)->flush(wait_ms()).is_ok());
  EXPECT_EQ(seen.delivered("logs"), 40u);
  EXPECT_EQ(seen.delivered("default"), 1u);
}

}  // namespace
}  // namespace spool
