// The log marker and what it protects: a log is private by default (exact modes whatever the
// umask), a directory is a log only by its marker (or provably a pre-marker log), anything
// else is refused with nothing in it changed, and recovery removes only names spool makes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/file.h"
#include "segment/cursor_store.h"
#include "segment/log_marker.h"
#include "segment/segment_directory.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using testing::small_segments;
using testing::TempDir;

// Every entry of a directory tree: relative path -> (mode, contents or "<dir>").
using TreeImage = std::map<std::string, std::pair<mode_t, std::string>>;

TreeImage image_of(const std::string& dir) {
  TreeImage image;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    EXPECT_EQ(::lstat(e.path().c_str(), &st), 0);
    const std::string rel = std::filesystem::relative(e.path(), dir).string();
    image[rel] = {st.st_mode & 07777, S_ISREG(st.st_mode) ? testing::read_file(e.path()) : "<not a file>"};
  }
  return image;
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Sets the umask for a scope (modes must not depend on it).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : previous_(::umask(m)) {}
  ~ScopedUmask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

void append_records(SegmentLog& log, int n, std::size_t bytes = 200) {
  const std::vector<std::uint8_t> payload(bytes, 'x');
  for (int i = 0; i < n; ++i) ASSERT_TRUE(log.append(1, payload).is_ok());
}

// A model directory as another tool leaves it: the names recovery used to treat as its own.
void make_model_directory(const std::string& dir) {
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  testing::write_file(dir + "/checkpoint", "model_checkpoint_path: \"model.ckpt-1000\"\n");
  testing::write_file(dir + "/weights.tmp", std::string(1000, 'w'));
  testing::write_file(dir + "/x.deleted", "keep me");
  testing::write_file(dir + "/saved.pb", std::string(300, 'p'));
}

TEST(LogMarkerTest, EncodesAndDecodesStrictly) {
  LogMarker m;
  m.log_id = 0x0123456789abcdefull;
  m.created_unix_ms = 1'700'000'000'000;
  m.segment_bytes = 65536;
  m.retention_bytes = 1 << 30;
  m.retention_max_age_ms = 3'600'000;
  m.file_mode = 0640;
  m.dir_mode = 0750;
  const std::string text = m.encode();
  EXPECT_TRUE(text.starts_with("spool-log 1\nlog_id 0123456789abcdef\ncreated_unix_ms 1700000000000\n"))
      << text;
  EXPECT_NE(text.find("\nfile_mode 0640\ndir_mode 0750\nchecksum "), std::string::npos) << text;
  auto back = LogMarker::decode(text);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->log_id, m.log_id);
  EXPECT_EQ(back->created_unix_ms, m.created_unix_ms);
  EXPECT_EQ(back->segment_bytes, m.segment_bytes);
  EXPECT_EQ(back->retention_bytes, m.retention_bytes);
  EXPECT_EQ(back->retention_max_age_ms, m.retention_max_age_ms);
  EXPECT_EQ(back->file_mode, 0640u);
  EXPECT_EQ(back->dir_mode, 0750u);

  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const std::vector<std::string> bad = {
      "",
      text + "\n",                                  // bytes after the checksum line
      text.substr(0, text.size() - 1),              // last newline missing
      replaced("spool-log 1", "spool-log 2"),       // another version
      replaced("segment_bytes 65536", "segment_bytes  65536"),
      replaced("segment_bytes 65536", "segment_bytes 065536"),
      replaced("segment_bytes 65536", "segment_bytes 65537"),  // checksum no longer holds
      replaced("file_mode 0640", "file_mode 0648"),
      replaced("log_id 0123456789abcdef", "log_id 0123456789ABCDEF"),
      "checkpoint\n",
  };
  for (const std::string& t : bad) EXPECT_FALSE(LogMarker::decode(t).is_ok()) << t;
}

TEST(LogMarkerTest, NewLogIsPrivateWhateverTheUmask) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  {
    ScopedUmask open_umask(0);  // would make 0666 / 0777 of anything left to the umask
    auto log = SegmentLog::open(dir, small_segments());
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    append_records(**log, 60);  // several rotations: sealed segments and their indexes
    ASSERT_GE((*log)->segment_count(), 3u);
    auto cursors = CursorStore::open(dir);
    ASSERT_TRUE(cursors.is_ok());
    ASSERT_TRUE(cursors->commit(CursorRecord{"c", 1, 0, {}}).is_ok());
    ASSERT_TRUE((*log)->close().is_ok());
  }
  EXPECT_EQ(mode_of(dir), 0700u);
  std::size_t files = 0;
  for (const auto& [rel, entry] : image_of(dir)) {
    const bool is_dir = entry.second == "<not a file>";
    EXPECT_EQ(entry.first, is_dir ? 0700u : 0600u) << rel;
    files += is_dir ? 0 : 1;
  }
  EXPECT_GE(files, 8u);  // segments, indexes, checkpoint, LOCK, SPOOL_LOG, a cursor
  auto marker = LogMarker::read(dir);
  ASSERT_TRUE(marker.is_ok() && marker->has_value());
  EXPECT_EQ((*marker)->segment_bytes, 4096u);
}

TEST(LogMarkerTest, ModesComeFromTheOptionsExactly) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ScopedUmask strict_umask(0077);  // would take the group bits away
  LogOptions o = small_segments();
  o.file_mode = 0640;
  o.dir_mode = 0750;
  auto log = SegmentLog::open(dir, o);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  append_records(**log, 40);
  ASSERT_TRUE(CursorStore::open(dir).is_ok());
  ASSERT_TRUE((*log)->close().is_ok());
  EXPECT_EQ(mode_of(dir), 0750u);
  EXPECT_EQ(mode_of(dir + "/cursors"), 0750u);
  EXPECT_EQ(mode_of(dir + "/SPOOL_LOG"), 0640u);
  EXPECT_EQ(mode_of(dir + "/checkpoint"), 0640u);
  EXPECT_EQ(mode_of(dir + "/LOCK"), 0640u);
  EXPECT_EQ(mode_of(dir + "/00000000000000000000.seg"), 0640u);
  EXPECT_EQ(mode_of(dir + "/00000000000000000000.idx"), 0640u);
}

TEST(LogMarkerTest, DirectoryWritableByOthersIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.sub("shared");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  auto log = SegmentLog::open(dir, small_segments());
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(log.status().message().find(dir), std::string::npos) << log.status().message();
  EXPECT_NE(log.status().message().find("group and others"), std::string::npos) << log.status().message();
  EXPECT_TRUE(image_of(dir).empty());  // nothing created
  // A mode that lets the group write accepts a group-writable directory.
  ASSERT_EQ(::chmod(dir.c_str(), 0770), 0);
  LogOptions shared = small_segments();
  shared.dir_mode = 0770;
  shared.file_mode = 0660;
  EXPECT_TRUE(SegmentLog::open(dir, shared).is_ok());
}

TEST(LogMarkerTest, ForeignDirectoryIsRefusedAndLeftAlone) {
  TempDir tmp;
  const std::string dir = tmp.sub("model");
  make_model_directory(dir);
  const TreeImage before = image_of(dir);
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto log = SegmentLog::open(dir, LogOptions{}, mode);
    ASSERT_FALSE(log.is_ok());
    EXPECT_EQ(log.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(log.status().message().find(dir + " is not a spool log"), std::string::npos)
        << log.status().message();
    EXPECT_EQ(image_of(dir), before);  // no LOCK, nothing removed, replaced or added
  }
}

TEST(LogMarkerTest, DamagedMarkerIsCorruptionAndNothingChanges) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  {
    auto log = SegmentLog::open(dir, small_segments());
    ASSERT_TRUE(log.is_ok());
    append_records(**log, 5);
  }
  testing::write_file(dir + "/SPOOL_LOG", "spool-log 1\nlog_id nonsense\n");
  const TreeImage before = image_of(dir);
  auto log = SegmentLog::open(dir, small_segments());
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find(dir + "/SPOOL_LOG"), std::string::npos) << log.status().message();
  EXPECT_EQ(image_of(dir), before);
}

TEST(LogMarkerTest, PreMarkerLogIsAdoptedByItsWriter) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  std::uint64_t log_id = 0;
  {
    auto log = SegmentLog::open(dir, small_segments());
    ASSERT_TRUE(log.is_ok());
    append_records(**log, 30);
    log_id = (*log)->log_id();
  }
  // A log written before markers existed: the same files without SPOOL_LOG.
  ASSERT_EQ(::unlink((dir + "/SPOOL_LOG").c_str()), 0);
  auto state = inspect_log_directory(dir);
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ(state->kind, LogDirectoryKind::kPreMarker);
  {
    auto reader = SegmentLog::open(dir, small_segments(), OpenMode::kReadOnly);
    ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
    EXPECT_EQ((*reader)->record_count(), 30u);
    EXPECT_FALSE(std::filesystem::exists(dir + "/SPOOL_LOG"));  // a reader writes nothing
  }
  // Proven by a segment header alone too (the checkpoint lost).
  ASSERT_EQ(::unlink((dir + "/checkpoint").c_str()), 0);
  auto log = SegmentLog::open(dir, small_segments());
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  EXPECT_EQ((*log)->record_count(), 30u);
  auto marker = LogMarker::read(dir);
  ASSERT_TRUE(marker.is_ok() && marker->has_value());
  EXPECT_EQ((*marker)->log_id, log_id);
}

TEST(LogMarkerTest, RecoveryRemovesOnlyNamesSpoolMakes) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  {
    auto log = SegmentLog::open(dir, small_segments());
    ASSERT_TRUE(log.is_ok());
    append_records(**log, 5);
  }
  const std::vector<std::string> ours = {"00000000000000000007.seg.deleted", "00000000000000000007.idx.deleted",
                                         "checkpoint.tmp", "SPOOL_LOG.tmp", "00000000000000000000.idx.tmp"};
  const std::vector<std::string> theirs = {"weights.tmp", "x.deleted", "notes.seg.deleted", "7.seg.deleted",
                                           "00000000000000000007.seg.deleted.bak", "checkpoint.tmp.tmp"};
  for (const auto& name : ours) testing::write_file(dir + "/" + name, "leftover");
  for (const auto& name : theirs) testing::write_file(dir + "/" + name, "someone else's");
  auto log = SegmentLog::open(dir, small_segments());
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  for (const auto& name : ours) EXPECT_FALSE(std::filesystem::exists(dir + "/" + name)) << name;
  for (const auto& name : theirs) EXPECT_EQ(testing::read_file(dir + "/" + name), "someone else's") << name;
}

TEST(LogMarkerTest, TempFileIsNeverFollowedThroughASymlink) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  {
    auto log = SegmentLog::open(dir, small_segments());
    ASSERT_TRUE(log.is_ok());
  }
  // Someone plants checkpoint.tmp -> a file of theirs, hoping the next checkpoint write
  // truncates and fills it.
  const std::string target = tmp.sub("victim");
  testing::write_file(target, "precious");
  ASSERT_EQ(::symlink(target.c_str(), (dir + "/checkpoint.tmp").c_str()), 0);
  ASSERT_EQ(io::write_file_atomically(dir, "checkpoint", "new", 3), 0);
  EXPECT_EQ(testing::read_file(target), "precious");
  EXPECT_EQ(testing::read_file(dir + "/checkpoint"), "new");
  EXPECT_EQ(mode_of(dir + "/checkpoint"), 0600u);
  // A symlink where a spool file is opened for writing is refused, not followed.
  io::File f;
  ASSERT_EQ(::symlink(target.c_str(), (dir + "/LOCK2").c_str()), 0);
  EXPECT_EQ(io::File::create(dir + "/LOCK2", O_RDWR, 0600, &f), -ELOOP);
  EXPECT_EQ(testing::read_file(target), "precious");
}

TEST(LogMarkerTest, ReopenRecordsTheWritersSettings) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o = small_segments();
  ASSERT_TRUE(SegmentLog::open(dir, o).is_ok());
  auto first = LogMarker::read(dir);
  ASSERT_TRUE(first.is_ok() && first->has_value());
  o.retention_max_age_ms = 5000;
  ASSERT_TRUE(SegmentLog::open(dir, o).is_ok());
  auto second = LogMarker::read(dir);
  ASSERT_TRUE(second.is_ok() && second->has_value());
  EXPECT_EQ((*second)->retention_max_age_ms, 5000u);
  EXPECT_EQ((*second)->log_id, (*first)->log_id);
  EXPECT_EQ((*second)->created_unix_ms, (*first)->created_unix_ms);
  auto options = log_options_from_marker(dir);
  ASSERT_TRUE(options.is_ok());
  EXPECT_EQ(options->retention_max_age_ms, 5000u);
  EXPECT_EQ(options->segment_bytes, 4096u);
}

}  // namespace
}  // namespace spool::segment
