// Cursor ownership (segment/cursor_lock.h): one forwarder per cursor, in any process; and
// retention in the writer honouring cursors other processes commit.
#include "segment/cursor_lock.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "segment/cursor_store.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using segment::CursorLock;
using segment::CursorStore;
using testing::ForkedChild;
using testing::TempDir;

// Counts what it is given, acknowledges everything.
class CountingSink : public Sink {
 public:
  FlushResult send(const ForwardBatch& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const ForwardRecord& r : batch.records) ++delivered_[r.offset];
    return FlushResult::succeeded();
  }
  std::string name() const override { return "counting"; }
  std::map<std::uint64_t, int> delivered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::uint64_t, int> delivered_;
};

ForwarderOptions fast_options(const std::string& cursor = "otlp") {
  ForwarderOptions o;
  o.cursor = cursor;
  o.flush_interval_ms = 10;
  o.poll_interval_ms = 5;
  return o;
}

TEST(CursorLock, ASecondHolderIsRefusedNamingTheFirst) {
  TempDir tmp;
  ASSERT_TRUE(CursorStore::open(tmp.path()));
  auto first = CursorLock::acquire(tmp.path(), "otlp", 0640);
  ASSERT_TRUE(first) << first.status().to_string();
  struct stat st;
  ASSERT_EQ(::stat(tmp.sub("cursors/otlp.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  auto second = CursorLock::acquire(tmp.path(), "otlp", 0640);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kLocked);
  EXPECT_NE(second.status().message().find("cursor 'otlp'"), std::string::npos) << second.status().to_string();
  EXPECT_NE(second.status().message().find("held by pid " + std::to_string(::getpid())), std::string::npos)
      << second.status().to_string();
  EXPECT_TRUE(CursorLock::acquire(tmp.path(), "other", 0600));  // another cursor is free

  first->release();
  EXPECT_TRUE(CursorLock::acquire(tmp.path(), "otlp", 0640));
  // Not a cursor: the lock file is not listed as one.
  auto cursors = CursorStore::at(tmp.path()).list();
  ASSERT_TRUE(cursors);
  EXPECT_TRUE(cursors->empty());
}

TEST(CursorLock, AHolderInAnotherProcessIsNamedAndItsDeathFreesTheCursor) {
  TempDir tmp;
  ASSERT_TRUE(CursorStore::open(tmp.path()));
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  ForkedChild child = ForkedChild::start([&]() -> int {
    auto lock = CursorLock::acquire(tmp.path(), "otlp", 0600);
    if (!lock) return 10;
    if (::write(ready[1], "x", 1) != 1) return 11;
    ::pause();
    return 0;
  });
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto refused = CursorLock::acquire(tmp.path(), "otlp", 0600);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("held by pid " + std::to_string(child.pid())), std::string::npos)
      << refused.status().to_string();
  child.kill_and_wait();
  EXPECT_TRUE(CursorLock::acquire(tmp.path(), "otlp", 0600));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(CursorLock, TwoForwardersOnOneCursorTheSecondIsRefusedUntilTheFirstStops) {
  TempDir tmp;
  Options options;
  auto buffer = Buffer::open(tmp.sub("log"), options);
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  auto first = Forwarder::start(**buffer, std::make_unique<CountingSink>(), fast_options());
  ASSERT_TRUE(first) << first.status().to_string();
  auto second = Forwarder::start(**buffer, std::make_unique<CountingSink>(), fast_options());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kLocked);
  EXPECT_NE(second.status().message().find("cursor 'otlp'"), std::string::npos) << second.status().to_string();
  EXPECT_TRUE(Forwarder::start(**buffer, std::make_unique<CountingSink>(), fast_options("audit")));
  ASSERT_TRUE((*first)->stop());
  EXPECT_TRUE(Forwarder::start(**buffer, std::make_unique<CountingSink>(), fast_options()));
}

// Forwarder::open on a log a child process writes: it follows the writer, delivers what it
// committed (also what it commits later) exactly once, and commits the cursor.
TEST(CursorLock, AForwarderOpenedBesideAWriterInAnotherProcessFollowsIt) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  ForkedChild child = ForkedChild::start([&]() -> int {
    auto buffer = Buffer::open(dir, Options{});
    if (!buffer) return 10;
    char c;
    for (std::uint64_t batch = 0; batch < 2; ++batch) {
      for (std::uint64_t i = 0; i < 100; ++i) {
        if (!testing::append_seq(**buffer, 0, batch * 100 + i)) return 11;
      }
      if (!(*buffer)->flush()) return 12;
      if (::write(from_child[1], "x", 1) != 1) return 13;
      if (::read(to_child[0], &c, 1) != 1) return 14;
    }
    ::pause();
    return 0;
  });
  char c;
  ASSERT_EQ(::read(from_child[0], &c, 1), 1);  // 100 committed
  auto sink = std::make_unique<CountingSink>();
  CountingSink* view = sink.get();
  auto forwarder = Forwarder::open(dir, std::move(sink), fast_options());
  ASSERT_TRUE(forwarder) << forwarder.status().to_string();
  ASSERT_TRUE((*forwarder)->flush(static_cast<std::uint32_t>(testing::scaled(std::chrono::milliseconds(60'000)).count())));
  EXPECT_EQ((*forwarder)->stats().cursor_offset, 100u);
  ASSERT_EQ(::write(to_child[1], "x", 1), 1);
  ASSERT_EQ(::read(from_child[0], &c, 1), 1);  // 200 committed
  const auto deadline = std::chrono::steady_clock::now() + testing::scaled(std::chrono::milliseconds(60'000));
  while ((*forwarder)->stats().cursor_offset < 200 && std::chrono::steady_clock::now() < deadline) {
    (void)(*forwarder)->flush(200);
  }
  ASSERT_TRUE((*forwarder)->stop());
  const auto delivered = view->delivered();
  ASSERT_EQ(delivered.size(), 200u);
  for (const auto& [offset, times] : delivered) EXPECT_EQ(times, 1) << offset;
  auto cursor = CursorStore::at(dir).load("otlp");
  ASSERT_TRUE(cursor && cursor->has_value());
  EXPECT_EQ((**cursor).next_offset, 200u);
  EXPECT_EQ(child.try_wait(), std::nullopt) << "the writer is still running";
}

// Retention in the writer reads the cursors from disk: a cursor another process commits
// holds the segments it still needs against the age cap.
TEST(CursorLock, RetentionHonoursACursorCommittedByAnotherProcess) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto log = testing::open_log(dir, testing::small_segments());
  ASSERT_TRUE(log);
  const std::int64_t old = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() -
                           5 * 3600ll * 1'000'000'000;
  for (std::uint64_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(log->append(0, testing::bytes_of(testing::sample_payload(i)), old));
  }
  ASSERT_GT(log->segment_count(), 4u);
  const int committed = testing::run_in_child([&]() -> int {
    auto store = CursorStore::open(dir);
    if (!store) return 10;
    return store->commit({"elsewhere", 150, 0, ""}) ? 0 : 11;
  });
  ASSERT_EQ(committed, 0);
  log->set_retention(0, 1000);  // one second: every sealed segment is too old
  ASSERT_TRUE(log->enforce_retention());
  EXPECT_LE(log->first_offset(), 150u);
  EXPECT_GT(log->first_offset(), 0u);
  EXPECT_EQ(testing::read_all(*log, 150).begin()->first, 150u);
}

}  // namespace
}  // namespace spool
