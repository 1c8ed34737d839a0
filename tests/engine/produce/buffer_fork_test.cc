// fork() of a writer: the child of a process with a Buffer, a SegmentLog opened for writing or
// a Forwarder cannot append (ForkChild, naming both pids), does not wait for the parent's
// threads, and its destructors free memory without syncing, writing a checkpoint or an index,
// or unlocking: the parent keeps its lock and its log, and recovers it as its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "segment/log_checkpoint.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "spool/record_encoder.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::read_file;
using testing::read_seq_records;
using testing::run_in_child;
using testing::open_small_buffer;
using testing::small_buffer_options;
using testing::TempDir;

// A child that hangs (the bug this file guards against: waiting for a parent thread) is
// ended by SIGALRM, so run_in_child always returns; the test then fails on the exit code.
constexpr unsigned kChildAlarmSeconds = 300;

// A child of a multi-threaded process may open a Buffer (a writer thread) of its own only
// where that is safe (not under the sanitizers: support/child_process.h).
constexpr bool kChildMayStartThreads = testing::kForkBesideThreadsIsSafe;

// The message names the object, the parent's pid and this process's pid.
bool is_fork_child_error(const Status& s, pid_t parent) {
  return s.code() == StatusCode::kForkChild &&
         s.message().find("opened by pid " + std::to_string(parent)) != std::string::npos &&
         s.message().find("(pid " + std::to_string(::getpid()) + ") is a fork child") != std::string::npos;
}

// Every kind of append a child might try on the parent's buffer; 0 when each one is refused
// with the documented error, else the 1-based number of the first that was not.
int every_append_is_refused(Buffer& buffer, pid_t parent) {
  Span span;
  span.name = "child-span";
  LogRecord log;
  log.body = "child-log";
  Metric metric;
  metric.name = "child-metric";
  RawRecord raw;
  raw.type_tag = "child";
  RecordEncoder encoder;
  const EncodedRecord encoded = encoder.encode(log);
  std::vector<std::uint8_t> bytes(encoded.bytes.begin(), encoded.bytes.end());
  const EncodedRecord copy{encoded.kind, encoded.priority, bytes};
  const Span spans[] = {span, span};
  const EncodedRecord records[] = {copy, copy};
  std::size_t appended = 99;
  const Status results[] = {
      buffer.append(span),
      buffer.append(log),
      buffer.append(metric),
      buffer.append(raw),
      buffer.append(copy),
      buffer.append_checked(copy),
      buffer.append_batch(std::span<const Span>(spans), &appended),
      buffer.append_batch(std::span<const EncodedRecord>(records), nullptr),
      append_seq(buffer, 9, 9),
  };
  for (std::size_t i = 0; i < std::size(results); ++i) {
    if (!is_fork_child_error(results[i], parent)) {
      std::fprintf(stderr, "append #%zu in the child: %s\n", i + 1, results[i].to_string().c_str());
      return static_cast<int>(i) + 1;
    }
  }
  return appended == 0 ? 0 : 50;
}

// The parent still holds the log: a second writer is refused with Locked.
void expect_still_locked(const std::string& dir) {
  Options must_write = small_buffer_options();
  must_write.role = Role::kWriter;
  auto second = Buffer::open(dir, must_write);
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), StatusCode::kLocked) << second.status().to_string();
}

TEST(BufferFork, ChildIsRefusedAndLeavesTheParentsLogLockAndCheckpointAlone) {
  TempDir dir;
  const std::string log_dir = dir.sub("parent");
  const std::string child_dir = dir.sub("child");
  auto buffer = open_small_buffer(log_dir);
  ASSERT_NE(buffer, nullptr);
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i));
  ASSERT_TRUE(buffer->flush());
  const std::string checkpoint_before = read_file(log_dir + "/" + segment::LogCheckpoint::kFileName);
  const std::string lock_before = read_file(log_dir + "/LOCK");
  const pid_t parent = ::getpid();

  const int child = run_in_child([&]() -> int {
    ::alarm(kChildAlarmSeconds);
    if (int bad = every_append_is_refused(*buffer, parent); bad != 0) return bad;
    if (!is_fork_child_error(buffer->flush(), parent)) return 60;
    if (!is_fork_child_error(buffer->flush(10), parent)) return 61;
    if (!is_fork_child_error(buffer->sync(), parent)) return 62;
    if (!is_fork_child_error(buffer->shutdown(), parent)) return 63;
    if (buffer->stats().appended != 0) return 64;  // the parent's figures are not the child's
    // A Buffer of its own works in the child.
    if (kChildMayStartThreads) {
      auto own = Buffer::open(child_dir, small_buffer_options());
      if (!own) return 70;
      for (std::uint64_t i = 0; i < 10; ++i) {
        if (!append_seq(**own, 1, i)) return 71;
      }
      if (!(*own)->shutdown()) return 72;
    }
    buffer.reset();  // the destructors run here, in the child
    return 0;
  });
  ASSERT_EQ(child, 0);

  EXPECT_EQ(read_file(log_dir + "/" + segment::LogCheckpoint::kFileName), checkpoint_before)
      << "the child rewrote the parent's checkpoint";
  EXPECT_EQ(read_file(log_dir + "/LOCK"), lock_before);
  expect_still_locked(log_dir);
  for (std::uint64_t i = 100; i < 200; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i));
  ASSERT_TRUE(buffer->flush());
  EXPECT_EQ(buffer->stats().written, 200u);
  ASSERT_TRUE(buffer->shutdown());
  buffer.reset();

  // The parent's log recovers as the parent left it: every record once, in order.
  const auto records = read_seq_records(log_dir);
  ASSERT_EQ(records.size(), 200u);
  for (std::uint64_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].seq, i);
  auto reopened = testing::open_log(log_dir, LogOptions{});
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->recovery_report().clean_shutdown);
  EXPECT_EQ(reopened->next_offset(), 200u);
  if (kChildMayStartThreads) {
    EXPECT_EQ(read_seq_records(child_dir).size(), 10u);
  }
}

// Forks while other threads of the parent append and flush, so the child inherits the
// writer's and the rings' mutexes and condition variables in whatever state they were in:
// the child's destructor must neither wait for them nor touch the log.
TEST(BufferFork, ChildOfABusyWriterNeverHangsNorWrites) {
  TempDir dir;
  auto buffer = open_small_buffer(dir.sub("log"));
  ASSERT_NE(buffer, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> appended{0};
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (append_seq(*buffer, p, i)) appended.fetch_add(1, std::memory_order_relaxed);
        if (i % 64 == 0) (void)buffer->flush();
      }
    });
  }
  const pid_t parent = ::getpid();
  std::vector<int> children;
  for (int round = 0; round < 20; ++round) {
    children.push_back(run_in_child([&]() -> int {
      ::alarm(kChildAlarmSeconds);
      if (!is_fork_child_error(append_seq(*buffer, 7, 0), parent)) return 1;
      if (!is_fork_child_error(buffer->flush(), parent)) return 2;
      (void)buffer->stats();
      buffer.reset();
      return 0;
    }));
  }
  stop = true;
  for (auto& t : producers) t.join();
  for (int code : children) EXPECT_EQ(code, 0);
  expect_still_locked(dir.sub("log"));
  ASSERT_TRUE(buffer->shutdown());
  EXPECT_EQ(buffer->stats().written, appended.load());
  buffer.reset();
  EXPECT_EQ(read_seq_records(dir.sub("log")).size(), appended.load());
}

TEST(SegmentLogFork, ChildIsRefusedAndItsCloseChangesNothing) {
  TempDir dir;
  LogOptions options;
  options.segment_bytes = 1 << 16;
  options.retention_bytes = 1 << 17;
  auto log = testing::open_log(dir.path(), options);
  ASSERT_NE(log, nullptr);
  for (std::uint64_t i = 0; i < 50; ++i) ASSERT_TRUE(log->append(1, testing::bytes_of(testing::sample_payload(i))));
  const std::string checkpoint_before = read_file(dir.path() + "/" + segment::LogCheckpoint::kFileName);
  const auto segments_before = testing::segment_paths(dir.path());
  const pid_t parent = ::getpid();

  const int child = run_in_child([&]() -> int {
    ::alarm(kChildAlarmSeconds);
    auto appended = log->append(1, testing::bytes_of("from the child"));
    if (appended || !is_fork_child_error(appended.status(), parent)) return 1;
    if (!is_fork_child_error(log->sync(), parent)) return 2;
    auto retention = log->enforce_retention();
    if (retention || !is_fork_child_error(retention.status(), parent)) return 3;
    if (!is_fork_child_error(log->close(), parent)) return 4;
    if (!log->close()) return 5;  // idempotent
    log.reset();
    // A log of its own works in the child.
    auto own = segment::SegmentLog::open(dir.sub("child"), LogOptions{});
    if (!own || !(*own)->append(1, testing::bytes_of("mine")) || !(*own)->close()) return 6;
    return 0;
  });
  ASSERT_EQ(child, 0);

  EXPECT_EQ(read_file(dir.path() + "/" + segment::LogCheckpoint::kFileName), checkpoint_before);
  EXPECT_EQ(testing::segment_paths(dir.path()), segments_before);
  auto second = segment::SegmentLog::open(dir.path(), options);
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), StatusCode::kLocked) << second.status().to_string();
  for (std::uint64_t i = 50; i < 100; ++i) ASSERT_TRUE(log->append(1, testing::bytes_of(testing::sample_payload(i))));
  ASSERT_TRUE(log->close());
  log.reset();

  auto reopened = testing::open_log(dir.path(), options);
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->recovery_report().clean_shutdown);
  EXPECT_EQ(reopened->next_offset(), 100u);
  const auto records = testing::read_all(*reopened);
  ASSERT_FALSE(records.empty());
  for (const auto& [offset, payload] : records) EXPECT_EQ(payload, testing::sample_payload(offset));
}

TEST(ForwarderFork, ChildIsRefusedAndItsDestructorLeavesTheCursorAlone) {
  TempDir dir;
  auto buffer = open_small_buffer(dir.path());
  ASSERT_NE(buffer, nullptr);
  std::atomic<std::uint64_t> delivered{0};
  auto sink = make_callback_sink([&](const ForwardBatch& batch) {
    delivered.fetch_add(batch.records.size());
    return FlushResult::succeeded();
  });
  ForwarderOptions options;
  options.cursor = "fork";
  options.flush = FlushStrategy::kManual;
  options.stats_persist_interval_ms = 3'600'000;  // the parent writes the cursor file only when told
  auto forwarder = Forwarder::start(*buffer, std::move(sink), options);
  ASSERT_TRUE(forwarder.is_ok()) << forwarder.status().to_string();
  for (std::uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i));
  ASSERT_TRUE(buffer->flush());
  ASSERT_TRUE((*forwarder)->flush());
  // A seek commits the cursor file before it returns; after it the parent leaves the file
  // alone until the next delivery, so any change while the child runs is the child's.
  ASSERT_TRUE((*forwarder)->seek(SeekTarget::kOffset, 20));
  const std::string cursor_before = read_file(dir.path() + "/cursors/fork.cursor");
  const pid_t parent = ::getpid();

  const int child = run_in_child([&]() -> int {
    ::alarm(kChildAlarmSeconds);
    if (!is_fork_child_error((*forwarder)->flush(), parent)) return 1;
    if (!is_fork_child_error((*forwarder)->seek(SeekTarget::kEarliest), parent)) return 2;
    const HealthReport health = (*forwarder)->health();
    if (health.warnings.size() != 1 || health.warnings[0].code != "fork_child") return 3;
    if (!is_fork_child_error((*forwarder)->stop(), parent)) return 4;
    forwarder->reset();
    buffer.reset();
    return 0;
  });
  ASSERT_EQ(child, 0);

  EXPECT_EQ(read_file(dir.path() + "/cursors/fork.cursor"), cursor_before);
  for (std::uint64_t i = 20; i < 40; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i));
  ASSERT_TRUE(buffer->flush());
  ASSERT_TRUE((*forwarder)->flush());
  EXPECT_EQ(delivered.load(), 40u);
  EXPECT_TRUE((*forwarder)->health().healthy());
  ASSERT_TRUE((*forwarder)->stop());
}

}  // namespace
}  // namespace spool
