// spoolctl on directories that are not spool's, on new logs (private modes), and its cleanup
// command: the real binary in a child process.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "segment/cursor_store.h"
#include "segment/log_marker.h"
#include "segment/segment_log.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::TempDir;

using testing::spoolctl;

// Every entry of a directory tree: relative path -> (mode, size, mtime, exact contents).
struct Entry {
  mode_t mode;
  std::int64_t mtime_ns;
  std::string contents;
  bool operator==(const Entry&) const = default;
};
std::map<std::string, Entry> image_of(const std::string& dir) {
  std::map<std::string, Entry> image;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    EXPECT_EQ(::lstat(e.path().c_str(), &st), 0);
    image[std::filesystem::relative(e.path(), dir).string()] =
        Entry{st.st_mode & 07777, std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
              S_ISREG(st.st_mode) ? testing::read_file(e.path()) : std::string()};
  }
  return image;
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SpoolctlPrivate, EveryCommandRefusesADirectoryThatIsNotALog) {
  TempDir tmp;
  const std::string dir = tmp.sub("model");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  testing::write_file(dir + "/checkpoint", "model_checkpoint_path: \"model.ckpt-1000\"\n");
  testing::write_file(dir + "/weights.tmp", std::string(4096, 'w'));
  testing::write_file(dir + "/x.deleted", "keep me");
  testing::write_file(dir + "/saved.pb", std::string(300, 'p'));
  const auto before = image_of(dir);
  const std::vector<std::vector<std::string>> commands = {
      {"append", dir},
      {"dump", dir},
      {"verify", dir},
      {"recover", dir},
      {"produce", dir, "--spans", "10"},
      {"forward", dir, "--to", "jsonl:" + tmp.sub("out.jsonl")},
      {"cursors", dir},
      {"stats", dir},
      {"health", dir},
      {"deadletters", dir},
      {"deadletters", dir, "--requeue"},
      {"cleanup", dir},
      {"cleanup", dir, "--force"},
  };
  for (const auto& args : commands) {
    const ProcessResult r = spoolctl(args, "{\"type\":\"raw\",\"payload\":\"aGk=\"}\n");
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(dir), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("not a spool log"), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_EQ(image_of(dir), before) << args[0] << " changed the directory";
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.sub("out.jsonl")));
}

TEST(SpoolctlPrivate, AppendCreatesAPrivateLogInAMissingOrEmptyDirectory) {
  TempDir tmp;
  const std::string missing = tmp.sub("new");
  const std::string empty = tmp.sub("empty");
  ASSERT_EQ(::mkdir(empty.c_str(), 0755), 0);
  for (const std::string& dir : {missing, empty}) {
    const ProcessResult r = spoolctl({"append", dir, "--segment-bytes", "65536"}, "hello\nworld\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(mode_of(dir), 0700u);
    for (const auto& [name, entry] : image_of(dir)) EXPECT_EQ(entry.mode, 0600u) << dir << "/" << name;
    EXPECT_TRUE(std::filesystem::exists(dir + "/SPOOL_LOG"));
  }
}

TEST(SpoolctlPrivate, ProduceAndForwardCreateOnlyPrivateFiles) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string out = tmp.sub("out.jsonl");
  ::umask(0);  // nothing may depend on it (this test process only)
  ProcessResult r = spoolctl({"produce", dir, "--spans", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = spoolctl({"forward", dir, "--to", "jsonl:" + out, "--drain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ::umask(022);
  EXPECT_EQ(mode_of(out), 0600u);
  EXPECT_EQ(mode_of(dir), 0700u);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const bool is_dir = e.is_directory();
    EXPECT_EQ(mode_of(e.path()), is_dir ? 0700u : 0600u) << e.path();
    files += is_dir ? 0 : 1;
  }
  EXPECT_GE(files, 5u);
  EXPECT_TRUE(std::filesystem::exists(dir + "/cursors"));
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A log of old records (written with retention off) whose marker asks for an hour's age cap,
// and a cursor that has consumed `cursor_at` records.
void make_old_log(const std::string& dir, std::uint64_t cursor_at, std::uint64_t* records, std::uint64_t* sealed) {
  LogOptions o;
  o.segment_bytes = 4096;
  auto log = segment::SegmentLog::open(dir, o);
  ASSERT_TRUE(log.is_ok());
  const std::vector<std::uint8_t> payload(200, 'r');
  const std::int64_t old = wall_ns() - 2ll * 3600 * 1'000'000'000;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE((*log)->append(1, payload, old).is_ok());
  *records = (*log)->record_count();
  auto segs = (*log)->segments();
  *sealed = segs.size() - 1;
  ASSERT_TRUE((*log)->close().is_ok());
  auto store = segment::CursorStore::open(dir);
  ASSERT_TRUE(store.is_ok());
  ASSERT_TRUE(store->commit(segment::CursorRecord{"app", cursor_at, 0, {}}).is_ok());
  auto marker = segment::LogMarker::read(dir);
  ASSERT_TRUE(marker.is_ok() && marker->has_value());
  segment::LogMarker m = **marker;
  m.retention_max_age_ms = 3'600'000;
  ASSERT_TRUE(m.write(dir).is_ok());
}

TEST(SpoolctlPrivate, CleanupAppliesTheLogsRetentionAndRespectsCursorsUnlessForced) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  std::uint64_t records = 0, sealed = 0;
  make_old_log(dir, 0, &records, &sealed);  // the cursor has consumed nothing
  ASSERT_GE(sealed, 3u);

  ProcessResult r = spoolctl({"cleanup", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["dir"], dir);
  EXPECT_EQ(j["force"], false);
  EXPECT_EQ(j["retention_max_age_ms"], 3'600'000);
  EXPECT_EQ(j["segments_deleted"], 0);  // the age cap keeps what the cursor needs
  EXPECT_EQ(j["bytes_freed"], 0);
  EXPECT_EQ(j["records_deleted"], 0);
  EXPECT_EQ(j["first_offset_after"], 0);
  EXPECT_EQ(j["forced_records"], 0);

  r = spoolctl({"cleanup", dir, "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["force"], true);
  EXPECT_EQ(j["segments_deleted"], sealed);
  EXPECT_GT(j["bytes_freed"].get<std::uint64_t>(), sealed * 1000);
  const std::uint64_t deleted = j["records_deleted"];
  EXPECT_GT(deleted, 0u);
  EXPECT_LT(deleted, records);  // the active segment stays
  EXPECT_EQ(j["first_offset_before"], 0);
  EXPECT_EQ(j["first_offset_after"], deleted);
  EXPECT_EQ(j["forced_records"], deleted);  // all of them were needed by the cursor
  EXPECT_EQ(j["segments_left"], 1);
  // The one-off caps were not recorded: the marker keeps the log's own.
  auto marker = segment::LogMarker::read(dir);
  ASSERT_TRUE(marker.is_ok() && marker->has_value());
  EXPECT_EQ((*marker)->retention_max_age_ms, 3'600'000u);
}

TEST(SpoolctlPrivate, CleanupWithoutCursorNeedsDeletesOldSegments) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  std::uint64_t records = 0, sealed = 0;
  make_old_log(dir, 1'000'000, &records, &sealed);  // the cursor consumed everything
  const ProcessResult r = spoolctl({"cleanup", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["segments_deleted"], sealed);
  EXPECT_EQ(j["forced_records"], 0);
  EXPECT_EQ(j["segments_left"], 1);
}

TEST(SpoolctlPrivate, CleanupFailsClearlyWhileTheLogIsOpen) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  auto log = segment::SegmentLog::open(dir, LogOptions{});
  ASSERT_TRUE(log.is_ok());
  const ProcessResult r = spoolctl({"cleanup", dir});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("locked by pid " + std::to_string(::getpid())), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("applies retention itself"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spool
