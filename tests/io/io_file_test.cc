// io/file.h: the RAII descriptor and the small file helpers. Everything speaks -errno.
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::read_file;
using spool::testing::TempDir;
using spool::testing::write_file;

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed) & 0xFF);
  return s;
}

File open_rw(const std::string& path) {
  File f;
  EXPECT_EQ(File::open(path, O_RDWR | O_CREAT, 0644, &f), 0) << path;
  return f;
}

// ---------------------------------------------------------------- open / close / move

TEST(FileOpen, MissingFileIsNegativeEnoent) {
  TempDir dir;
  File f;
  EXPECT_EQ(File::open(dir.sub("absent"), O_RDONLY, 0, &f), -ENOENT);
  EXPECT_FALSE(f.is_open());
}

TEST(FileOpen, MissingParentDirectoryIsNegativeEnoent) {
  TempDir dir;
  File f;
  EXPECT_EQ(File::open(dir.sub("no/such/file"), O_RDWR | O_CREAT, 0644, &f), -ENOENT);
  EXPECT_FALSE(f.is_open());
}

TEST(FileOpen, ExclusiveCreateOfExistingFileIsNegativeEexist) {
  TempDir dir;
  write_file(dir.sub("x"), "keep me");
  File f;
  EXPECT_EQ(File::open(dir.sub("x"), O_RDWR | O_CREAT | O_EXCL, 0644, &f), -EEXIST);
  EXPECT_FALSE(f.is_open());
  EXPECT_EQ(read_file(dir.sub("x")), "keep me");
}

TEST(FileOpen, DirectoryForWritingIsNegativeEisdir) {
  TempDir dir;
  File f;
  EXPECT_EQ(File::open(dir.path(), O_WRONLY, 0, &f), -EISDIR);
}

TEST(FileOpen, PathThroughARegularFileIsNegativeEnotdir) {
  TempDir dir;
  write_file(dir.sub("plain"), "x");
  File f;
  EXPECT_EQ(File::open(dir.sub("plain/child"), O_RDONLY, 0, &f), -ENOTDIR);
}

TEST(FileOpen, AddsCloseOnExec) {
  TempDir dir;
  File f;
  ASSERT_EQ(File::open(dir.sub("f"), O_RDWR | O_CREAT, 0644, &f), 0);
  ASSERT_TRUE(f.is_open());
  const int flags = ::fcntl(f.fd(), F_GETFD);
  ASSERT_GE(flags, 0);
  EXPECT_NE(flags & FD_CLOEXEC, 0);
}

TEST(FileOpen, CreatesWithRequestedMode) {
  TempDir dir;
  const mode_t old = ::umask(022);
  File f;
  ASSERT_EQ(File::open(dir.sub("m"), O_RDWR | O_CREAT, 0640, &f), 0);
  ::umask(old);
  struct stat st;
  ASSERT_EQ(::fstat(f.fd(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(FileLifetime, DefaultIsClosedAndCloseIsIdempotent) {
  File f;
  EXPECT_FALSE(f.is_open());
  EXPECT_EQ(f.fd(), -1);
  EXPECT_EQ(f.close(), 0);
  EXPECT_EQ(f.close(), 0);
}

TEST(FileLifetime, CloseClosesTheDescriptor) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  const int fd = f.fd();
  EXPECT_EQ(f.close(), 0);
  EXPECT_FALSE(f.is_open());
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(FileLifetime, DestructorClosesTheDescriptor) {
  TempDir dir;
  int fd = -1;
  {
    File f = open_rw(dir.sub("f"));
    fd = f.fd();
    ASSERT_GE(fd, 0);
  }
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(FileLifetime, ReleaseHandsOverTheDescriptor) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  const int fd = f.fd();
  EXPECT_EQ(f.release(), fd);
  EXPECT_FALSE(f.is_open());
  EXPECT_EQ(f.close(), 0);
  // Still open: release() must not have closed it.
  EXPECT_GE(::fcntl(fd, F_GETFD), 0);
  ::close(fd);
}

TEST(FileLifetime, MoveConstructionTransfersOwnership) {
  TempDir dir;
  File a = open_rw(dir.sub("f"));
  const int fd = a.fd();
  File b(std::move(a));
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(b.pwrite_full("abc", 3, 0), 0);
  EXPECT_EQ(read_file(dir.sub("f")), "abc");
}

TEST(FileLifetime, MoveAssignmentClosesThePreviousDescriptor) {
  TempDir dir;
  File a = open_rw(dir.sub("a"));
  File b = open_rw(dir.sub("b"));
  const int fd_a = a.fd();
  const int fd_b = b.fd();
  b = std::move(a);
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.fd(), fd_a);
  errno = 0;
  EXPECT_EQ(::fcntl(fd_b, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(FileLifetime, SelfMoveAssignmentKeepsTheDescriptor) {
  TempDir dir;
  File a = open_rw(dir.sub("a"));
  const int fd = a.fd();
  File& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.fd(), fd);
  EXPECT_GE(::fcntl(fd, F_GETFD), 0);
}

// ---------------------------------------------------------------- pread / pwrite

TEST(FileReadWrite, RoundTripAtOffsets) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  ASSERT_EQ(f.pwrite_full("hello", 5, 0), 0);
  ASSERT_EQ(f.pwrite_full("world", 5, 4096), 0);
  ASSERT_EQ(f.pwrite_full("XY", 2, 1), 0);  // overwrite inside the first write
  EXPECT_EQ(f.size(), 4101);

  char buf[5] = {};
  ASSERT_EQ(f.pread_full(buf, 5, 0), 5);
  EXPECT_EQ(std::string(buf, 5), "hXYlo");
  ASSERT_EQ(f.pread_full(buf, 5, 4096), 5);
  EXPECT_EQ(std::string(buf, 5), "world");
  ASSERT_EQ(f.pread_full(buf, 3, 4098), 3);
  EXPECT_EQ(std::string(buf, 3), "rld");

  // The hole between the writes reads as zeros.
  std::string hole(4091, 'x');
  ASSERT_EQ(f.pread_full(hole.data(), hole.size(), 5), 4091);
  EXPECT_EQ(hole, std::string(4091, '\0'));
}

TEST(FileReadWrite, LargeBuffersRoundTrip) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  const std::string data = pattern(9 << 20, 7);  // 9 MiB: more than one syscall may take
  ASSERT_EQ(f.pwrite_full(data.data(), data.size(), 12345), 0);
  EXPECT_EQ(f.size(), static_cast<std::int64_t>(12345 + data.size()));
  std::string back(data.size(), '\0');
  ASSERT_EQ(f.pread_full(back.data(), back.size(), 12345),
            static_cast<ssize_t>(data.size()));
  EXPECT_TRUE(back == data);
}

TEST(FileReadWrite, ReadPastEndReturnsWhatExists) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  ASSERT_EQ(f.pwrite_full("0123456789", 10, 0), 0);
  char buf[32] = {};
  EXPECT_EQ(f.pread_full(buf, sizeof buf, 6), 4);
  EXPECT_EQ(std::string(buf, 4), "6789");
  EXPECT_EQ(f.pread_full(buf, sizeof buf, 10), 0);
  EXPECT_EQ(f.pread_full(buf, sizeof buf, 1000), 0);
  EXPECT_EQ(f.pread_full(buf, 0, 0), 0);
}

TEST(FileReadWrite, ZeroLengthWriteIsANoop) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  EXPECT_EQ(f.pwrite_full("", 0, 100), 0);
  EXPECT_EQ(f.size(), 0);
}

TEST(FileReadWrite, ErrorsAreNegativeErrno) {
  TempDir dir;
  write_file(dir.sub("ro"), "data");
  File ro;
  ASSERT_EQ(File::open(dir.sub("ro"), O_RDONLY, 0, &ro), 0);
  EXPECT_EQ(ro.pwrite_full("x", 1, 0), -EBADF);
  EXPECT_EQ(read_file(dir.sub("ro")), "data");

  File wo;
  ASSERT_EQ(File::open(dir.sub("wo"), O_WRONLY | O_CREAT, 0644, &wo), 0);
  char c;
  EXPECT_EQ(wo.pread_full(&c, 1, 0), -EBADF);

  File closed;
  EXPECT_EQ(closed.pread_full(&c, 1, 0), -EBADF);
  EXPECT_EQ(closed.pwrite_full("x", 1, 0), -EBADF);
  EXPECT_EQ(closed.size(), -EBADF);
  EXPECT_EQ(closed.truncate(0), -EBADF);
  EXPECT_EQ(closed.allocate(0, 10), -EBADF);
  EXPECT_EQ(closed.datasync(), -EBADF);
  EXPECT_EQ(closed.sync(), -EBADF);
}

TEST(FileReadWrite, SyncsSucceedOnAnOpenFile) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  ASSERT_EQ(f.pwrite_full("abc", 3, 0), 0);
  EXPECT_EQ(f.datasync(), 0);
  EXPECT_EQ(f.sync(), 0);
}

// ---------------------------------------------------------------- allocate / truncate

TEST(FileAllocate, ReservesTheRequestedSize) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  constexpr std::uint64_t kLen = 1 << 20;
  ASSERT_EQ(f.allocate(0, kLen), 0);
  EXPECT_EQ(f.size(), static_cast<std::int64_t>(kLen));

  // Reserved space reads as zeros.
  std::string back(kLen, 'x');
  ASSERT_EQ(f.pread_full(back.data(), back.size(), 0), static_cast<ssize_t>(kLen));
  EXPECT_TRUE(back == std::string(kLen, '\0'));

  // Where the file system has fallocate, the blocks are really reserved (not sparse).
  File probe = open_rw(dir.sub("probe"));
  if (::fallocate(probe.fd(), 0, 0, 4096) == 0) {
    struct stat st;
    ASSERT_EQ(::fstat(f.fd(), &st), 0);
    EXPECT_GE(static_cast<std::uint64_t>(st.st_blocks) * 512, kLen);
  }
}

TEST(FileAllocate, KeepsDataAndNeverShrinks) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  ASSERT_EQ(f.pwrite_full("payload", 7, 0), 0);
  ASSERT_EQ(f.allocate(4096, 8192), 0);
  EXPECT_EQ(f.size(), 4096 + 8192);
  ASSERT_EQ(f.allocate(0, 16), 0);  // inside the file: no change
  EXPECT_EQ(f.size(), 4096 + 8192);
  char buf[7];
  ASSERT_EQ(f.pread_full(buf, 7, 0), 7);
  EXPECT_EQ(std::string(buf, 7), "payload");
}

TEST(FileAllocate, ReadOnlyDescriptorIsRefused) {
  TempDir dir;
  write_file(dir.sub("ro"), "x");
  File ro;
  ASSERT_EQ(File::open(dir.sub("ro"), O_RDONLY, 0, &ro), 0);
  EXPECT_EQ(ro.allocate(0, 4096), -EBADF);
  EXPECT_EQ(ro.size(), 1);
}

TEST(FileTruncate, ShrinksAndGrowsWithZeros) {
  TempDir dir;
  File f = open_rw(dir.sub("f"));
  ASSERT_EQ(f.pwrite_full("0123456789", 10, 0), 0);
  ASSERT_EQ(f.truncate(4), 0);
  EXPECT_EQ(f.size(), 4);
  EXPECT_EQ(read_file(dir.sub("f")), "0123");
  ASSERT_EQ(f.truncate(8), 0);
  EXPECT_EQ(f.size(), 8);
  EXPECT_EQ(read_file(dir.sub("f")), std::string("0123\0\0\0\0", 8));
  ASSERT_EQ(f.truncate(0), 0);
  EXPECT_EQ(f.size(), 0);
}

// ---------------------------------------------------------------- directory helpers

TEST(WriteFileAtomically, CreatesTheFileAndLeavesNoTemp) {
  TempDir dir;
  ASSERT_EQ(write_file_atomically(dir.path(), "state", "first", 5), 0);
  EXPECT_EQ(read_file(dir.sub("state")), "first");
  EXPECT_FALSE(std::filesystem::exists(dir.sub("state.tmp")));
}

TEST(WriteFileAtomically, ReplacesLongerContentCompletely) {
  TempDir dir;
  const std::string long_content = pattern(10000, 3);
  ASSERT_EQ(write_file_atomically(dir.path(), "state", long_content.data(), long_content.size()),
            0);
  ASSERT_EQ(read_file(dir.sub("state")), long_content);
  ASSERT_EQ(write_file_atomically(dir.path(), "state", "short", 5), 0);
  EXPECT_EQ(read_file(dir.sub("state")), "short");
  EXPECT_FALSE(std::filesystem::exists(dir.sub("state.tmp")));
  ASSERT_EQ(write_file_atomically(dir.path(), "state", "", 0), 0);
  EXPECT_EQ(std::filesystem::file_size(dir.sub("state")), 0u);
}

TEST(WriteFileAtomically, OverwritesAStaleTempFile) {
  TempDir dir;
  write_file(dir.sub("state.tmp"), "stale leftover that is longer than the new content");
  ASSERT_EQ(write_file_atomically(dir.path(), "state", "new", 3), 0);
  EXPECT_EQ(read_file(dir.sub("state")), "new");
  EXPECT_FALSE(std::filesystem::exists(dir.sub("state.tmp")));
}

TEST(WriteFileAtomically, ReplacesTheDirectoryEntryNotTheOldInode) {
  TempDir dir;
  ASSERT_EQ(write_file_atomically(dir.path(), "state", "old", 3), 0);
  // A reader holding the old file keeps seeing the old content: it was replaced by rename,
  // never rewritten in place.
  File reader;
  ASSERT_EQ(File::open(dir.sub("state"), O_RDONLY, 0, &reader), 0);
  ASSERT_EQ(write_file_atomically(dir.path(), "state", "new!", 4), 0);
  char buf[8] = {};
  EXPECT_EQ(reader.pread_full(buf, sizeof buf, 0), 3);
  EXPECT_EQ(std::string(buf, 3), "old");
  EXPECT_EQ(read_file(dir.sub("state")), "new!");
}

TEST(WriteFileAtomically, MissingDirectoryIsNegativeEnoent) {
  TempDir dir;
  EXPECT_EQ(write_file_atomically(dir.sub("absent"), "state", "x", 1), -ENOENT);
}

TEST(ReadSmallFile, ReadsWholeFile) {
  TempDir dir;
  const std::string content = pattern(5000, 9);
  write_file(dir.sub("f"), content);
  std::string out = "previous junk";
  ASSERT_EQ(read_small_file(dir.sub("f"), &out, 5000), 0);  // exactly at the limit
  EXPECT_EQ(out, content);
}

TEST(ReadSmallFile, EmptyFileGivesEmptyString) {
  TempDir dir;
  write_file(dir.sub("f"), "");
  std::string out = "junk";
  ASSERT_EQ(read_small_file(dir.sub("f"), &out, 0), 0);
  EXPECT_EQ(out, "");
}

TEST(ReadSmallFile, LargerThanLimitIsNegativeEfbig) {
  TempDir dir;
  write_file(dir.sub("f"), std::string(101, 'a'));
  std::string out;
  EXPECT_EQ(read_small_file(dir.sub("f"), &out, 100), -EFBIG);
  EXPECT_EQ(read_small_file(dir.sub("f"), &out, 0), -EFBIG);
}

TEST(ReadSmallFile, MissingFileIsNegativeEnoent) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(read_small_file(dir.sub("absent"), &out, 100), -ENOENT);
}

TEST(MakeDirectory, CreatesAndIsIdempotent) {
  TempDir dir;
  const std::string d = dir.sub("logs");
  ASSERT_EQ(make_directory(d), 0);
  EXPECT_TRUE(std::filesystem::is_directory(d));
  write_file(d + "/inside", "kept");
  EXPECT_EQ(make_directory(d), 0);
  EXPECT_EQ(read_file(d + "/inside"), "kept");
}

TEST(MakeDirectory, ExistingRegularFileIsNegativeEnotdir) {
  TempDir dir;
  write_file(dir.sub("file"), "x");
  EXPECT_EQ(make_directory(dir.sub("file")), -ENOTDIR);
  EXPECT_EQ(read_file(dir.sub("file")), "x");
}

TEST(MakeDirectory, MissingParentIsNegativeEnoent) {
  TempDir dir;
  EXPECT_EQ(make_directory(dir.sub("a/b")), -ENOENT);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("a")));
}

TEST(FsyncDirectory, WorksOnDirectoriesOnly) {
  TempDir dir;
  EXPECT_EQ(fsync_directory(dir.path()), 0);
  EXPECT_EQ(fsync_directory(dir.sub("absent")), -ENOENT);
  write_file(dir.sub("file"), "x");
  EXPECT_EQ(fsync_directory(dir.sub("file")), -ENOTDIR);
}

TEST(RenameAndRemove, ReportNegativeErrno) {
  TempDir dir;
  write_file(dir.sub("a"), "content");
  write_file(dir.sub("b"), "replaced");
  ASSERT_EQ(rename_path(dir.sub("a"), dir.sub("b")), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("a")));
  EXPECT_EQ(read_file(dir.sub("b")), "content");
  EXPECT_EQ(rename_path(dir.sub("a"), dir.sub("c")), -ENOENT);

  EXPECT_EQ(remove_path(dir.sub("b")), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("b")));
  EXPECT_EQ(remove_path(dir.sub("b")), -ENOENT);
}

}  // namespace
}  // namespace spool::io
