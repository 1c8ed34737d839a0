// segment/segment_directory.h: what a log directory holds.
#include "segment/segment_directory.h"

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "segment/segment_header.h"
#include "segment/segment_log.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::TempDir;
using spool::testing::write_file;

using Offsets = std::vector<std::uint64_t>;
using Names = std::vector<std::string>;

TEST(ListLogDirectory, EmptyDirectory) {
  TempDir dir;
  auto listing = list_log_directory(dir.path());
  ASSERT_TRUE(listing) << listing.status().to_string();
  EXPECT_TRUE(listing->segments.empty());
  EXPECT_TRUE(listing->indexes.empty());
  EXPECT_TRUE(listing->leftovers.empty());
}

TEST(ListLogDirectory, SegmentsAndIndexesAscendingByOffset) {
  TempDir dir;
  // Created out of order; numeric order must win.
  for (std::uint64_t base : {500ull, 0ull, 9223372036854775807ull, 42ull, 100000ull}) {
    write_file(dir.sub(segment_file_name(base)), "s");
  }
  for (std::uint64_t base : {100000ull, 0ull, 42ull}) write_file(dir.sub(index_file_name(base)), "i");
  auto listing = list_log_directory(dir.path());
  ASSERT_TRUE(listing) << listing.status().to_string();
  EXPECT_EQ(listing->segments, (Offsets{0, 42, 500, 100000, 9223372036854775807ull}));
  EXPECT_EQ(listing->indexes, (Offsets{0, 42, 100000}));
  EXPECT_TRUE(listing->leftovers.empty());
}

TEST(ListLogDirectory, LeftoversOfInterruptedWork) {
  TempDir dir;
  write_file(dir.sub(segment_file_name(7)), "s");
  write_file(dir.sub(segment_file_name(3) + std::string(kDeletedSuffix)), "d");
  write_file(dir.sub(index_file_name(3) + std::string(kDeletedSuffix)), "d");
  write_file(dir.sub("checkpoint.tmp"), "t");
  write_file(dir.sub(index_file_name(7) + ".tmp"), "t");
  auto listing = list_log_directory(dir.path());
  ASSERT_TRUE(listing) << listing.status().to_string();
  EXPECT_EQ(listing->segments, (Offsets{7}));
  EXPECT_TRUE(listing->indexes.empty());
  EXPECT_EQ(listing->leftovers,
            (Names{"00000000000000000003.idx.deleted", "00000000000000000003.seg.deleted",
                   "00000000000000000007.idx.tmp", "checkpoint.tmp"}));
}

TEST(ListLogDirectory, IgnoresEverythingElse) {
  TempDir dir;
  write_file(dir.sub(segment_file_name(1)), "s");
  for (const char* name :
       {"LOCK", "checkpoint", "cursors", "0.seg", "1.idx", "0000000000000000001.seg",
        "000000000000000000001.seg", "0000000000000000000x.seg", "0000000000000000000x.idx",
        "00000000000000000001.SEG", "00000000000000000001.seg.bak", "18446744073709551616.seg",
        "18446744073709551616.idx", "notes.txt", ".seg", ".idx"}) {
    write_file(dir.sub(name), "x");
  }
  ASSERT_EQ(::mkdir(dir.sub("subdir").c_str(), 0755), 0);
  auto listing = list_log_directory(dir.path());
  ASSERT_TRUE(listing) << listing.status().to_string();
  EXPECT_EQ(listing->segments, (Offsets{1}));
  EXPECT_TRUE(listing->indexes.empty());
  EXPECT_TRUE(listing->leftovers.empty());
}

TEST(ListLogDirectory, MissingDirectoryIsNotFound) {
  TempDir dir;
  auto listing = list_log_directory(dir.sub("absent"));
  ASSERT_FALSE(listing);
  EXPECT_EQ(listing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(listing.status().message().find(dir.sub("absent")), std::string::npos)
      << listing.status().message();
}

TEST(ListLogDirectory, ARegularFileIsAnError) {
  TempDir dir;
  write_file(dir.sub("file"), "x");
  auto listing = list_log_directory(dir.sub("file"));
  ASSERT_FALSE(listing);
  EXPECT_EQ(listing.status().code(), StatusCode::kIoError);
  EXPECT_NE(listing.status().message().find(dir.sub("file")), std::string::npos);
}

}  // namespace
}  // namespace spool::segment

namespace spool::segment {
namespace {

TEST(ExistingSegmentBytes, IsTheSizeTheLogWasWrittenWith) {
  testing::TempDir dir;
  EXPECT_FALSE(existing_segment_bytes(dir.path()).has_value());  // no segment yet
  LogOptions options;
  options.segment_bytes = 8192;
  {
    auto log = SegmentLog::open(dir.path(), options);
    ASSERT_TRUE(log);
    const std::uint8_t payload[100] = {};
    for (int i = 0; i < 200; ++i) ASSERT_TRUE((*log)->append(1, payload));  // several rotations
  }
  EXPECT_EQ(existing_segment_bytes(dir.path()), 8192u);
}

}  // namespace
}  // namespace spool::segment
