// spool::Forwarder with a scripted in-process sink: delivery, commit-after-ack, retries,
// partial failures, dead letters, circuit breaking, flush strategies, seek, retention and
// the accounting identity.
#include "spool/forwarder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "engine/forward/dead_letter_log.h"
#include "segment/cursor_store.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/cursors.h"
#include "support/log_helpers.h"
#include "support/seq_records.h"
#include "support/forwarder_fixtures.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;

// A sink whose answer for each batch is decided by a script; records what it was given.
class ScriptedSink : public Sink {
 public:
  using Script = std::function<FlushResult(const ForwardBatch&, std::uint64_t call)>;
  explicit ScriptedSink(Script script = {}) : script_(std::move(script)) {}

  FlushResult send(const ForwardBatch& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::uint64_t call = calls_++;
    FlushResult r = script_ ? script_(batch, call) : FlushResult::succeeded();
    for (const ForwardRecord& rec : batch.records) {
      const bool failed = r.outcome == FlushResult::Outcome::kFailed ||
                          std::find(r.failed_offsets.begin(), r.failed_offsets.end(), rec.offset) != r.failed_offsets.end();
      if (!failed) ++delivered_[rec.offset];
    }
    EXPECT_EQ(batch.first_offset, batch.records.front().offset);
    EXPECT_EQ(batch.last_offset, batch.records.back().offset);
    return r;
  }
  std::string name() const override { return "scripted"; }

  std::map<std::uint64_t, int> delivered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  std::uint64_t calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  Script script_;
  mutable std::mutex mu_;
  std::map<std::uint64_t, int> delivered_;
  std::uint64_t calls_ = 0;
};

// The sink is owned by the Forwarder; tests keep a view of it.
struct SinkHandle {
  ScriptedSink* view;
  std::unique_ptr<Sink> owned;
};
SinkHandle make_sink(ScriptedSink::Script script = {}) {
  auto sink = std::make_unique<ScriptedSink>(std::move(script));
  ScriptedSink* view = sink.get();
  return {view, std::move(sink)};
}

ForwarderOptions fast_options() {
  ForwarderOptions o = testing::fast_forwarder_options();  // tests of the breaker set their own
  o.batch.initial_records = 64;
  o.batch.min_records = 8;
  o.batch.max_records = 256;
  return o;
}

std::unique_ptr<Buffer> open_buffer(const std::string& dir, Options options = {}) {
  options.full_policy = FullPolicy::kBlock;
  auto buffer = Buffer::open(dir, options);
  EXPECT_TRUE(buffer) << buffer.status().to_string();
  return std::move(*buffer);
}

void append_n(Buffer& buffer, std::uint64_t from, std::uint64_t n) {
  for (std::uint64_t i = from; i < from + n; ++i) ASSERT_TRUE(append_seq(buffer, 0, i, 32));
  ASSERT_TRUE(buffer.flush());
}

TEST(Forwarder, DeliversEveryRecordOnceInOrderAndPersistsTheCursor) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 3000);
  auto sink = make_sink();
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), fast_options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(30'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 3000u);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 1) << offset;
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.cursor_offset, 3000u);
  EXPECT_EQ(stats.totals.delivered, 3000u);
  EXPECT_EQ(stats.lag.records, 0u);
  ASSERT_TRUE((*fwd)->stop());
  auto cursors = list_cursors(dir.path());
  ASSERT_TRUE(cursors) << cursors.status().to_string();
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ((*cursors)[0].name, "default");
  EXPECT_EQ((*cursors)[0].next_offset, 3000u);
  EXPECT_EQ((*cursors)[0].totals.delivered, 3000u);
}

TEST(Forwarder, RestartResumesAtTheCommittedCursor) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 500);
  {
    auto sink = make_sink();
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), fast_options());
    ASSERT_TRUE(fwd);
    ASSERT_TRUE((*fwd)->flush(30'000));
  }
  append_n(*buffer, 500, 200);
  auto sink = make_sink();
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), fast_options());
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 200u);
  EXPECT_EQ(delivered.begin()->first, 500u);
  EXPECT_EQ((*fwd)->stats().totals.delivered, 700u);  // persisted totals carry over
  EXPECT_EQ((*fwd)->stats().session.delivered, 200u);
}

TEST(Forwarder, CursorMovesOnlyAfterTheSinkAcknowledges) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 100);
  std::atomic<bool> up{false};
  auto sink = make_sink([&](const ForwardBatch&, std::uint64_t) {
    return up.load() ? FlushResult::succeeded() : FlushResult::unavailable("connection refused");
  });
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), fast_options());
  ASSERT_TRUE(fwd);
  while (sink.view->calls() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.cursor_offset, 0u);
  EXPECT_EQ(stats.totals.delivered, 0u);
  EXPECT_GE(stats.totals.failed_sends, 5u);
  EXPECT_EQ(stats.totals.dead_lettered, 0u);  // an unavailable sink never dead-letters
  EXPECT_EQ(stats.totals.last_error, "connection refused");
  auto on_disk = segment::CursorStore::at(dir.path()).load("default");
  ASSERT_TRUE(on_disk && on_disk->has_value());
  EXPECT_EQ((*on_disk)->next_offset, 0u);
  up = true;
  ASSERT_TRUE((*fwd)->flush(30'000));
  EXPECT_EQ(sink.view->delivered().size(), 100u);
  EXPECT_EQ((*fwd)->stats().totals.delivered, 100u);
}

TEST(Forwarder, PartialFailureRetriesOnlyTheFailedRecords) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 50);
  auto sink = make_sink([](const ForwardBatch& batch, std::uint64_t call) {
    if (call == 0) {
      std::vector<std::uint64_t> failed;
      for (const auto& r : batch.records) {
        if (r.offset % 10 == 3) failed.push_back(r.offset);
      }
      return FlushResult::partial(failed, "5 records rejected");
    }
    return FlushResult::succeeded();
  });
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 50u);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 1) << offset;
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.totals.delivered, 50u);
  EXPECT_EQ(stats.totals.failed, 5u);
  EXPECT_EQ(stats.totals.retried, 5u);
  EXPECT_EQ(stats.totals.dead_lettered, 0u);
}

TEST(Forwarder, PartialOutageWaitsForTheFailedRecordsWithoutUsingRetries) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 40);
  // Records with odd offsets sit on a part of the sink that is away for the first 6 sends.
  auto sink = make_sink([](const ForwardBatch& batch, std::uint64_t call) {
    if (call >= 6) return FlushResult::succeeded();
    std::vector<std::uint64_t> failed;
    for (const auto& r : batch.records) {
      if (r.offset % 2 == 1) failed.push_back(r.offset);
    }
    FlushResult r = FlushResult::partial(failed, "partition 0: no delivery report");
    r.outage = SinkOutage::kUnreachable;
    return r;
  });
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  options.retry.max_retries = 0;  // a failure that used a retry would be dead-lettered at once
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 40u);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 1) << offset;  // only the failed are resent
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.totals.delivered, 40u);
  EXPECT_EQ(stats.totals.dead_lettered, 0u);
  EXPECT_EQ(stats.cursor_offset, 40u);
  EXPECT_GE(sink.view->calls(), 7u);
}

TEST(Forwarder, PermanentFailureGoesStraightToTheDeadLetterLog) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 30);
  auto sink = make_sink([](const ForwardBatch& batch, std::uint64_t) {
    if (batch.first_offset == 0) return FlushResult::failed("HTTP 400: bad span", /*retryable=*/false);
    return FlushResult::succeeded();
  });
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  options.batch.initial_records = 10;
  options.batch.adaptive = false;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.totals.dead_lettered, 10u);
  EXPECT_EQ(stats.totals.delivered, 20u);
  EXPECT_EQ(stats.cursor_offset, 30u);
  EXPECT_EQ(sink.view->calls(), 3u);  // no retry of a permanent failure
  ASSERT_TRUE((*fwd)->stop());
  auto letters = engine::DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(letters) << letters.status().to_string();
  auto list = (*letters)->list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 10u);
  for (std::size_t i = 0; i < list->size(); ++i) {
    EXPECT_EQ((*list)[i].offset, i);
    EXPECT_EQ((*list)[i].error, "HTTP 400: bad span");
    EXPECT_EQ((*list)[i].attempts, 1u);  // sent once, refused for good
    EXPECT_FALSE((*list)[i].payload.empty());
  }
}

TEST(Forwarder, RecordsFailingPastMaxRetriesAreDeadLettered) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 20);
  auto sink = make_sink([](const ForwardBatch&, std::uint64_t) { return FlushResult::failed("HTTP 500: boom"); });
  auto options = fast_options();
  options.retry.max_retries = 2;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.totals.dead_lettered, 20u);
  EXPECT_EQ(stats.totals.delivered, 0u);
  EXPECT_EQ(sink.view->calls(), 3u);  // the first send and 2 retries
  EXPECT_EQ(stats.totals.retried, 40u);
  ASSERT_TRUE((*fwd)->stop());
  auto letters = engine::DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(letters);
  auto list = (*letters)->list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 20u);
  EXPECT_EQ(list->front().attempts, 3u);
  EXPECT_EQ(list->front().error, "HTTP 500: boom");
}

TEST(Forwarder, CircuitOpensAfterTheThresholdAndProbesAfterTheCooldown) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 10);
  std::atomic<bool> up{false};
  auto sink = make_sink([&](const ForwardBatch&, std::uint64_t) {
    return up.load() ? FlushResult::succeeded() : FlushResult::unavailable("refused");
  });
  auto options = fast_options();
  options.breaker.failure_threshold = 3;
  options.breaker.cooldown_ms = 60'000;  // no probe during the test unless forced
  options.breaker.max_cooldown_ms = 60'000;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  while ((*fwd)->stats().circuit != CircuitState::kOpen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink.view->calls(), 3u);  // open: no retry storm
  EXPECT_EQ((*fwd)->flush(100).code(), StatusCode::kUnavailable);
  EXPECT_EQ((*fwd)->stats().circuit_opened, 1u);
}

TEST(Forwarder, ManualStrategySendsOnlyOnFlush) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 10);
  auto sink = make_sink();
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(sink.view->calls(), 0u);
  ASSERT_TRUE((*fwd)->flush(30'000));
  EXPECT_EQ(sink.view->delivered().size(), 10u);
}

TEST(Forwarder, SizeStrategyWaitsForAFullBatch) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  auto sink = make_sink();
  auto options = fast_options();
  options.flush = FlushStrategy::kSize;
  options.batch.initial_records = 100;
  options.batch.adaptive = false;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  append_n(*buffer, 0, 99);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(sink.view->calls(), 0u);
  append_n(*buffer, 99, 1);
  for (int i = 0; i < 10'000 && sink.view->delivered().size() < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(sink.view->delivered().size(), 100u);
  EXPECT_EQ(sink.view->calls(), 1u);
}

TEST(Forwarder, StopDeliversWhatIsCommitted) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  auto sink = make_sink();
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  append_n(*buffer, 0, 777);
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(sink.view->delivered().size(), 777u);
  auto on_disk = segment::CursorStore::at(dir.path()).load("default");
  ASSERT_TRUE(on_disk && on_disk->has_value());
  EXPECT_EQ((*on_disk)->next_offset, 777u);
}

TEST(Forwarder, SeekEarliestRedeliversAndLatestSkips) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 40);
  auto sink = make_sink();
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;  // nothing moves between the seeks but flush()
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kEarliest));
  ASSERT_TRUE((*fwd)->flush(30'000));
  for (const auto& [offset, count] : sink.view->delivered()) EXPECT_EQ(count, 2) << offset;
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kOffset, 35));
  EXPECT_EQ((*fwd)->stats().cursor_offset, 35u);
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kLatest));
  append_n(*buffer, 40, 5);
  ASSERT_TRUE((*fwd)->flush(30'000));
  EXPECT_EQ(sink.view->delivered().at(35), 2);  // the seek to latest skipped 35..39
  EXPECT_EQ(sink.view->delivered().at(44), 1);
}

// ForwarderOptions::until_ns: the range ends before the first record buffered at or after it;
// flush() returns there (nothing past it comes) and a seek looks for the end again.
TEST(Forwarder, UntilTimeEndsDeliveryBeforeTheFirstRecordAtOrAfterIt) {
  testing::TempDir dir;
  constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
  auto time_of = [](std::uint64_t i) { return kT0 + static_cast<std::int64_t>(i) * 1000; };
  {
    auto log = testing::open_log(dir.path(), testing::small_segments());
    ASSERT_TRUE(log);
    for (std::uint64_t i = 0; i < 200; ++i) {
      ASSERT_TRUE(log->append(0, testing::bytes_of(testing::sample_payload(i)), time_of(i)));
    }
  }
  auto sink = make_sink();
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  options.until_ns = time_of(120) - 1;  // record 120 is the first at or after it
  auto fwd = Forwarder::open(dir.path(), std::move(sink.owned), options);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  EXPECT_FALSE((*fwd)->stats().until_reached);
  ASSERT_TRUE((*fwd)->flush(30'000));
  auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 120u);
  EXPECT_EQ(delivered.rbegin()->first, 119u);
  ForwarderStats stats = (*fwd)->stats();
  EXPECT_TRUE(stats.until_reached);
  EXPECT_EQ(stats.cursor_offset, 120u);
  EXPECT_EQ(stats.end_offset, 120u);
  EXPECT_EQ(stats.lag.records, 0u);

  // From 150 on every record is past the end: nothing is delivered, the range ends at once.
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kOffset, 150));
  ASSERT_TRUE((*fwd)->flush(30'000));
  EXPECT_EQ(sink.view->delivered().size(), 120u);
  stats = (*fwd)->stats();
  EXPECT_TRUE(stats.until_reached);
  EXPECT_EQ(stats.cursor_offset, 150u);
  // Back to the start: the same range again.
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kEarliest));
  ASSERT_TRUE((*fwd)->flush(30'000));
  delivered = sink.view->delivered();
  EXPECT_EQ(delivered.size(), 120u);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 2) << offset;
  EXPECT_EQ((*fwd)->stats().cursor_offset, 120u);
  ASSERT_TRUE((*fwd)->stop());
}

TEST(Forwarder, TwoCursorsAreIndependent) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 100);
  auto a = make_sink();
  auto b = make_sink([](const ForwardBatch&, std::uint64_t) { return FlushResult::unavailable("down"); });
  auto options_a = fast_options();
  options_a.cursor = "a";
  auto options_b = fast_options();
  options_b.cursor = "b";
  auto fa = Forwarder::start(*buffer, std::move(a.owned), options_a);
  auto fb = Forwarder::start(*buffer, std::move(b.owned), options_b);
  ASSERT_TRUE(fa && fb);
  ASSERT_TRUE((*fa)->flush(30'000));
  EXPECT_EQ((*fa)->stats().cursor_offset, 100u);
  EXPECT_EQ((*fb)->stats().cursor_offset, 0u);
  ASSERT_TRUE((*fa)->stop());
  ASSERT_TRUE((*fb)->stop());
  auto cursors = list_cursors(dir.path());
  ASSERT_TRUE(cursors);
  ASSERT_EQ(cursors->size(), 2u);
  EXPECT_EQ((*cursors)[0].lag.records, 0u);
  EXPECT_EQ((*cursors)[1].lag.records, 100u);
  EXPECT_GT((*cursors)[1].lag.bytes, 100u * 32);
}

// Retention deletes records the cursor has not passed, while the forwarder reads: every one
// is counted dropped-unforwarded, whichever path reads the log (offset order, or the
// delivery plan of priority order, which scans ahead and reads later).
void expect_retention_counts_dropped_unforwarded(const OrderOptions& order) {
  testing::TempDir dir;
  Options options;
  options.log.segment_bytes = 16 * 1024;
  options.log.retention_bytes = 64 * 1024;
  auto buffer = open_buffer(dir.path(), options);
  std::atomic<bool> up{false};
  auto sink = make_sink([&](const ForwardBatch&, std::uint64_t) {
    return up.load() ? FlushResult::succeeded() : FlushResult::unavailable("down");
  });
  auto fwd_options = fast_options();
  fwd_options.order = order;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), fwd_options);
  ASSERT_TRUE(fwd);
  append_n(*buffer, 0, 5000);  // ~5000 * 120 bytes: far beyond the cap
  up = true;
  ASSERT_TRUE((*fwd)->flush(30'000));
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_GT(stats.totals.dropped_unforwarded, 0u);
  EXPECT_EQ(stats.totals.delivered + stats.totals.dropped_unforwarded, 5000u)
      << "delivered " << stats.totals.delivered << " dropped-unforwarded " << stats.totals.dropped_unforwarded;
  EXPECT_EQ(stats.totals.delivered, sink.view->delivered().size());
  EXPECT_TRUE((*fwd)->accounting().balanced());
}

TEST(Forwarder, RetentionForcedPastACursorCountsDroppedUnforwarded) {
  expect_retention_counts_dropped_unforwarded(OrderOptions{});  // priority order: the delivery plan
}

TEST(Forwarder, RetentionForcedPastACursorCountsDroppedUnforwardedInOffsetOrder) {
  OrderOptions offset_order;
  offset_order.by_priority = false;
  expect_retention_counts_dropped_unforwarded(offset_order);
}

// appended == delivered + dropped + dead-lettered + still buffered, checked continuously
// while producers append, the sink fails now and then, and records are dead-lettered.
TEST(Forwarder, AccountingBalancesAtEveryInstant) {
  testing::TempDir dir;
  Options options;
  options.queue_bytes = 4 << 20;
  options.min_queue_bytes = 1 << 20;
  options.producer_ring_bytes = 64 * 1024;  // small rings: kDropOldest evicts under load
  options.full_policy = FullPolicy::kDropOldest;
  auto opened = Buffer::open(dir.path(), options);
  ASSERT_TRUE(opened) << opened.status().to_string();
  Buffer& buffer = **opened;
  auto sink = make_sink([](const ForwardBatch& batch, std::uint64_t call) {
    if (call % 7 == 3) return FlushResult::failed("HTTP 500", true);
    if (call % 11 == 5) return FlushResult::failed("HTTP 400", false);
    if (call % 5 == 1) return FlushResult::partial({batch.records.front().offset}, "one rejected");
    return FlushResult::succeeded();
  });
  auto fopts = fast_options();
  fopts.retry.max_retries = 1;
  auto fwd = Forwarder::start(buffer, std::move(sink.owned), fopts);
  ASSERT_TRUE(fwd);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> checks{0};
  std::thread checker([&] {
    while (!done.load()) {
      const Accounting a = (*fwd)->accounting();
      ASSERT_TRUE(a.balanced()) << "appended " << a.appended << " delivered " << a.delivered << " dropped "
                                << a.dropped_total() << " dead " << a.dead_lettered << " buffered "
                                << a.still_buffered;
      checks.fetch_add(1);
    }
  });
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < 2; ++p) {
    producers.emplace_back([&buffer, p] {
      for (std::uint64_t i = 0; i < 20'000; ++i) (void)append_seq(buffer, p, i, 64);
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(buffer.flush());
  ASSERT_TRUE((*fwd)->flush(60'000));
  done = true;
  checker.join();
  EXPECT_GT(checks.load(), 10u);
  const Accounting a = (*fwd)->accounting();
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.appended, 40'000u);
  EXPECT_EQ(a.still_buffered, 0u);
  EXPECT_GT(a.dead_lettered, 0u);
  EXPECT_EQ(a.delivered, sink.view->delivered().size());
}

TEST(Forwarder, HealthNamesRecentErrorsAndFailureRate) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 10);
  auto sink = make_sink([](const ForwardBatch&, std::uint64_t) { return FlushResult::unavailable("refused"); });
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), fast_options());
  ASSERT_TRUE(fwd);
  while (sink.view->calls() < 12) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const HealthReport report = (*fwd)->health();
  ASSERT_FALSE(report.healthy());
  std::vector<std::string> codes;
  for (const auto& w : report.warnings) codes.push_back(w.code);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "recent_error"), codes.end());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "failure_rate"), codes.end());
}

TEST(Forwarder, RejectsBadOptions) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  auto options = fast_options();
  options.cursor = "../escape";
  EXPECT_EQ(Forwarder::start(*buffer, make_sink().owned, options).status().code(), StatusCode::kInvalidArgument);
  options = fast_options();
  options.retry.multiplier = 0.5;
  EXPECT_EQ(Forwarder::start(*buffer, make_sink().owned, options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Forwarder::start(*buffer, nullptr, fast_options()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spool

namespace spool {
namespace {

// Regression: stop() re-sent a failed batch at once, over and over, until its retries ran out
// and the records were dead-lettered; the back-off holds while stopping too.
TEST(Forwarder, StopDoesNotHammerAFailingSinkIntoDeadLetters) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  append_n(*buffer, 0, 20);
  auto sink = make_sink([](const ForwardBatch&, std::uint64_t) { return FlushResult::failed("HTTP 500"); });
  auto options = fast_options();
  options.retry.initial_backoff_ms = 10'000;
  options.retry.max_backoff_ms = 10'000;
  options.stop_timeout_ms = 200;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd);
  while (sink.view->calls() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(sink.view->calls(), 1u);
  EXPECT_EQ((*fwd)->stats().totals.dead_lettered, 0u);
  EXPECT_EQ((*fwd)->stats().cursor_offset, 0u);
}

// Regression: a seek forward made the backlog negative, and accounting() clamped it to 0.
TEST(Forwarder, SeekForwardKeepsTheAccountingBalanced) {
  testing::TempDir dir;
  auto buffer = open_buffer(dir.path());
  auto options = fast_options();
  options.flush = FlushStrategy::kManual;
  options.start_at = SeekTarget::kLatest;
  auto fwd = Forwarder::start(*buffer, make_sink().owned, options);
  ASSERT_TRUE(fwd);
  append_n(*buffer, 0, 100);
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kLatest));
  const Accounting a = (*fwd)->accounting();
  EXPECT_TRUE(a.balanced()) << a.appended << " vs " << a.still_buffered;
  EXPECT_EQ(a.still_buffered, 0u);
}

}  // namespace
}  // namespace spool
