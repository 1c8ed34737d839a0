// spool::Forwarder with several batches in flight (ForwarderOptions::max_in_flight_batches):
// sends overlap, the cursor still commits in order (only past batches that are all settled,
// whatever order their answers come in), a crash resends at most the batches in flight, and
// retries, dead letters, priority order and the accounting identity work as with one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "segment/cursor_store.h"
#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "support/child_process.h"
#include "support/forwarder_fixtures.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::eventually;

constexpr std::uint32_t kBatch = 10;  // records per batch (fixed)

// A sink that takes up to `concurrency` sends at once; each answer comes from a script, and
// it records what was delivered and how many sends ran at the same time.
class ConcurrentSink : public Sink {
 public:
  using Script = std::function<FlushResult(const ForwardBatch&, std::uint64_t call)>;
  ConcurrentSink(std::uint32_t concurrency, Script script)
      : concurrency_(concurrency), script_(std::move(script)) {}

  FlushResult send(const ForwardBatch& batch) override {
    std::uint64_t call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = calls_++;
      max_inside_ = std::max(max_inside_, ++inside_);
    }
    FlushResult r = script_ ? script_(batch, call) : FlushResult::succeeded();
    std::lock_guard<std::mutex> lock(mu_);
    --inside_;
    for (const ForwardRecord& rec : batch.records) {
      if (!rec.verified) ++unverified_;
      const bool failed = r.outcome == FlushResult::Outcome::kFailed ||
                          std::find(r.failed_offsets.begin(), r.failed_offsets.end(), rec.offset) !=
                              r.failed_offsets.end();
      if (!failed) ++delivered_[rec.offset];
    }
    answered_.insert(batch.first_offset);
    return r;
  }
  std::uint32_t max_concurrent_sends() const override { return concurrency_; }
  std::string name() const override { return "concurrent"; }

  std::map<std::uint64_t, int> delivered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  bool answered(std::uint64_t first_offset) const {
    std::lock_guard<std::mutex> lock(mu_);
    return answered_.count(first_offset) != 0;
  }
  // Records handed over without ForwardRecord::verified (a Buffer's writer verifies them all).
  std::uint64_t unverified() const {
    std::lock_guard<std::mutex> lock(mu_);
    return unverified_;
  }
  std::uint32_t max_inside() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_inside_;
  }

 private:
  const std::uint32_t concurrency_;
  Script script_;
  mutable std::mutex mu_;
  std::uint64_t calls_ = 0;
  std::uint32_t inside_ = 0, max_inside_ = 0;
  std::uint64_t unverified_ = 0;
  std::map<std::uint64_t, int> delivered_;
  std::set<std::uint64_t> answered_;
};

// A gate a send waits at until the test opens it (bounded, so a bug fails instead of hanging).
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(120), [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

ForwarderOptions in_flight_options(std::uint32_t in_flight) {
  ForwarderOptions o = testing::fixed_batch_options(kBatch);
  o.max_in_flight_batches = in_flight;
  o.order.by_priority = false;  // plain offset order: the cursor moves past a settled prefix
  return o;
}

void append_n(Buffer& buffer, std::uint64_t from, std::uint64_t n,
              Priority priority = Priority::kNormal) {
  testing::append_seq_run(buffer, from, n, priority);
}

struct SinkHandle {
  ConcurrentSink* view;
  std::unique_ptr<Sink> owned;
};
SinkHandle make_sink(std::uint32_t concurrency, ConcurrentSink::Script script = {}) {
  auto sink = std::make_unique<ConcurrentSink>(concurrency, std::move(script));
  ConcurrentSink* view = sink.get();
  return {view, std::move(sink)};
}

TEST(ForwarderInFlight, SendsOverlapAndEveryRecordIsDeliveredOnce) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  // The first send waits until a second one is under way: only overlapping sends get past it.
  Gate second_started;
  auto sink = make_sink(4, [&](const ForwardBatch&, std::uint64_t call) {
    if (call == 0) {
      EXPECT_TRUE(second_started.wait()) << "no second send while the first was in flight";
    }
    if (call == 1) second_started.open();
    return FlushResult::succeeded();
  });
  // Started before the appends: the accounting counts what this session appended.
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), in_flight_options(4));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_n(*buffer, 0, 2000);
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 2000u);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 1) << offset;
  EXPECT_EQ(sink.view->unverified(), 0u);
  EXPECT_GE(sink.view->max_inside(), 2u);
  EXPECT_LE(sink.view->max_inside(), 4u);
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.cursor_offset, 2000u);
  EXPECT_EQ(stats.totals.delivered, 2000u);
  EXPECT_TRUE((*fwd)->accounting().balanced());
}

TEST(ForwarderInFlight, CursorWaitsForAnEarlierBatchAcknowledgedAfterALaterOne) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  Gate first_may_answer;
  auto sink = make_sink(2, [&](const ForwardBatch& batch, std::uint64_t) {
    if (batch.first_offset == 0) {
      EXPECT_TRUE(first_may_answer.wait());
    }
    return FlushResult::succeeded();
  });
  auto options = in_flight_options(2);
  options.flush = FlushStrategy::kSize;  // full batches only: [0, 10), [10, 20), [20, 30)
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_n(*buffer, 0, 3 * kBatch);
  // Batch 2 [10, 20) is acknowledged while batch 1 [0, 10) still waits for its answer.
  ASSERT_TRUE(eventually([&] { return sink.view->answered(kBatch); }));
  // Two batches in flight: nothing beyond them is read; nothing is committed past batch 1.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let a wrong commit happen
  EXPECT_FALSE(sink.view->answered(2 * kBatch));
  ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.cursor_offset, 0u);
  EXPECT_EQ(stats.totals.delivered, 0u);  // counted when the cursor passes them
  auto on_disk = segment::CursorStore::at(dir.path()).load("default");
  ASSERT_TRUE(on_disk && on_disk->has_value());
  EXPECT_EQ((*on_disk)->next_offset, 0u);
  Accounting a = (*fwd)->accounting();
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.still_buffered, 3u * kBatch);

  first_may_answer.open();
  ASSERT_TRUE((*fwd)->flush(60'000));
  stats = (*fwd)->stats();
  EXPECT_EQ(stats.cursor_offset, 3u * kBatch);
  EXPECT_EQ(stats.totals.delivered, 3u * kBatch);
  a = (*fwd)->accounting();
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.still_buffered, 0u);
  for (const auto& [offset, count] : sink.view->delivered()) EXPECT_EQ(count, 1) << offset;
}

TEST(ForwarderInFlight, AFailedBatchIsRetriedAloneAndTheCursorWaitsForIt) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  append_n(*buffer, 0, 10 * kBatch);
  std::atomic<int> failures_left{3};
  auto sink = make_sink(3, [&](const ForwardBatch& batch, std::uint64_t) {
    if (batch.first_offset == 2 * kBatch && failures_left.fetch_sub(1) > 0) {
      return FlushResult::failed("HTTP 500", true);
    }
    return FlushResult::succeeded();
  });
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), in_flight_options(3));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 10u * kBatch);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 1) << offset;
  const ForwarderStats stats = (*fwd)->stats();
  EXPECT_EQ(stats.totals.failed_sends, 3u);
  EXPECT_EQ(stats.totals.retried, 3u * kBatch);
  EXPECT_EQ(stats.totals.dead_lettered, 0u);
  EXPECT_EQ(stats.cursor_offset, 10u * kBatch);
}

TEST(ForwarderInFlight, AccountingBalancesAtEveryInstantThroughFailuresSplitsAndDeadLetters) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  auto sink = make_sink(4, [](const ForwardBatch& batch, std::uint64_t call) {
    if (call % 7 == 3) return FlushResult::failed("HTTP 500", true);
    if (call % 11 == 5) return FlushResult::failed("HTTP 400", false);
    if (call % 13 == 6 && batch.records.size() > 1) {
      FlushResult r = FlushResult::failed("HTTP 413", true);
      r.payload_too_large = true;
      return r;
    }
    if (call % 5 == 1) return FlushResult::partial({batch.records.front().offset}, "one rejected");
    return FlushResult::succeeded();
  });
  auto options = in_flight_options(4);
  options.retry.max_retries = 1;
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> checks{0};
  std::thread checker([&] {
    while (!done.load()) {
      const Accounting a = (*fwd)->accounting();
      ASSERT_TRUE(a.balanced()) << "appended " << a.appended << " delivered " << a.delivered
                                << " dead " << a.dead_lettered << " buffered " << a.still_buffered;
      checks.fetch_add(1);
    }
  });
  for (std::uint64_t from = 0; from < 3000; from += 500) append_n(*buffer, from, 500);
  ASSERT_TRUE((*fwd)->flush(120'000));
  done = true;
  checker.join();
  EXPECT_GT(checks.load(), 10u);
  const Accounting a = (*fwd)->accounting();
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.appended, 3000u);
  EXPECT_EQ(a.still_buffered, 0u);
  EXPECT_GT(a.dead_lettered, 0u);
  EXPECT_EQ(a.delivered + a.dead_lettered, 3000u);
  EXPECT_EQ(a.delivered, sink.view->delivered().size());
}

TEST(ForwarderInFlight, PriorityOrderSettlesEachBatchAsItsAnswerComes) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  std::mutex mu;
  std::vector<std::uint64_t> order;  // first offsets of the batches, as sent
  auto sink = make_sink(3, [&](const ForwardBatch& batch, std::uint64_t) {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(batch.first_offset);
    return FlushResult::succeeded();
  });
  auto options = in_flight_options(3);
  options.order.by_priority = true;
  options.flush = FlushStrategy::kManual;  // a backlog: nothing goes before flush()
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), options);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_n(*buffer, 0, 300, Priority::kNormal);
  append_n(*buffer, 300, 50, Priority::kCritical);
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto delivered = sink.view->delivered();
  ASSERT_EQ(delivered.size(), 350u);
  for (const auto& [offset, count] : delivered) EXPECT_EQ(count, 1) << offset;
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(order.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_GE(order[i], 300u) << "batch " << i << " was not critical";
  EXPECT_EQ((*fwd)->stats().cursor_offset, 350u);
  EXPECT_TRUE((*fwd)->accounting().balanced());
}

TEST(ForwarderInFlight, SeekWaitsForTheSendsUnderWay) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  Gate release;
  std::atomic<bool> holding{true};
  std::atomic<int> entered{0};
  auto sink = make_sink(2, [&](const ForwardBatch&, std::uint64_t) {
    entered.fetch_add(1);
    if (holding.load()) {
      EXPECT_TRUE(release.wait());
    }
    return FlushResult::succeeded();
  });
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), in_flight_options(2));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_n(*buffer, 0, 200);
  ASSERT_TRUE(eventually([&] { return entered.load() >= 1; }));  // a send is under way
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    holding = false;
    release.open();
  });
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kEarliest));
  opener.join();
  ASSERT_TRUE((*fwd)->flush(60'000));
  EXPECT_EQ(sink.view->delivered().size(), 200u);
  EXPECT_EQ((*fwd)->stats().cursor_offset, 200u);
  EXPECT_TRUE((*fwd)->accounting().balanced());
}

TEST(ForwarderInFlight, ASinkThatTakesOneSendAtATimeNeverGetsTwo) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  append_n(*buffer, 0, 500);
  auto sink = make_sink(1);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), in_flight_options(8));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  EXPECT_EQ(sink.view->delivered().size(), 500u);
  EXPECT_EQ(sink.view->max_inside(), 1u);
}

TEST(ForwarderInFlight, RejectsAnOutOfRangeCount) {
  testing::TempDir dir;
  auto buffer = testing::open_blocking_buffer(dir.path());
  ASSERT_TRUE(buffer);
  for (std::uint32_t bad : {0u, 65u}) {
    auto fwd = Forwarder::start(*buffer, make_sink(4).owned, in_flight_options(bad));
    ASSERT_FALSE(fwd) << bad;
    EXPECT_EQ(fwd.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(fwd.status().message().find("max_in_flight_batches"), std::string::npos);
  }
}

std::string ranges(const std::set<std::uint64_t>& offsets) {
  std::string out;
  for (auto it = offsets.begin(); it != offsets.end();) {
    const std::uint64_t first = *it;
    std::uint64_t last = first;
    while (++it != offsets.end() && *it == last + 1) ++last;
    out += (out.empty() ? "" : ",") + std::to_string(first) + "-" + std::to_string(last);
  }
  return out;
}
std::set<std::uint64_t> after_set(const std::map<std::uint64_t, int>& m) {
  std::set<std::uint64_t> s;
  for (const auto& [o, c] : m) s.insert(o);
  return s;
}

// Crash: a forwarder with 3 batches in flight is killed (SIGKILL) while batch [500, 550)
// waits for its answer. In offset order the two batches after it were acknowledged but never
// committed (the cursor waited for [500, 550)): the restarted forwarder sends again those and
// the unanswered one, nothing else. In priority order each acknowledged batch is settled in
// the cursor file's runs as its answer comes: only batches still in flight are sent again.
struct CrashOutcome {
  std::set<std::uint64_t> before;      // acknowledged before the kill
  std::map<std::uint64_t, int> after;  // delivered after the restart
  std::uint64_t committed_at_kill = 0;
  std::uint64_t cursor_after = 0;
};

constexpr std::uint64_t kCrashRecords = 1000, kStuck = 500;
constexpr std::uint32_t kCrashBatch = 50, kCrashInFlight = 3;

void crash_and_restart(bool by_priority, CrashOutcome* out) {
  testing::TempDir dir;
  {
    auto buffer = testing::open_blocking_buffer(dir.path());
    ASSERT_TRUE(buffer);
    for (std::uint64_t from = 0; from < kCrashRecords; from += 250)
      testing::append_seq_run(*buffer, from, 250);
  }  // closed: no thread of this process runs when the child is forked
  const std::string acks = dir.path() + "/acks";
  const int fd = ::open(acks.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  auto options = in_flight_options(kCrashInFlight);
  options.order.by_priority = by_priority;
  options.batch.initial_records = options.batch.min_records = options.batch.max_records =
      kCrashBatch;

  testing::ForkedChild child = testing::ForkedChild::start([&]() -> int {
    // Acknowledged offsets reach the file (the page cache) before the answer does.
    auto sink = std::make_unique<ConcurrentSink>(
        kCrashInFlight, [fd](const ForwardBatch& batch, std::uint64_t) {
          if (batch.first_offset == kStuck) {
            for (;;) ::pause();  // never answers: killed here
          }
          for (const ForwardRecord& r : batch.records) {
            if (::write(fd, &r.offset, sizeof r.offset) != static_cast<ssize_t>(sizeof r.offset))
              ::_exit(4);
          }
          return FlushResult::succeeded();
        });
    auto fwd = Forwarder::open(dir.path(), std::move(sink), options);
    if (!fwd) return 3;
    for (;;) ::pause();
  });
  ::close(fd);
  ASSERT_TRUE(child.started());
  auto acked = [&] {
    std::set<std::uint64_t> offsets;
    const int in = ::open(acks.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return offsets;
    std::uint64_t v;
    while (::read(in, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) offsets.insert(v);
    ::close(in);
    return offsets;
  };
  auto committed = [&]() -> std::uint64_t {
    auto loaded = segment::CursorStore::at(dir.path()).load("default");
    return loaded && loaded->has_value() ? (*loaded)->next_offset : 0;
  };
  // Offset order: the two batches after the stuck one acknowledged, then nothing more is
  // read. Priority order: every other batch acknowledged.
  const std::uint64_t expect_acked =
      by_priority ? kCrashRecords - kCrashBatch : kStuck + (kCrashInFlight - 1) * kCrashBatch;
  ASSERT_TRUE(eventually([&] { return committed() == kStuck && acked().size() == expect_acked; }))
      << "committed " << committed() << ", acknowledged " << ranges(acked());
  if (!by_priority)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a read too many would show
  out->committed_at_kill = committed();
  EXPECT_EQ(child.kill_and_wait(), 128 + SIGKILL);
  out->before = acked();
  EXPECT_EQ(out->before.size(), expect_acked) << ranges(out->before);

  auto sink = make_sink(kCrashInFlight);
  auto fwd = Forwarder::open(dir.path(), std::move(sink.owned), options);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  out->after = sink.view->delivered();
  out->cursor_after = (*fwd)->stats().cursor_offset;
  for (const auto& [offset, count] : out->after) EXPECT_EQ(count, 1) << offset;
  for (std::uint64_t o = 0; o < kCrashRecords; ++o) {
    EXPECT_TRUE(out->before.count(o) != 0 || out->after.count(o) != 0)
        << "offset " << o << " never delivered";
  }
}

std::uint64_t resent(const CrashOutcome& c) {
  std::uint64_t n = 0;
  for (const auto& [offset, count] : c.after) n += c.before.count(offset);
  return n;
}

TEST(ForwarderInFlight, RestartAfterAKillResendsOnlyTheBatchesInFlight) {
  CrashOutcome c;
  ASSERT_NO_FATAL_FAILURE(crash_and_restart(/*by_priority=*/false, &c));
  EXPECT_EQ(c.committed_at_kill, kStuck);
  // The acknowledged but uncommitted batches [550, 650), and [500, 550) that was never answered.
  EXPECT_EQ(resent(c), (kCrashInFlight - 1) * kCrashBatch) << ranges(c.before);
  EXPECT_LE(resent(c), kCrashInFlight * kCrashBatch);
  EXPECT_EQ(c.after.begin()->first, kStuck);
  EXPECT_EQ(c.after.size(), kCrashRecords - kStuck);
  EXPECT_EQ(c.cursor_after, kCrashRecords);
}

TEST(ForwarderInFlight, RestartAfterAKillInPriorityOrderResendsAtMostTheBatchesInFlight) {
  CrashOutcome c;
  ASSERT_NO_FATAL_FAILURE(crash_and_restart(/*by_priority=*/true, &c));
  EXPECT_EQ(c.committed_at_kill, kStuck);
  // Acknowledged batches were settled in the cursor file's runs as their answers came: only
  // the unanswered one and those whose answer had not reached the cursor file yet (in flight
  // too, at most two more here) are sent again; never a batch settled before them.
  EXPECT_LE(resent(c), (kCrashInFlight - 1) * kCrashBatch) << ranges(after_set(c.after));
  EXPECT_GE(c.after.size(), kCrashBatch);
  EXPECT_LE(c.after.size(), kCrashInFlight * kCrashBatch) << ranges(after_set(c.after));
  EXPECT_EQ(c.after.begin()->first, kStuck);
  EXPECT_EQ(c.cursor_after, kCrashRecords);
}

}  // namespace
}  // namespace spool
