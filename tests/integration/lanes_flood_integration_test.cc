// Lanes keep one kind of data from costing another (issue: "a flood of debug logs never
// evicts the spans of a failing request"). A flood of logs into a 16 MiB drop_oldest log lane
// while spans go to a block span lane, with the collector down: no span is lost, the logs'
// drops are counted (in the queue, or as dropped_unforwarded once the cap deletes logs the
// forwarder has not sent), the log lane stays within its cap, the accounting identity holds
// per lane; when the collector comes back every span is delivered under its lane's log id.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "support/forwarder_fixtures.h"
#include "support/producer_stamps.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"
#include "tools/disk_usage.h"

namespace spool {
namespace {

// Every wait of these tests ends: a flush that takes longer fails the test (TimedOut).
std::uint32_t wait_ms() { return static_cast<std::uint32_t>(testing::scaled(std::chrono::seconds(60)).count()); }

using testing::TempDir;

constexpr std::uint64_t kLogCap = 16ull << 20;
constexpr std::uint64_t kLogSegment = 2ull << 20;
constexpr std::uint64_t kFloodBytes = 64ull << 20;  // 4x the cap, from two threads

Options flood_options() {
  Options o;
  o.adaptive_budget = false;
  o.log.segment_bytes = 4ull << 20;
  LaneOptions logs;
  logs.name = "logs";
  logs.route = {"log"};
  logs.max_bytes = kLogCap;
  logs.full_policy = FullPolicy::kDropOldest;
  logs.queue_bytes = 1ull << 20;
  LaneOptions spans;
  spans.name = "spans";
  spans.route = {"span"};
  spans.full_policy = FullPolicy::kBlock;
  spans.block_timeout_ms = 30'000;
  o.lanes = {logs, spans};
  o.producer_ring_bytes = 1ull << 20;
  return o;
}

Status append_stamped_span(Buffer& buffer, const std::string& producer, std::int64_t seq) {
  const Attribute attrs[] = {Attribute::string("producer", producer),
                             Attribute::integer("seq", seq)};
  Span span;
  span.name = "request";
  span.attributes = attrs;
  return buffer.append(span);
}

// Delivered keys by lane: "<log id>-<offset>", as the idempotency key is made.
struct Collector {
  std::atomic<bool> down{true};
  std::mutex mu;
  std::multiset<std::string> span_keys;
  std::uint64_t logs = 0;

  FlushResult take(const ForwardBatch& batch) {
    if (down.load()) return FlushResult::unavailable("collector down");
    std::lock_guard lock(mu);
    for (const ForwardRecord& r : batch.records) {
      if (batch.lane == "spans") {
        span_keys.insert(std::to_string(batch.log_id) + "-" + std::to_string(r.offset));
      } else if (batch.lane == "logs") {
        ++logs;
      }
    }
    return FlushResult::succeeded();
  }
};

const LaneStats& lane(const BufferStats& s, std::string_view name) {
  for (const LaneStats& l : s.lanes) {
    if (l.name == name) return l;
  }
  ADD_FAILURE() << "no lane " << name;
  static const LaneStats none;
  return none;
}

TEST(LanesFlood, LogFloodNeverCostsASpan) {
  TempDir dir;
  auto opened = Buffer::open(dir.path(), flood_options());
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  Buffer& buffer = **opened;
  Collector collector;
  ForwarderOptions fo = testing::fast_forwarder_options();
  fo.cursor = "otlp";
  auto fwd = Forwarder::start(
      buffer, make_callback_sink([&](const ForwardBatch& b) { return collector.take(b); }), fo);
  ASSERT_TRUE(fwd.is_ok()) << fwd.status().to_string();

  const std::string body(600, 'x');
  std::atomic<int> failed_spans{0};
  std::atomic<std::uint64_t> span_count{0};
  auto flood = [&](const std::string& producer) {
    std::int64_t seq = 0;
    LogRecord log;
    log.body = body;
    for (std::uint64_t bytes = 0, n = 0; bytes < kFloodBytes / 2; bytes += body.size(), ++n) {
      (void)buffer.append(log);  // may be dropped: that is the lane's policy
      if (n % 100 == 0) {
        if (!append_stamped_span(buffer, producer, seq++).is_ok()) ++failed_spans;
        ++span_count;
      }
    }
  };
  auto steady = [&] {
    for (std::int64_t seq = 0; seq < 5000; ++seq) {
      if (!append_stamped_span(buffer, "steady", seq).is_ok()) ++failed_spans;
      ++span_count;
      if (seq % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::thread a(flood, "flood-a"), b(flood, "flood-b"), c(steady);
  a.join();
  b.join();
  c.join();
  ASSERT_TRUE(buffer.flush(wait_ms()).is_ok());

  // No span lost: every append was acknowledged, every one of them is in the span lane.
  EXPECT_EQ(failed_spans.load(), 0);
  BufferStats s = buffer.stats();
  const BufferStats& spans = lane(s, "spans").stats;
  EXPECT_EQ(spans.dropped_total(), 0u);
  EXPECT_EQ(spans.written, span_count.load());
  const testing::StampCheck check =
      testing::check_stamps(testing::read_stamped_spans(dir.path() + "/lanes/spans"));
  EXPECT_TRUE(check.offsets_gap_free);
  EXPECT_TRUE(check.not_a_prefix.empty()) << check.not_a_prefix.front();
  EXPECT_EQ(check.count.at("steady"), 5000u);
  EXPECT_EQ(check.count.at("flood-a") + check.count.at("flood-b") + 5000, span_count.load());

  // The logs paid: their lane is within its cap (plus the active segment and its index), and
  // what it could not keep is counted.
  auto usage = tools::disk_usage(dir.path() + "/lanes/logs");
  ASSERT_TRUE(usage.is_ok());
  EXPECT_LE(usage->file_bytes, kLogCap + 2 * kLogSegment);
  const BufferStats& logs = lane(s, "logs").stats;
  EXPECT_EQ(logs.appended,
            2 * ((kFloodBytes / 2 + body.size() - 1) / body.size()));  // every call counted
  auto log_accounting = (*fwd)->accounting("logs");
  ASSERT_TRUE(log_accounting.is_ok());
  EXPECT_TRUE(log_accounting->balanced());
  EXPECT_TRUE((*fwd)->accounting("spans")->balanced());
  EXPECT_EQ((*fwd)->accounting("spans")->dropped_total(), 0u);

  // The collector comes back: every span arrives, keyed by the span lane's log id.
  collector.down = false;
  ASSERT_TRUE((*fwd)->flush(wait_ms()).is_ok());
  {
    std::lock_guard lock(collector.mu);
    std::set<std::string> distinct(collector.span_keys.begin(), collector.span_keys.end());
    EXPECT_EQ(distinct.size(), span_count.load());
  }
  const Accounting after = (*fwd)->accounting("logs").value();
  EXPECT_EQ(after.still_buffered, 0u);
  EXPECT_TRUE(after.balanced());
  // 64 MiB of logs went into a lane that holds 16 MiB on disk and 1 MiB in memory, with the
  // collector down: most of them could not be kept. Each one is counted as dropped, by the
  // queue's drop_oldest or (once the cap deleted it unsent) as dropped_unforwarded; which of
  // the two depends on how fast the writer drained the flood. None is lost silently.
  // What the lane could keep: its cap, the active segment and one more, its queue, and the
  // batches its forwarder held in flight (mapped: still readable once the cap deleted their
  // segment). Every log is at least body.size() bytes.
  const std::uint64_t could_keep =
      kLogCap + 2 * kLogSegment + (1ull << 20) + std::uint64_t{fo.max_in_flight_batches} * fo.batch.max_bytes;
  EXPECT_LE(after.delivered * body.size(), could_keep);
  EXPECT_GE(after.dropped_total(), after.appended - could_keep / body.size());
  EXPECT_GT(after.dropped_total(), 0u);
  EXPECT_EQ(after.delivered + after.dropped_total(), after.appended);
  {
    std::lock_guard lock(collector.mu);
    EXPECT_EQ(collector.logs, after.delivered);
  }
  EXPECT_TRUE((*fwd)->accounting().balanced());
}

}  // namespace
}  // namespace spool
