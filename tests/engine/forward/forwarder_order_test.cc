// spool::Forwarder's delivery order and selection (ForwarderOptions::order, ::select): a
// backlog goes critical before high before normal before low, oldest or newest first within
// a priority; selected kinds, types, priorities and severities only; the cursor file keeps
// what was settled beyond the cursor, so a restart sends again only what was in flight; the
// accounting identity holds throughout.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "spool/buffer.h"
#include "spool/cursors.h"
#include "spool/forwarder.h"
#include "support/forwarder_fixtures.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;

// Records every batch it is given (offsets and priorities), in order; fails while `down`.
class RecordingSink : public Sink {
 public:
  struct Batch {
    std::vector<std::uint64_t> offsets;
    std::vector<Priority> priorities;
    std::vector<RecordKind> kinds;
  };
  explicit RecordingSink(std::atomic<bool>* down = nullptr,
                         std::atomic<int>* succeed_calls = nullptr)
      : down_(down), succeed_calls_(succeed_calls) {}

  FlushResult send(const ForwardBatch& batch) override {
    if (down_ != nullptr && down_->load()) return FlushResult::unavailable("collector down");
    if (succeed_calls_ != nullptr && succeed_calls_->fetch_sub(1) <= 0) {
      return FlushResult::unavailable("collector gone");
    }
    EXPECT_EQ(batch.first_offset, batch.records.front().offset);
    EXPECT_EQ(batch.last_offset, batch.records.back().offset);
    Batch b;
    for (const ForwardRecord& r : batch.records) {
      b.offsets.push_back(r.offset);
      b.priorities.push_back(r.priority);
      b.kinds.push_back(r.kind);
    }
    EXPECT_TRUE(std::is_sorted(b.offsets.begin(), b.offsets.end()));
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back(std::move(b));
    return FlushResult::succeeded();
  }
  std::string name() const override { return "recording"; }

  std::vector<Batch> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::map<std::uint64_t, int> counts() const {
    std::map<std::uint64_t, int> c;
    for (const Batch& b : batches()) {
      for (std::uint64_t o : b.offsets) ++c[o];
    }
    return c;
  }

 private:
  std::atomic<bool>* down_;
  std::atomic<int>* succeed_calls_;
  mutable std::mutex mu_;
  std::vector<Batch> batches_;
};

std::string describe(const Accounting& a) {
  return "appended " + std::to_string(a.appended) + " (backlog_at_start " +
         std::to_string(a.backlog_at_start) + ") delivered " + std::to_string(a.delivered) +
         " dropped " + std::to_string(a.dropped_total()) + " dead " +
         std::to_string(a.dead_lettered) + " not_selected " + std::to_string(a.not_selected) +
         " buffered " + std::to_string(a.still_buffered);
}

struct SinkHandle {
  RecordingSink* view;
  std::unique_ptr<Sink> owned;
};
SinkHandle make_sink(std::atomic<bool>* down = nullptr, std::atomic<int>* succeed_calls = nullptr) {
  auto sink = std::make_unique<RecordingSink>(down, succeed_calls);
  RecordingSink* view = sink.get();
  return {view, std::move(sink)};
}

ForwarderOptions options(std::uint32_t batch = 100) { return testing::fixed_batch_options(batch); }

std::unique_ptr<Buffer> open_buffer(const std::string& dir) {
  Options o;
  o.full_policy = FullPolicy::kBlock;
  auto buffer = Buffer::open(dir, o);
  EXPECT_TRUE(buffer) << buffer.status().to_string();
  return std::move(*buffer);
}

// A Buffer's accounting counts the appends of its own session (and the backlog found at a
// forwarder's start): the tests that build a backlog first open the log again before they
// start the forwarder, as a process restarting on a full log would.
void reopen(std::unique_ptr<Buffer>* buffer, const std::string& dir) {
  ASSERT_TRUE((*buffer)->shutdown());
  buffer->reset();
  *buffer = open_buffer(dir);
}

// Appends n seq records of one priority; returns their offsets.
std::vector<std::uint64_t> append_many(Buffer& buffer, std::uint64_t n, Priority priority) {
  std::vector<std::uint64_t> offsets;
  for (std::uint64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(append_seq(buffer, 0, i, 16, priority));
  }
  EXPECT_TRUE(buffer.flush());
  const std::uint64_t end = buffer.committed_offset();
  for (std::uint64_t o = end - n; o < end; ++o) offsets.push_back(o);
  return offsets;
}

TEST(ForwarderOrder, CriticalBeforeHighBeforeNormalBeforeLowWithABacklog) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_many(*buffer, 1000, Priority::kLow);
  append_many(*buffer, 3000, Priority::kNormal);
  append_many(*buffer, 200, Priority::kHigh);
  append_many(*buffer, 150, Priority::kCritical);
  reopen(&buffer, dir.path());
  auto sink = make_sink();
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto batches = sink.view->batches();
  // Every offset once; each batch of one priority.
  const auto counts = sink.view->counts();
  ASSERT_EQ(counts.size(), 4350u);
  for (const auto& [offset, n] : counts) EXPECT_EQ(n, 1) << offset;
  for (const auto& b : batches) {
    EXPECT_TRUE(std::all_of(b.priorities.begin(), b.priorities.end(),
                            [&](Priority p) { return p == b.priorities.front(); }));
  }
  // The first batches are the critical ones, then the high ones; the one batch in ten that
  // goes to the oldest record (a low one here) is the only exception.
  std::map<Priority, std::uint64_t> seen;
  std::uint64_t lower_before_last_critical = 0, lower_before_last_high = 0;
  std::uint64_t critical = 0, high = 0;
  for (const auto& b : batches) {
    for (Priority p : b.priorities) {
      if (p == Priority::kCritical) ++critical;
      if (p == Priority::kHigh) ++high;
      if (p < Priority::kCritical && critical < 150) ++lower_before_last_critical;
      if (p < Priority::kHigh && high < 200) ++lower_before_last_high;
    }
  }
  EXPECT_LE(lower_before_last_critical, 100u);  // at most one starvation-share batch
  EXPECT_LE(lower_before_last_high, 200u);
  EXPECT_EQ(batches.front().priorities.front(), Priority::kCritical);
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.cursor_offset, 4350u);
  EXPECT_EQ(stats.settled_ahead, 0u);
  EXPECT_EQ(stats.totals.delivered, 4350u);
  const Accounting a = (*fwd)->accounting();
  EXPECT_TRUE(a.balanced()) << describe(a);
  ASSERT_TRUE((*fwd)->stop());
}

TEST(ForwarderOrder, OffsetOrderWhenPrioritiesAreOff) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_many(*buffer, 300, Priority::kLow);
  append_many(*buffer, 300, Priority::kCritical);
  auto sink = make_sink();
  ForwarderOptions o = options();
  o.order.by_priority = false;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  std::vector<std::uint64_t> order;
  for (const auto& b : sink.view->batches())
    order.insert(order.end(), b.offsets.begin(), b.offsets.end());
  ASSERT_EQ(order.size(), 600u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  ASSERT_TRUE((*fwd)->stop());
}

TEST(ForwarderOrder, NewestFirstWithinAPriority) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_many(*buffer, 1000, Priority::kNormal);
  auto sink = make_sink();
  ForwarderOptions o = options();
  o.order.within = WithinPriority::kNewestFirst;
  o.order.oldest_share = 0.25;  // every fourth batch oldest-first
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto batches = sink.view->batches();
  ASSERT_GE(batches.size(), 4u);
  EXPECT_EQ(batches[0].offsets.front(), 900u);
  EXPECT_EQ(batches[0].offsets.back(), 999u);
  EXPECT_EQ(batches[1].offsets.front(), 800u);
  EXPECT_EQ(batches[2].offsets.front(), 700u);
  EXPECT_EQ(batches[3].offsets.front(), 0u);  // the starvation share: the oldest
  EXPECT_EQ(sink.view->counts().size(), 1000u);
  EXPECT_EQ((*fwd)->stats().cursor_offset, 1000u);
  ASSERT_TRUE((*fwd)->stop());
}

TEST(ForwarderOrder, ARestartSendsAgainOnlyWhatWasNotSettled) {
  testing::TempDir dir;
  {
    auto buffer = open_buffer(dir.path());
    append_many(*buffer, 1000, Priority::kNormal);
    append_many(*buffer, 50, Priority::kCritical);
    reopen(&buffer, dir.path());
    std::atomic<int> succeed{1};  // the critical batch, then the collector is gone
    auto sink = make_sink(nullptr, &succeed);
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options());
    ASSERT_TRUE(fwd) << fwd.status().to_string();
    for (int i = 0; i < 2000 && (*fwd)->stats().totals.delivered < 50; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const ForwarderStats stats = (*fwd)->stats();
    ASSERT_EQ(stats.totals.delivered, 50u);
    EXPECT_EQ(stats.cursor_offset, 0u);
    EXPECT_EQ(stats.settled_ahead, 50u);
    EXPECT_EQ(stats.lag.records, 1000u);
    EXPECT_TRUE((*fwd)->accounting().balanced()) << describe((*fwd)->accounting());
    (void)(*fwd)->stop();  // the collector is gone: the last delivery fails
  }
  auto cursors = list_cursors(dir.path());
  ASSERT_TRUE(cursors) << cursors.status().to_string();
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ((*cursors)[0].next_offset, 0u);
  EXPECT_EQ((*cursors)[0].settled_ahead, 50u);
  EXPECT_EQ((*cursors)[0].lag.records, 1000u);

  auto buffer = open_buffer(dir.path());
  auto sink = make_sink();
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto counts = sink.view->counts();
  EXPECT_EQ(counts.size(), 1000u);
  for (const auto& [offset, n] : counts) {
    EXPECT_LT(offset, 1000u);  // no critical record again
    EXPECT_EQ(n, 1);
  }
  EXPECT_EQ((*fwd)->stats().cursor_offset, 1050u);
  EXPECT_EQ((*fwd)->stats().totals.delivered, 1050u);
  EXPECT_TRUE((*fwd)->accounting().balanced()) << describe((*fwd)->accounting());
  ASSERT_TRUE((*fwd)->stop());
}

TEST(ForwarderOrder, RecordsArrivingDuringAnOutageGoByPriorityWhenItEnds) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  std::atomic<bool> down{true};
  auto sink = make_sink(&down);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_many(*buffer, 5000, Priority::kNormal);
  append_many(*buffer, 100, Priority::kCritical);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  down = false;
  ASSERT_TRUE((*fwd)->flush(60'000));
  std::uint64_t normal_before = 0, critical = 0;
  for (const auto& b : sink.view->batches()) {
    for (Priority p : b.priorities) {
      if (p == Priority::kCritical)
        ++critical;
      else if (critical < 100)
        ++normal_before;
    }
  }
  // The batch in flight when the outage began may be normal; then the critical ones.
  EXPECT_LE(normal_before, 500u);  // 10% of the normal records
  EXPECT_EQ(sink.view->counts().size(), 5100u);
  ASSERT_TRUE((*fwd)->stop());
}

// ---- selection ------------------------------------------------------------------------

TEST(ForwarderSelect, KindsPriorityAndSeverityAndTheAccountingStillBalances) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  Span span;
  span.name = "call";
  span.start_ns = 1;
  span.end_ns = 2;
  LogRecord info;
  info.body = "fine";
  info.severity_number = 9;
  LogRecord warn = info;
  warn.severity_number = 13;
  LogRecord error = info;
  error.severity_number = 17;
  error.priority = Priority::kHigh;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(buffer->append(span));
    ASSERT_TRUE(buffer->append(info));
    ASSERT_TRUE(buffer->append(warn));
    ASSERT_TRUE(buffer->append(error));
  }
  ASSERT_TRUE(buffer->flush());
  reopen(&buffer, dir.path());

  struct Case {
    SelectOptions select;
    std::uint64_t expected;
  };
  std::vector<Case> cases;
  cases.push_back({SelectOptions{.kinds = {RecordKind::kLog}}, 300});
  cases.push_back({SelectOptions{.kinds = {RecordKind::kLog}, .min_severity = 13}, 200});
  cases.push_back({SelectOptions{.min_severity = 13}, 300});  // spans are not logs: kept
  cases.push_back({SelectOptions{.min_priority = Priority::kHigh}, 100});
  cases.push_back({SelectOptions{.kinds = {RecordKind::kMetric}}, 0});
  int n = 0;
  for (const Case& c : cases) {
    auto sink = make_sink();
    ForwarderOptions o = options();
    o.cursor = "select-" + std::to_string(n++);
    o.select = c.select;
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
    ASSERT_TRUE(fwd) << fwd.status().to_string();
    ASSERT_TRUE((*fwd)->flush(60'000));
    EXPECT_EQ(sink.view->counts().size(), c.expected) << o.cursor;
    const ForwarderStats stats = (*fwd)->stats();
    EXPECT_EQ(stats.totals.delivered, c.expected) << o.cursor;
    EXPECT_EQ(stats.totals.not_selected, 400 - c.expected) << o.cursor;
    EXPECT_EQ(stats.cursor_offset, 400u) << o.cursor;
    EXPECT_EQ(stats.lag.records, 0u) << o.cursor;
    const Accounting a = (*fwd)->accounting();
    EXPECT_EQ(a.not_selected, 400 - c.expected) << o.cursor;
    EXPECT_TRUE(a.balanced()) << o.cursor << ": " << describe(a);
    for (const auto& b : sink.view->batches()) {
      for (RecordKind k : b.kinds) {
        if (!c.select.kinds.empty()) {
          EXPECT_EQ(k, c.select.kinds.front()) << o.cursor;
        }
      }
    }
    ASSERT_TRUE((*fwd)->stop());
  }
}

TEST(ForwarderSelect, RecordTypesMakeAnActionQueue) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  const std::uint8_t data[] = {1, 2, 3};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(buffer->append(RawRecord{"action", data}));
    ASSERT_TRUE(buffer->append(RawRecord{"prediction", data}));
  }
  ASSERT_TRUE(buffer->flush());
  auto sink = make_sink();
  ForwarderOptions o = options();
  o.select.kinds = {RecordKind::kRecord};
  o.select.record_types = {"action"};
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto counts = sink.view->counts();
  ASSERT_EQ(counts.size(), 50u);
  for (const auto& [offset, n] : counts) EXPECT_EQ(offset % 2, 0u) << offset;  // the actions
  EXPECT_EQ((*fwd)->stats().totals.not_selected, 50u);
  ASSERT_TRUE((*fwd)->stop());
}

TEST(ForwarderSelect, BadSelectionsAreRefused) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  ForwarderOptions o = options();
  o.select.min_severity = 30;
  auto fwd = Forwarder::start(*buffer, make_sink().owned, o);
  ASSERT_FALSE(fwd);
  EXPECT_NE(fwd.status().message().find("min_severity"), std::string::npos);
  o = options();
  o.order.oldest_share = 0;
  fwd = Forwarder::start(*buffer, make_sink().owned, o);
  ASSERT_FALSE(fwd);
  EXPECT_NE(fwd.status().message().find("oldest_share"), std::string::npos);
}

}  // namespace
}  // namespace spool
