// Options::hooks of a Buffer: on_drop reports each drop reason with its count, off the
// appending thread, every drop_report_interval_ms and at shutdown; on_error reports the
// writer's write and sync errors; a throwing callback changes nothing for the Buffer.
#include <errno.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "engine/produce/buffer_core.h"
#include "spool/buffer.h"
#include "support/child_process.h"
#include "support/fault_env.h"
#include "support/hook_recorder.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::FaultEnv;
using testing::HookRecorder;
using testing::TempDir;

// Reports drops only at shutdown: one call per reason, with everything counted.
Options hooked(HookRecorder& seen) {
  Options o = testing::small_buffer_options();
  o.hooks = seen.hooks();
  o.hooks.drop_report_interval_ms = 3'600'000;
  return o;
}

// A Buffer whose largest record is 4 KiB, with `seen`'s hooks (hooked()).
std::unique_ptr<Buffer> open_with_small_records(const std::string& dir, HookRecorder& seen) {
  Options o = hooked(seen);
  o.log.max_record_bytes = 4096;
  auto buffer = Buffer::open(dir, o);
  EXPECT_TRUE(buffer) << buffer.status().to_string();
  return buffer ? std::move(*buffer) : nullptr;
}
const std::string kTooLarge(8192, 'x');

RawRecord raw(const std::string& bytes) {
  return RawRecord{"t", {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}};
}

TEST(BufferHooks, OnDropGetsTheReasonAndTheCountOffTheAppendingThread) {
  TempDir dir;
  HookRecorder seen;
  auto buffer = open_with_small_records(dir.path(), seen);
  ASSERT_NE(buffer, nullptr);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(buffer->append(raw(kTooLarge)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(buffer->append(raw("fits")).is_ok());
  ASSERT_TRUE(buffer->shutdown().is_ok());
  EXPECT_EQ(seen.events(), std::vector<std::string>{"drop:too_large:3"});
  for (std::thread::id id : seen.threads()) EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_EQ(buffer->stats().hooks.calls, 1u);
}

TEST(BufferHooks, QueueFullDropsAreReportedWhileTheBufferRuns) {
  TempDir dir;
  HookRecorder seen;
  Options o = hooked(seen);
  o.hooks.drop_report_interval_ms = 5;
  o.queue_bytes = o.min_queue_bytes = o.producer_ring_bytes = 8192;
  o.full_policy = FullPolicy::kDropNewest;
  auto core = engine::BufferCore::open(dir.path(), o);
  ASSERT_TRUE(core) << core.status().to_string();
  (*core)->set_writer_paused(true);
  std::uint64_t refused = 0;
  for (std::uint64_t i = 0; i < 500; ++i) {
    if (!append_seq(**core, 0, i, 64).is_ok()) ++refused;
  }
  ASSERT_GT(refused, 0u);
  // Every drop is reported, in one call or several, before the Buffer shuts down.
  auto reported = [&](const std::vector<std::string>& events) {
    std::uint64_t sum = 0;
    for (const std::string& e : events) {
      if (e.rfind("drop:queue_full:", 0) == 0) sum += std::stoull(e.substr(16));
    }
    return sum;
  };
  ASSERT_TRUE(seen.wait_until([&](const auto& events) { return reported(events) == refused; }));
  EXPECT_EQ(seen.events_starting("drop:").size(), seen.events().size());
  (*core)->set_writer_paused(false);
  ASSERT_TRUE((*core)->shutdown().is_ok());
  EXPECT_EQ(reported(seen.events()), refused);
  for (std::thread::id id : seen.threads()) EXPECT_NE(id, std::this_thread::get_id());
}

TEST(BufferHooks, OnErrorReportsAFullDiskAsAWriteError) {
  TempDir dir;
  HookRecorder seen;
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  Options o = hooked(seen);
  o.log.segment_bytes = 64 * 1024;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  faults.fail({FaultEnv::Op::kAllocate, ENOSPC, ".seg"});  // no room for the next segment
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*buffer)->append(raw(std::string(200, 'r'))).is_ok());
  ASSERT_TRUE(seen.wait_for(1));
  const std::vector<std::string> errors = seen.events_starting("error:write:NoSpace: ");
  ASSERT_FALSE(errors.empty()) << seen.events().front();
  faults.clear_rules();
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  EXPECT_TRUE(seen.events_starting("drop:").empty());
}

TEST(BufferHooks, OnErrorReportsAFailedSyncAndTheRecordsItCost) {
  TempDir dir;
  HookRecorder seen;
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  Options o = hooked(seen);
  o.log.durability = Durability::kBatch;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  faults.fail({FaultEnv::Op::kSync, EIO, ".seg", 0, 1});
  ASSERT_TRUE((*buffer)->append(raw("queued when the sync fails")).is_ok());
  EXPECT_FALSE((*buffer)->flush().is_ok());
  faults.clear_rules();
  EXPECT_FALSE((*buffer)->append(raw("refused")).is_ok());
  EXPECT_FALSE((*buffer)->shutdown().is_ok());
  const std::vector<std::string> events = seen.events();
  ASSERT_FALSE(seen.events_starting("error:sync:IoError: ").empty())
      << (events.empty() ? "" : events.front());
  EXPECT_EQ(seen.events_starting("drop:"), std::vector<std::string>{"drop:write_failed:2"});
}

TEST(BufferHooks, AThrowingCallbackIsCountedAndTheBufferGoesOn) {
  TempDir dir;
  Options o = testing::small_buffer_options();
  o.log.max_record_bytes = 4096;
  o.hooks.drop_report_interval_ms = 1;
  std::atomic<int> calls{0};
  o.hooks.on_drop = [&](DropReason, std::uint64_t) {
    ++calls;
    throw std::runtime_error("the application's bug");
  };
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer) << buffer.status().to_string();
  EXPECT_FALSE((*buffer)->append(raw(kTooLarge)).is_ok());
  for (int i = 0; i < 100000 && (*buffer)->stats().hooks.failures == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE((*buffer)->append(raw(kTooLarge)).is_ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*buffer)->append(raw("still appends")).is_ok());
  ASSERT_TRUE((*buffer)->flush().is_ok());
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  const BufferStats s = (*buffer)->stats();
  EXPECT_EQ(s.written, 100u);
  EXPECT_EQ(calls.load(), 2);  // the second drop too: the first throw changed nothing
  EXPECT_EQ(s.hooks.calls, 2u);
  EXPECT_EQ(s.hooks.failures, 2u);
}

TEST(BufferHooks, AForkChildLeavesTheNotifierToTheParent) {
  TempDir dir;
  HookRecorder seen;
  auto buffer = open_with_small_records(dir.path(), seen);
  ASSERT_NE(buffer, nullptr);
  const int child = testing::run_in_child([&]() -> int {
    ::alarm(300);    // a child waiting for the parent's notifier thread ends here
    buffer.reset();  // neither joins nor waits for the notifier: it is the parent's
    return 0;
  });
  EXPECT_EQ(child, 0);
  EXPECT_FALSE(buffer->append(raw(kTooLarge)).is_ok());
  ASSERT_TRUE(buffer->shutdown().is_ok());
  EXPECT_EQ(seen.events(), std::vector<std::string>{"drop:too_large:1"});
}

TEST(BufferHooks, BadHookOptionsAreRefusedAtOpen) {
  TempDir dir;
  Options o = testing::small_buffer_options();
  o.hooks.on_drop = [](DropReason, std::uint64_t) {};
  o.hooks.drop_report_interval_ms = 0;
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_FALSE(buffer);
  EXPECT_EQ(buffer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(buffer.status().message().find("drop_report_interval_ms"), std::string::npos);
}

}  // namespace
}  // namespace spool
