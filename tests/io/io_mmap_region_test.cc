// io/mmap_region.h: shared mappings of a file, owned by an RAII object.
#include "io/mmap_region.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "io/file.h"
#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::read_file;
using spool::testing::TempDir;
using spool::testing::write_file;

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

// True while [p, p+len) is mapped in this process: mincore fails with ENOMEM otherwise.
// (No allocation here, so nothing new can be mapped at a just-released address first.)
bool is_mapped(const void* p, std::size_t len) {
  unsigned char vec[64];
  if ((len + page_size() - 1) / page_size() > sizeof vec) return false;
  return ::mincore(const_cast<void*>(p), len, vec) == 0;
}

std::string content_of(const MmapRegion& r) {
  return std::string(reinterpret_cast<const char*>(r.data()), r.size());
}

TEST(MmapRegion, DefaultIsEmpty) {
  MmapRegion r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.data(), nullptr);
  r.advise_sequential();  // harmless on an empty region
  r.unmap();
  EXPECT_TRUE(r.empty());
}

TEST(MmapRegion, MapsFileContent) {
  TempDir dir;
  std::string content(3 * page_size() + 17, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 13);
  write_file(dir.sub("f"), content);
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDONLY, 0, &f), 0);
  MmapRegion r;
  ASSERT_EQ(MmapRegion::map(f.fd(), content.size(), /*writable=*/false, &r), 0);
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(r.size(), content.size());
  ASSERT_NE(r.data(), nullptr);
  EXPECT_TRUE(content_of(r) == content);
  r.advise_sequential();
  EXPECT_TRUE(content_of(r) == content);
}

TEST(MmapRegion, MappingOutlivesTheDescriptor) {
  TempDir dir;
  write_file(dir.sub("f"), "still readable");
  MmapRegion r;
  {
    File f;
    ASSERT_EQ(File::open(dir.sub("f"), O_RDONLY, 0, &f), 0);
    ASSERT_EQ(MmapRegion::map(f.fd(), 14, false, &r), 0);
  }
  EXPECT_EQ(content_of(r), "still readable");
}

TEST(MmapRegion, SeesLaterPwriteThroughSharedMapping) {
  TempDir dir;
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0644, &f), 0);
  const std::size_t len = 2 * page_size();
  ASSERT_EQ(f.allocate(0, len), 0);
  MmapRegion r;
  ASSERT_EQ(MmapRegion::map(f.fd(), len, false, &r), 0);
  EXPECT_EQ(r.data()[100], 0);

  // Bytes written after the mapping was made (as the log's appender does) show up in it,
  // including across a page boundary.
  const std::string msg = "appended after mmap";
  const std::uint64_t at = page_size() - 5;
  ASSERT_EQ(f.pwrite_full(msg.data(), msg.size(), at), 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data()) + at, msg.size()), msg);
  ASSERT_EQ(f.pwrite_full("Z", 1, 100), 0);
  EXPECT_EQ(r.data()[100], 'Z');
}

TEST(MmapRegion, WritableMappingStoresReachTheFile) {
  TempDir dir;
  write_file(dir.sub("f"), std::string(64, '.'));
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR, 0, &f), 0);
  MmapRegion r;
  ASSERT_EQ(MmapRegion::map(f.fd(), 64, /*writable=*/true, &r), 0);
  std::memcpy(r.mutable_data() + 10, "shared", 6);
  char buf[6];
  ASSERT_EQ(f.pread_full(buf, 6, 10), 6);
  EXPECT_EQ(std::string(buf, 6), "shared");
  r.unmap();
  EXPECT_EQ(read_file(dir.sub("f")).substr(8, 10), "..shared..");
}

TEST(MmapRegion, ZeroLengthGivesEmptyRegionWithoutMapping) {
  TempDir dir;
  File f;
  ASSERT_EQ(File::open(dir.sub("empty"), O_RDWR | O_CREAT, 0644, &f), 0);
  MmapRegion r;
  ASSERT_EQ(MmapRegion::map(f.fd(), 0, false, &r), 0);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.data(), nullptr);
  // Not even a descriptor is needed: len 0 never calls mmap.
  ASSERT_EQ(MmapRegion::map(-1, 0, false, &r), 0);
  EXPECT_TRUE(r.empty());
}

TEST(MmapRegion, MappingAgainReleasesThePreviousMapping) {
  TempDir dir;
  write_file(dir.sub("f"), std::string(page_size(), 'a'));
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDONLY, 0, &f), 0);
  MmapRegion r;
  ASSERT_EQ(MmapRegion::map(f.fd(), page_size(), false, &r), 0);
  const std::uint8_t* old = r.data();
  ASSERT_TRUE(is_mapped(old, page_size()));
  // Re-mapping with length 0 unmaps what was there.
  ASSERT_EQ(MmapRegion::map(f.fd(), 0, false, &r), 0);
  const bool old_still_mapped = is_mapped(old, page_size());
  EXPECT_FALSE(old_still_mapped);
  EXPECT_TRUE(r.empty());
}

TEST(MmapRegion, ErrorsAreNegativeErrno) {
  TempDir dir;
  write_file(dir.sub("f"), "data");
  MmapRegion r;
  EXPECT_EQ(MmapRegion::map(-1, 16, false, &r), -EBADF);
  EXPECT_TRUE(r.empty());
  File ro;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDONLY, 0, &ro), 0);
  EXPECT_EQ(MmapRegion::map(ro.fd(), 4, /*writable=*/true, &r), -EACCES);
  EXPECT_TRUE(r.empty());
}

TEST(MmapRegion, MoveConstructionTransfersTheMapping) {
  TempDir dir;
  write_file(dir.sub("f"), "moved content");
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDONLY, 0, &f), 0);
  MmapRegion a;
  ASSERT_EQ(MmapRegion::map(f.fd(), 13, false, &a), 0);
  const std::uint8_t* p = a.data();
  MmapRegion b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.size(), 13u);
  EXPECT_EQ(content_of(b), "moved content");
  a.unmap();  // the moved-from object must not unmap b's pages
  EXPECT_TRUE(is_mapped(p, 13));
  EXPECT_EQ(content_of(b), "moved content");
}

TEST(MmapRegion, MoveAssignmentUnmapsTheTargetsOldMapping) {
  TempDir dir;
  write_file(dir.sub("a"), std::string(page_size(), 'a'));
  write_file(dir.sub("b"), std::string(page_size(), 'b'));
  File fa, fb;
  ASSERT_EQ(File::open(dir.sub("a"), O_RDONLY, 0, &fa), 0);
  ASSERT_EQ(File::open(dir.sub("b"), O_RDONLY, 0, &fb), 0);
  MmapRegion a, b;
  ASSERT_EQ(MmapRegion::map(fa.fd(), page_size(), false, &a), 0);
  ASSERT_EQ(MmapRegion::map(fb.fd(), page_size(), false, &b), 0);
  const std::uint8_t* pa = a.data();
  const std::uint8_t* pb = b.data();
  b = std::move(a);
  const bool old_b_still_mapped = is_mapped(pb, page_size());
  EXPECT_FALSE(old_b_still_mapped);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.data(), pa);
  EXPECT_EQ(b.data()[0], 'a');

  MmapRegion& alias = b;
  b = std::move(alias);  // self-move keeps the mapping
  EXPECT_EQ(b.data(), pa);
  EXPECT_TRUE(is_mapped(pa, page_size()));
}

TEST(MmapRegion, DestructorAndUnmapReleaseTheMapping) {
  TempDir dir;
  write_file(dir.sub("f"), std::string(page_size(), 'x'));
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDONLY, 0, &f), 0);
  const std::uint8_t* p = nullptr;
  bool mapped_after_destruction = true;
  {
    MmapRegion r;
    ASSERT_EQ(MmapRegion::map(f.fd(), page_size(), false, &r), 0);
    p = r.data();
    ASSERT_TRUE(is_mapped(p, page_size()));
  }
  mapped_after_destruction = is_mapped(p, page_size());
  EXPECT_FALSE(mapped_after_destruction);

  MmapRegion r;
  ASSERT_EQ(MmapRegion::map(f.fd(), page_size(), false, &r), 0);
  p = r.data();
  r.unmap();
  const bool mapped_after_unmap = is_mapped(p, page_size());
  EXPECT_FALSE(mapped_after_unmap);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.data(), nullptr);
  r.unmap();  // twice is harmless
}

}  // namespace
}  // namespace spool::io
