// Guarded reads of a mapping (io/mapped_read_guard.h), and what they buy the log: a segment
// file trimmed underneath an open log (or unreadable) is reported damage, never SIGBUS.
#include "io/mapped_read_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "io/file.h"
#include "io/mmap_region.h"
#include "segment/segment_file.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using segment::OpenMode;
using segment::SegmentFile;
using segment::SegmentLog;
using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;
using spool::testing::segment_paths;

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

void trim(const std::string& path, std::uint64_t size) {
  io::File f;
  ASSERT_EQ(io::File::open(path, O_RDWR, 0, &f), 0) << path;
  ASSERT_EQ(f.truncate(size), 0) << path;
}

TEST(MappedReadGuard, CountsTheReadablePrefixOfATrimmedMapping) {
  testing::TempDir tmp;
  const std::string path = tmp.sub("file");
  io::File f;
  ASSERT_EQ(io::File::open(path, O_RDWR | O_CREAT, 0600, &f), 0);
  const std::vector<std::uint8_t> bytes(4 * kPage, 0xab);
  ASSERT_EQ(f.pwrite_full(bytes.data(), bytes.size(), 0), 0);
  io::MmapRegion map;
  ASSERT_EQ(io::MmapRegion::map(f.fd(), bytes.size(), false, &map), 0);
  EXPECT_EQ(io::readable_prefix(map.data(), map.size()), map.size());
  EXPECT_EQ(io::readable_prefix(map.data() + 10, 100), 100u);
  ASSERT_EQ(f.truncate(kPage + 1), 0);  // pages 2 and 3 now fault
  EXPECT_EQ(io::readable_prefix(map.data(), map.size()), 2 * kPage);
  EXPECT_EQ(io::readable_prefix(map.data() + 3 * kPage, kPage), 0u);
  EXPECT_EQ(io::readable_prefix(map.data(), kPage), kPage);
  EXPECT_EQ(io::readable_prefix(map.data(), 0), 0u);
}

TEST(MappedReadGuard, AFaultOutsideAProbeStillKills) {
  testing::TempDir tmp;
  const std::string path = tmp.sub("file");
  EXPECT_DEATH(
      {
        io::File f;
        (void)io::File::open(path, O_RDWR | O_CREAT, 0600, &f);
        std::vector<std::uint8_t> bytes(2 * kPage, 1);
        (void)f.pwrite_full(bytes.data(), bytes.size(), 0);
        io::MmapRegion map;
        (void)io::MmapRegion::map(f.fd(), bytes.size(), false, &map);
        (void)io::readable_prefix(map.data(), map.size());  // installs the handler
        (void)f.truncate(0);
        volatile std::uint8_t b = map.data()[kPage];
        (void)b;
      },
      "");
}

// Writes `n` records into a log with one large segment, closes it.
std::string make_log(testing::TempDir& tmp, const LogOptions& o, int n) {
  const std::string dir = tmp.sub("log");
  auto log = open_log(dir, o);
  if (::testing::Test::HasFatalFailure()) return dir;
  for (int i = 0; i < n; ++i) EXPECT_TRUE(log->append(0, bytes_of(sample_payload(i))));
  return dir;
}

TEST(MappedReadGuard, SegmentTrimmedUnderAReadOnlyLogIsSkippedNotSigbus) {
  testing::TempDir tmp;
  LogOptions o;
  o.segment_bytes = 4 << 20;
  const std::string dir = make_log(tmp, o, 2000);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  auto log = open_log(dir, o, OpenMode::kReadOnly);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const std::vector<std::string> paths = segment_paths(dir);
  ASSERT_EQ(paths.size(), 1u);
  trim(paths[0], 2 * kPage);  // a bad block or another process: the file shrinks underneath
  auto reader = log->scan(0);
  segment::RecordView v;
  std::uint64_t records = 0;
  std::uint64_t expect = 0;
  while (reader.next(&v)) {
    EXPECT_EQ(v.offset, expect++);
    EXPECT_EQ(testing::as_string(v.payload), sample_payload(v.offset));
    ++records;
  }
  EXPECT_GT(records, 0u);
  EXPECT_LT(records, 2000u);
  EXPECT_GT(reader.skipped_bytes(), 0u);
  EXPECT_FALSE(log->read(1999).is_ok());
}

TEST(MappedReadGuard, ScanOfAMappingLongerThanItsFileReportsTheUnreadableRange) {
  testing::TempDir tmp;
  LogOptions o;
  o.segment_bytes = 4 << 20;
  const std::string dir = make_log(tmp, o, 2000);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  auto seg = SegmentFile::open(dir, 0, /*writable=*/false, o.index_interval_bytes);
  ASSERT_TRUE(seg) << seg.status().to_string();
  // Mapped whole first (sealed segments are mapped lazily), then trimmed underneath.
  auto held = (*seg)->map();
  ASSERT_TRUE(held) << held.status().to_string();
  trim((*seg)->path(), 3 * kPage);
  const std::uint64_t log_id = (*seg)->header().log_id;
  auto scanned = (*seg)->scan(log_id, kDefaultMaxRecordBytes);
  ASSERT_TRUE(scanned) << scanned.status().to_string();
  const segment::SegmentScan& scan = *scanned;
  EXPECT_GT(scan.summary.record_count, 0u);
  EXPECT_LE(scan.summary.data_end, 3 * kPage);
  ASSERT_TRUE(scan.tail.has_value());
  EXPECT_EQ(scan.tail->reason, segment::kUnreadableReason);
  EXPECT_EQ(scan.tail->to_byte, (*seg)->mapped_bytes());
}

TEST(MappedReadGuard, RecoveryOfATrimmedSegmentKeepsWhatIsLeft) {
  testing::TempDir tmp;
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  const std::string dir = make_log(tmp, o, 2000);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const std::vector<std::string> paths = segment_paths(dir);
  ASSERT_GE(paths.size(), 3u);
  trim(paths[1], 5 * 1000);  // a sealed segment loses most of its frames
  auto log = open_log(dir, o);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_TRUE(log->recovery_report().found_damage());
  auto all = read_all(*log);
  EXPECT_GT(all.size(), 0u);
  EXPECT_LT(all.size(), 2000u);
  for (const auto& [off, payload] : all) EXPECT_EQ(payload, sample_payload(off));
  auto off = log->append(0, bytes_of("after"));
  ASSERT_TRUE(off) << off.status().to_string();
  EXPECT_EQ(*off, 2000u);
}

}  // namespace
}  // namespace spool
