// spoolctl against a log another process writes: verify, dump, stats, health and cursors read
// it as it grows (only what its writer committed, never its work in progress as damage);
// forward follows it, drains what was committed, and owns its cursor.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "segment/cursor_lock.h"
#include "segment/cursor_store.h"
#include "segment/log_state.h"
#include "spool/buffer.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/seq_records.h"
#include "support/spoolctl_runner.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ForkedChild;
using testing::ProcessResult;
using testing::spoolctl;
using testing::TempDir;
using testing::wait_committed;

// A writer in a child process: appends `records` seq records (forever when 0), flushing every
// 50, then holds the log until killed. Retention keeps the log small while it appends
// forever, and deletes segments under the tools that read it.
ForkedChild start_writer(const std::string& dir, std::uint64_t records) {
  return ForkedChild::start([dir, records]() -> int {
    Options options;
    options.log.segment_bytes = 64 * 1024;  // rotations while the tools read
    options.log.retention_bytes = 512 * 1024;
    auto buffer = Buffer::open(dir, options);
    if (!buffer) return 10;
    for (std::uint64_t i = 0; records == 0 || i < records; ++i) {
      if (!testing::append_seq(**buffer, 0, i, 64)) return 11;
      if (i % 50 == 49 && !(*buffer)->flush()) return 12;
    }
    if (!(*buffer)->flush()) return 13;
    ::pause();
    return 0;
  });
}

TEST(SpoolctlLiveLog, ReadCommandsWorkBesideAnAppendingWriter) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ForkedChild writer = start_writer(dir, 0);
  ASSERT_TRUE(wait_committed(dir, 200));
  ASSERT_TRUE(segment::CursorStore::open(dir)->commit({"otlp", 10, 0, ""}));

  std::uint64_t end_seen = 0;
  for (int round = 0; round < 25; ++round) {
    ProcessResult verify = spoolctl({"verify", dir});
    ASSERT_EQ(verify.exit_code, 0) << "round " << round << ": " << verify.out << verify.err;
    const json v = json::parse(verify.out);
    EXPECT_EQ(v.at("ok"), true);
    EXPECT_EQ(v.at("corrupt_frames"), 0);
    EXPECT_EQ(v.at("skipped_bytes"), 0);
    const std::uint64_t end = v.at("next_offset").get<std::uint64_t>();
    EXPECT_GE(end, end_seen);
    end_seen = end;
  }

  ProcessResult dump = spoolctl({"dump", dir});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_TRUE(dump.err.empty()) << dump.err;  // nothing skipped as damage
  std::uint64_t lines = 0, previous = 0;
  std::size_t start = 0;
  while (start < dump.out.size()) {
    const std::size_t end = dump.out.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const auto offset = json::parse(dump.out.substr(start, end - start)).at("offset").get<std::uint64_t>();
    if (lines++ > 0) {
      EXPECT_GT(offset, previous);  // in order (retention may cut in front)
    }
    previous = offset;
    start = end + 1;
  }
  EXPECT_GT(lines, 0u);

  ProcessResult stats = spoolctl({"stats", dir});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_GE(json::parse(stats.out).at("log").at("next_offset").get<std::uint64_t>(), 200u);
  ProcessResult cursors = spoolctl({"cursors", dir, "--json"});
  ASSERT_EQ(cursors.exit_code, 0) << cursors.err;
  EXPECT_NE(cursors.out.find("\"otlp\""), std::string::npos) << cursors.out;
  ProcessResult health = spoolctl({"health", dir});
  EXPECT_NE(health.exit_code, 2) << health.err;
  EXPECT_EQ(writer.try_wait(), std::nullopt) << "the writer failed";
}

TEST(SpoolctlLiveLog, ForwardDrainDeliversWhatTheWriterCommitted) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  ForkedChild writer = start_writer(dir, 500);
  ASSERT_TRUE(wait_committed(dir, 500));
  ProcessResult r = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--drain-idle-ms", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("delivered"), 500);
  EXPECT_EQ(j.at("cursor_offset"), 500);
  std::ifstream in(file);
  std::set<std::string> keys;
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    keys.insert(json::parse(line).at("key").get<std::string>());
  }
  EXPECT_EQ(lines, 500u);
  EXPECT_EQ(keys.size(), 500u);
  // The writer still holds the log: nothing was taken from it.
  EXPECT_EQ(writer.try_wait(), std::nullopt);
  auto state = segment::LogState::open_for_reader(dir);
  ASSERT_TRUE(state && state->has_value());
  EXPECT_EQ((*state)->writer().pid, writer.pid());
}

TEST(SpoolctlLiveLog, ForwardOnACursorAnotherForwarderHoldsExits2NamingIt) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ForkedChild writer = start_writer(dir, 100);
  ASSERT_TRUE(wait_committed(dir, 100));
  ASSERT_TRUE(segment::CursorStore::open(dir));
  auto held = segment::CursorLock::acquire(dir, "otlp", 0600);  // as a running forwarder does
  ASSERT_TRUE(held) << held.status().to_string();
  ProcessResult r = spoolctl({"forward", dir, "--to", "jsonl:" + tmp.sub("out.jsonl"), "--cursor", "otlp", "--drain"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("cursor 'otlp'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("held by pid " + std::to_string(::getpid())), std::string::npos) << r.err;
  // Reading cursors needs no lock.
  ProcessResult cursors = spoolctl({"cursors", dir, "--json"});
  EXPECT_EQ(cursors.exit_code, 0) << cursors.err;
}

}  // namespace
}  // namespace spool
