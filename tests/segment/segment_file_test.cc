// segment/segment_file.h: one segment file, its mapping, index and summary.
#include "segment/segment_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/clock.h"
#include "io/file.h"
#include "segment/frame_format.h"
#include "segment/segment_header.h"
#include "support/frames.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::encode_test_frame;
using spool::testing::read_file;
using spool::testing::sequential_frames;
using spool::testing::TempDir;
using spool::testing::TestFrame;
using spool::testing::write_file;

constexpr std::uint64_t kLogId = 0xC0FFEE0000C0FFEEull;
constexpr std::uint64_t kBase = 100;
constexpr std::uint64_t kCapacity = 64 * 1024;
constexpr std::uint32_t kInterval = 256;
constexpr std::uint32_t kMaxPayload = 1 << 16;

std::uint64_t file_size(const std::string& path) { return std::filesystem::file_size(path); }

// Whether the file system under `dir` reserves blocks with fallocate (io::File::allocate
// falls back to a sparse ftruncate where it does not).
bool has_fallocate(const TempDir& dir) {
  io::File probe;
  if (io::File::open(dir.sub("fallocate-probe"), O_RDWR | O_CREAT, 0644, &probe) != 0) return false;
  const bool ok = ::fallocate(probe.fd(), 0, 0, 4096) == 0;
  probe.close();
  io::remove_path(dir.sub("fallocate-probe"));
  return ok;
}

// The segment's mapped bytes (the segment keeps its mapping: no limit is set here).
const std::uint8_t* mapped(const SegmentFile& seg) {
  auto mapping = seg.map();
  return mapping ? (*mapping)->data() : nullptr;
}

std::shared_ptr<SegmentFile> create_or_fail(const TempDir& dir, std::uint64_t base = kBase,
                                            std::uint64_t capacity = kCapacity) {
  auto seg = SegmentFile::create(dir.path(), base, kLogId, capacity, kInterval);
  EXPECT_TRUE(seg) << seg.status().to_string();
  return seg ? *seg : nullptr;
}

// Appends frames the way the log's writer does: bytes at write_position(), then note_frame.
// Returns each frame's position. Does not publish.
std::vector<std::uint64_t> append(SegmentFile* seg, const std::vector<TestFrame>& frames) {
  io::File f;
  EXPECT_EQ(io::File::open(seg->path(), O_RDWR, 0, &f), 0);
  std::vector<std::uint64_t> positions;
  for (const TestFrame& fr : frames) {
    const std::vector<std::uint8_t> bytes = encode_test_frame(kLogId, fr);
    const std::uint64_t pos = seg->write_position();
    EXPECT_EQ(f.pwrite_full(bytes.data(), bytes.size(), pos), 0);
    seg->note_frame(fr.offset, pos, fr.timestamp_ns, bytes.size());
    positions.push_back(pos);
  }
  return positions;
}

std::uint64_t end_of(const std::vector<TestFrame>& frames) {
  std::uint64_t end = kSegmentHeaderBytes;
  for (const TestFrame& f : frames) end += frame_size(f.payload.size());
  return end;
}

// ---------------------------------------------------------------- create / open

TEST(SegmentFileCreate, PreallocatesToCapacityWithAValidHeader) {
  TempDir dir;
  const std::int64_t before = io::wall_clock_ns();
  auto seg = create_or_fail(dir);
  const std::int64_t after = io::wall_clock_ns();
  ASSERT_NE(seg, nullptr);

  EXPECT_EQ(seg->path(), dir.sub("00000000000000000100.seg"));
  EXPECT_EQ(seg->index_path(), dir.sub("00000000000000000100.idx"));
  EXPECT_EQ(seg->base_offset(), kBase);
  EXPECT_EQ(file_size(seg->path()), kCapacity);
  EXPECT_EQ(seg->mapped_bytes(), kCapacity);
  if (has_fallocate(dir)) {
    struct stat st;
    ASSERT_EQ(::stat(seg->path().c_str(), &st), 0);
    EXPECT_GE(static_cast<std::uint64_t>(st.st_blocks) * 512, kCapacity) << "space not reserved";
  }

  EXPECT_EQ(seg->header_check(), HeaderCheck::kValid);
  EXPECT_EQ(seg->header().log_id, kLogId);
  EXPECT_EQ(seg->header().base_offset, kBase);
  EXPECT_GE(seg->header().created_ns, before);
  EXPECT_LE(seg->header().created_ns, after);

  // The header on disk (and in the mapping) decodes to the same thing.
  const std::string on_disk = read_file(seg->path());
  SegmentHeader h;
  ASSERT_EQ(decode_segment_header(reinterpret_cast<const std::uint8_t*>(on_disk.data()),
                                  on_disk.size(), &h),
            HeaderCheck::kValid);
  EXPECT_EQ(h.log_id, kLogId);
  EXPECT_EQ(h.base_offset, kBase);
  EXPECT_EQ(h.created_ns, seg->header().created_ns);
  EXPECT_EQ(std::memcmp(mapped(*seg), on_disk.data(), kSegmentHeaderBytes), 0);
  // Everything after the header is unwritten (zero) space.
  EXPECT_EQ(on_disk.find_first_not_of('\0', kSegmentHeaderBytes), std::string::npos);

  EXPECT_EQ(seg->committed_end(), kSegmentHeaderBytes);
  EXPECT_EQ(seg->write_position(), kSegmentHeaderBytes);
  EXPECT_EQ(seg->summary().data_end, kSegmentHeaderBytes);
  EXPECT_EQ(seg->summary().record_count, 0u);
  EXPECT_FALSE(seg->sealed());
  EXPECT_EQ(seg->position_for_offset(kBase), kSegmentHeaderBytes);
  EXPECT_EQ(seg->position_for_time(0), kSegmentHeaderBytes);
}

TEST(SegmentFileCreate, RefusesToReplaceAnExistingSegment) {
  TempDir dir;
  write_file(dir.sub(segment_file_name(kBase)), "existing data");
  auto seg = SegmentFile::create(dir.path(), kBase, kLogId, kCapacity, kInterval);
  ASSERT_FALSE(seg);
  EXPECT_EQ(seg.status().code(), StatusCode::kIoError);
  EXPECT_NE(seg.status().message().find(segment_file_name(kBase)), std::string::npos);
  EXPECT_EQ(read_file(dir.sub(segment_file_name(kBase))), "existing data");
}

TEST(SegmentFileCreate, MissingDirectoryIsNotFound) {
  TempDir dir;
  auto seg = SegmentFile::create(dir.sub("absent"), kBase, kLogId, kCapacity, kInterval);
  ASSERT_FALSE(seg);
  EXPECT_EQ(seg.status().code(), StatusCode::kNotFound);
}

TEST(SegmentFileOpen, MissingFileIsNotFound) {
  TempDir dir;
  auto seg = SegmentFile::open(dir.path(), 5, false, kInterval);
  ASSERT_FALSE(seg);
  EXPECT_EQ(seg.status().code(), StatusCode::kNotFound);
}

TEST(SegmentFileOpen, ReportsTheStateOfTheHeader) {
  TempDir dir;
  write_file(dir.sub(segment_file_name(1)), "");
  write_file(dir.sub(segment_file_name(2)), std::string(4096, '\0'));
  write_file(dir.sub(segment_file_name(3)), std::string(4096, 'g'));
  const struct {
    std::uint64_t base;
    HeaderCheck expected;
  } cases[] = {{1, HeaderCheck::kTruncated}, {2, HeaderCheck::kZero}, {3, HeaderCheck::kBadMagic}};
  for (const auto& c : cases) {
    auto seg = SegmentFile::open(dir.path(), c.base, false, kInterval);
    ASSERT_TRUE(seg) << seg.status().to_string();
    EXPECT_EQ((*seg)->header_check(), c.expected) << c.base;
    EXPECT_TRUE((*seg)->sealed()) << "read-only segments count as sealed";
  }
}

TEST(SegmentFileOpen, MapsTheCurrentFileSize) {
  TempDir dir;
  { ASSERT_NE(create_or_fail(dir), nullptr); }
  auto seg = SegmentFile::open(dir.path(), kBase, true, kInterval);
  ASSERT_TRUE(seg) << seg.status().to_string();
  EXPECT_EQ((*seg)->mapped_bytes(), kCapacity);
  EXPECT_EQ((*seg)->header_check(), HeaderCheck::kValid);
  EXPECT_EQ((*seg)->header().log_id, kLogId);
  EXPECT_FALSE((*seg)->sealed());
}

// ---------------------------------------------------------------- writing

TEST(SegmentFileWrite, NoteFrameIsVisibleOnlyAfterPublish) {
  TempDir dir;
  auto seg = create_or_fail(dir);
  ASSERT_NE(seg, nullptr);
  const auto frames = sequential_frames(kBase, 3);
  const auto positions = append(seg.get(), frames);
  EXPECT_EQ(positions[0], kSegmentHeaderBytes);
  const std::uint64_t end = end_of(frames);

  EXPECT_EQ(seg->write_position(), end);
  EXPECT_EQ(seg->committed_end(), kSegmentHeaderBytes) << "readers must not see unpublished frames";
  const SegmentSummary s = seg->summary();
  EXPECT_EQ(s.record_count, 3u);
  EXPECT_EQ(s.first_offset, kBase);
  EXPECT_EQ(s.last_offset, kBase + 2);
  EXPECT_EQ(s.data_end, end);
  EXPECT_EQ(s.max_timestamp, frames[2].timestamp_ns);

  seg->publish();
  EXPECT_EQ(seg->committed_end(), end);

  // The bytes written through another descriptor are readable in place in the mapping.
  for (std::size_t i = 0; i < frames.size(); ++i) {
    FrameHeader h;
    ASSERT_EQ(check_frame(mapped(*seg) + positions[i], end - positions[i], kLogId, kMaxPayload, &h),
              FrameCheck::kValid);
    EXPECT_EQ(h.offset, frames[i].offset);
  }

  // More frames: committed_end stays until the next publish.
  const auto more = sequential_frames(kBase + 3, 2);
  append(seg.get(), more);
  EXPECT_EQ(seg->committed_end(), end);
  seg->publish();
  EXPECT_EQ(seg->committed_end(), end + frame_size(more[0].payload.size()) +
                                      frame_size(more[1].payload.size()));
  EXPECT_EQ(seg->summary().last_offset, kBase + 4);
  EXPECT_EQ(seg->summary().first_offset, kBase);
}

TEST(SegmentFileWrite, IndexLookupsFollowTheNotedFrames) {
  TempDir dir;
  auto seg = create_or_fail(dir);
  ASSERT_NE(seg, nullptr);
  const auto frames = sequential_frames(kBase, 200);
  const auto positions = append(seg.get(), frames);
  seg->publish();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::uint64_t p = seg->position_for_offset(frames[i].offset);
    EXPECT_LE(p, positions[i]) << i;
    EXPECT_GE(p, kSegmentHeaderBytes) << i;
    EXPECT_LT(positions[i] - p, kInterval + 96) << i;  // at most one interval to scan
    const std::uint64_t t = seg->position_for_time(frames[i].timestamp_ns);
    EXPECT_LE(t, positions[i]) << i;
  }
  EXPECT_EQ(seg->position_for_offset(0), kSegmentHeaderBytes);
}

TEST(SegmentFileWrite, DatasyncSucceeds) {
  TempDir dir;
  auto seg = create_or_fail(dir);
  ASSERT_NE(seg, nullptr);
  append(seg.get(), sequential_frames(kBase, 2));
  EXPECT_TRUE(seg->datasync().is_ok());
}

// ---------------------------------------------------------------- index files

TEST(SegmentFileIndex, WriteThenLoadRestoresIndexAndSummary) {
  TempDir dir;
  const auto frames = sequential_frames(kBase, 300);
  std::vector<std::uint64_t> lookups_offset, lookups_time;
  SegmentSummary written;
  {
    auto seg = create_or_fail(dir);
    ASSERT_NE(seg, nullptr);
    append(seg.get(), frames);
    seg->publish();
    ASSERT_TRUE(seg->write_index().is_ok());
    written = seg->summary();
    for (const TestFrame& f : frames) {
      lookups_offset.push_back(seg->position_for_offset(f.offset));
      lookups_time.push_back(seg->position_for_time(f.timestamp_ns));
    }
  }
  EXPECT_TRUE(std::filesystem::exists(dir.sub(index_file_name(kBase))));
  EXPECT_FALSE(std::filesystem::exists(dir.sub(index_file_name(kBase) + ".tmp")));

  auto seg = SegmentFile::open(dir.path(), kBase, false, kInterval);
  ASSERT_TRUE(seg) << seg.status().to_string();
  EXPECT_EQ((*seg)->committed_end(), kSegmentHeaderBytes);
  ASSERT_TRUE((*seg)->load_index());
  const SegmentSummary s = (*seg)->summary();
  EXPECT_EQ(s.data_end, written.data_end);
  EXPECT_EQ(s.record_count, 300u);
  EXPECT_EQ(s.first_offset, kBase);
  EXPECT_EQ(s.last_offset, kBase + 299);
  EXPECT_EQ(s.max_timestamp, written.max_timestamp);
  EXPECT_EQ((*seg)->committed_end(), written.data_end);
  EXPECT_EQ((*seg)->write_position(), written.data_end);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ((*seg)->position_for_offset(frames[i].offset), lookups_offset[i]) << i;
    EXPECT_EQ((*seg)->position_for_time(frames[i].timestamp_ns), lookups_time[i]) << i;
  }
}

TEST(SegmentFileIndex, LoadFailsWithoutAGoodIndexFile) {
  TempDir dir;
  {
    auto seg = create_or_fail(dir);
    ASSERT_NE(seg, nullptr);
    append(seg.get(), sequential_frames(kBase, 50));
    seg->publish();
  }
  auto open = [&] {
    auto seg = SegmentFile::open(dir.path(), kBase, false, kInterval);
    EXPECT_TRUE(seg) << seg.status().to_string();
    return *seg;
  };
  EXPECT_FALSE(open()->load_index()) << "no index file";

  write_file(dir.sub(index_file_name(kBase)), "not an index");
  EXPECT_FALSE(open()->load_index()) << "garbage index file";

  // A valid index of another segment (different base) is refused too.
  {
    auto other = create_or_fail(dir, 7);
    ASSERT_NE(other, nullptr);
    append(other.get(), sequential_frames(7, 3));
    ASSERT_TRUE(other->write_index().is_ok());
  }
  std::filesystem::copy_file(dir.sub(index_file_name(7)), dir.sub(index_file_name(kBase)),
                             std::filesystem::copy_options::overwrite_existing);
  auto seg = open();
  EXPECT_FALSE(seg->load_index()) << "index of another segment";
  EXPECT_EQ(seg->summary().record_count, 0u);
  EXPECT_EQ(seg->committed_end(), kSegmentHeaderBytes);
}

TEST(SegmentFileIndex, IndexClaimingMoreDataThanTheFileIsRefused) {
  TempDir dir;
  std::uint64_t data_end = 0;
  {
    auto seg = create_or_fail(dir);
    ASSERT_NE(seg, nullptr);
    append(seg.get(), sequential_frames(kBase, 50));
    ASSERT_TRUE(seg->write_index().is_ok());
    data_end = seg->write_position();
  }
  // The segment lost its end (e.g. truncated by hand) after the index was written.
  ASSERT_EQ(::truncate(dir.sub(segment_file_name(kBase)).c_str(),
                       static_cast<off_t>(data_end - 8)),
            0);
  auto seg = SegmentFile::open(dir.path(), kBase, false, kInterval);
  ASSERT_TRUE(seg) << seg.status().to_string();
  EXPECT_FALSE((*seg)->load_index());
}

// ---------------------------------------------------------------- recovery helpers

TEST(SegmentFileScan, RebuildsSummaryIndexAndCommittedEnd) {
  TempDir dir;
  const auto frames = sequential_frames(kBase, 120);
  std::vector<std::uint64_t> positions;
  {
    auto seg = create_or_fail(dir);
    ASSERT_NE(seg, nullptr);
    positions = append(seg.get(), frames);
  }
  auto seg = SegmentFile::open(dir.path(), kBase, true, kInterval);
  ASSERT_TRUE(seg) << seg.status().to_string();
  const SegmentScan scan = (*seg)->scan(kLogId, kMaxPayload).value();
  EXPECT_EQ(scan.summary.record_count, 120u);
  EXPECT_TRUE(scan.damaged.empty());
  EXPECT_FALSE(scan.tail.has_value());
  EXPECT_EQ((*seg)->summary().record_count, 120u);
  EXPECT_EQ((*seg)->summary().data_end, end_of(frames));
  EXPECT_EQ((*seg)->committed_end(), end_of(frames));
  EXPECT_EQ((*seg)->write_position(), end_of(frames));
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::uint64_t p = (*seg)->position_for_offset(frames[i].offset);
    EXPECT_LE(p, positions[i]);
    EXPECT_LT(positions[i] - p, kInterval + 96);
  }
}

TEST(SegmentFileSeal, TrimsTheFileToItsDataEndAndWritesTheIndex) {
  TempDir dir;
  const auto frames = sequential_frames(kBase, 40);
  {
    auto seg = create_or_fail(dir);
    ASSERT_NE(seg, nullptr);
    append(seg.get(), frames);
    seg->publish();
    ASSERT_TRUE(seg->datasync().is_ok());
    ASSERT_TRUE(seg->seal().is_ok());
    EXPECT_TRUE(seg->sealed());
    EXPECT_EQ(file_size(seg->path()), end_of(frames));
    EXPECT_EQ(seg->committed_end(), end_of(frames));
    EXPECT_TRUE(std::filesystem::exists(seg->index_path()));
  }
  auto seg = SegmentFile::open(dir.path(), kBase, false, kInterval);
  ASSERT_TRUE(seg) << seg.status().to_string();
  EXPECT_EQ((*seg)->mapped_bytes(), end_of(frames));
  EXPECT_EQ((*seg)->header_check(), HeaderCheck::kValid);
  ASSERT_TRUE((*seg)->load_index());
  EXPECT_EQ((*seg)->summary().record_count, 40u);
  EXPECT_EQ((*seg)->summary().data_end, end_of(frames));
  // The trimmed file still scans completely and cleanly.
  const SegmentScan scan = (*seg)->scan(kLogId, kMaxPayload).value();
  EXPECT_EQ(scan.summary.record_count, 40u);
  EXPECT_TRUE(scan.damaged.empty());
  EXPECT_FALSE(scan.tail.has_value());
}

TEST(SegmentFileSeal, EmptySegmentKeepsItsHeader) {
  TempDir dir;
  auto seg = create_or_fail(dir);
  ASSERT_NE(seg, nullptr);
  ASSERT_TRUE(seg->seal().is_ok());
  EXPECT_EQ(file_size(seg->path()), kSegmentHeaderBytes);
  auto reopened = SegmentFile::open(dir.path(), kBase, false, kInterval);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->header_check(), HeaderCheck::kValid);
  EXPECT_TRUE((*reopened)->load_index());
  EXPECT_EQ((*reopened)->summary().record_count, 0u);
}

TEST(SegmentFileTruncateTail, ZeroesWhatWasAfterAndKeepsCapacity) {
  TempDir dir;
  const auto frames = sequential_frames(kBase, 10);
  auto seg = create_or_fail(dir);
  ASSERT_NE(seg, nullptr);
  append(seg.get(), frames);
  const std::uint64_t keep = end_of(frames);
  // A torn frame and stray bytes after the last good frame, some far out.
  io::File f;
  ASSERT_EQ(io::File::open(seg->path(), O_RDWR, 0, &f), 0);
  const std::string junk(300, 'J');
  ASSERT_EQ(f.pwrite_full(junk.data(), junk.size(), keep), 0);
  ASSERT_EQ(f.pwrite_full(junk.data(), junk.size(), kCapacity - 1000), 0);
  const std::string before = read_file(seg->path());

  ASSERT_TRUE(seg->truncate_tail(keep).is_ok());
  const std::string after = read_file(seg->path());
  ASSERT_EQ(after.size(), kCapacity) << "capacity must be reserved again";
  EXPECT_TRUE(after.compare(0, keep, before, 0, keep) == 0) << "bytes before the cut changed";
  EXPECT_EQ(after.find_first_not_of('\0', keep), std::string::npos) << "stale bytes after the cut";
  // The mapping sees the zeros as well (no remap needed).
  for (std::uint64_t i = keep; i < kCapacity; i += 97) ASSERT_EQ(mapped(*seg)[i], 0) << i;

  // A scan now ends cleanly at the cut.
  auto reopened = SegmentFile::open(dir.path(), kBase, true, kInterval);
  ASSERT_TRUE(reopened);
  const SegmentScan scan = (*reopened)->scan(kLogId, kMaxPayload).value();
  EXPECT_EQ(scan.summary.record_count, 10u);
  EXPECT_EQ(scan.summary.data_end, keep);
  EXPECT_FALSE(scan.tail.has_value());
  EXPECT_TRUE(scan.damaged.empty());
}

TEST(SegmentFileTruncateTail, CutInsideAFrameRemovesItsRest) {
  TempDir dir;
  const auto frames = sequential_frames(kBase, 10);
  auto seg = create_or_fail(dir);
  ASSERT_NE(seg, nullptr);
  const auto positions = append(seg.get(), frames);
  ASSERT_TRUE(seg->truncate_tail(positions[9]).is_ok());
  const std::string after = read_file(seg->path());
  EXPECT_EQ(after.size(), kCapacity);
  EXPECT_EQ(after.find_first_not_of('\0', positions[9]), std::string::npos);
  auto reopened = SegmentFile::open(dir.path(), kBase, true, kInterval);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->scan(kLogId, kMaxPayload).value().summary.record_count, 9u);
}

TEST(SegmentFileRewriteHeader, RepairsAMissingHeader) {
  TempDir dir;
  { ASSERT_NE(create_or_fail(dir), nullptr); }
  io::File f;
  ASSERT_EQ(io::File::open(dir.sub(segment_file_name(kBase)), O_RDWR, 0, &f), 0);
  const std::string zeros(kSegmentHeaderBytes, '\0');
  ASSERT_EQ(f.pwrite_full(zeros.data(), zeros.size(), 0), 0);

  auto seg = SegmentFile::open(dir.path(), kBase, true, kInterval);
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->header_check(), HeaderCheck::kZero);
  ASSERT_TRUE((*seg)->rewrite_header(kLogId ^ 0xFF).is_ok());
  EXPECT_EQ((*seg)->header_check(), HeaderCheck::kValid);
  EXPECT_EQ((*seg)->header().log_id, kLogId ^ 0xFF);
  EXPECT_EQ((*seg)->header().base_offset, kBase);

  auto reopened = SegmentFile::open(dir.path(), kBase, false, kInterval);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->header_check(), HeaderCheck::kValid);
  EXPECT_EQ((*reopened)->header().log_id, kLogId ^ 0xFF);
  EXPECT_EQ((*reopened)->header().base_offset, kBase);
}

TEST(SegmentFileEnsureCapacity, GrowsATrimmedSegmentKeepingItsData) {
  TempDir dir;
  const auto frames = sequential_frames(kBase, 20);
  {
    auto seg = create_or_fail(dir);
    ASSERT_NE(seg, nullptr);
    append(seg.get(), frames);
    ASSERT_TRUE(seg->seal().is_ok());
  }
  const std::string sealed_bytes = read_file(dir.sub(segment_file_name(kBase)));
  auto seg = SegmentFile::open(dir.path(), kBase, true, kInterval);
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->mapped_bytes(), end_of(frames));
  ASSERT_TRUE((*seg)->ensure_capacity(kCapacity).is_ok());
  EXPECT_EQ((*seg)->mapped_bytes(), kCapacity);
  EXPECT_EQ(file_size((*seg)->path()), kCapacity);
  EXPECT_EQ(std::memcmp(mapped(**seg), sealed_bytes.data(), sealed_bytes.size()), 0);
  // Already large enough: nothing changes.
  ASSERT_TRUE((*seg)->ensure_capacity(100).is_ok());
  EXPECT_EQ((*seg)->mapped_bytes(), kCapacity);
  EXPECT_EQ(file_size((*seg)->path()), kCapacity);
}

}  // namespace
}  // namespace spool::segment
