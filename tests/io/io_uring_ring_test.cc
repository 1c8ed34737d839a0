// io/uring_ring.h: batched writes at a position, split over SQEs and rounds as needed,
// with an optional linked fdatasync.
#include "io/uring_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/file.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::read_file;
using spool::testing::TempDir;

// Many small buffers of varying length (some empty), and the bytes they should produce.
struct IovecBatch {
  std::vector<std::string> buffers;
  std::vector<iovec> iov;
  std::string expected;
};

IovecBatch make_batch(std::size_t count, unsigned seed) {
  IovecBatch b;
  b.buffers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t len = (i * 7 + seed) % 23;  // 0..22 bytes, zero-length ones included
    std::string s(len, '\0');
    for (std::size_t k = 0; k < len; ++k) s[k] = static_cast<char>('A' + (i + k + seed) % 58);
    b.expected += s;
    b.buffers.push_back(std::move(s));
  }
  for (std::string& s : b.buffers) b.iov.push_back(iovec{s.data(), s.size()});
  return b;
}

class UringRingTest : public ::testing::Test {
 protected:
  // Initialises `ring`, or skips the test where the kernel refuses io_uring.
  void init_or_skip(UringRing* ring, unsigned entries) {
    const int rc = ring->init(entries);
    if (rc == -EPERM || rc == -ENOSYS) {
      GTEST_SKIP() << "io_uring is not available here (init returned " << rc << ": "
                   << std::strerror(-rc) << "); the pwrite appender covers this host";
    }
    ASSERT_EQ(rc, 0) << std::strerror(-rc);
    ASSERT_TRUE(ring->ready());
  }

  File open_file(const std::string& name) {
    File f;
    EXPECT_EQ(File::open(dir_.sub(name), O_RDWR | O_CREAT | O_TRUNC, 0644, &f), 0);
    return f;
  }

  // Writes `b` at `offset` in a fresh file and checks that exactly its bytes landed.
  void write_and_check(UringRing* ring, const IovecBatch& b, std::uint64_t offset,
                       bool datasync) {
    File f = open_file("batch");
    ASSERT_EQ(ring->write_at(f.fd(), b.iov.data(), static_cast<int>(b.iov.size()), offset,
                             datasync),
              0);
    const std::string content = read_file(dir_.sub("batch"));
    ASSERT_EQ(content.size(), offset + b.expected.size());
    EXPECT_TRUE(content.substr(0, offset) == std::string(offset, '\0'));
    EXPECT_TRUE(content.substr(offset) == b.expected)
        << "bytes of " << b.iov.size() << " iovecs did not land contiguously";
  }

  TempDir dir_;
};

TEST_F(UringRingTest, NotInitialisedRefusesWithEbadf) {
  UringRing ring;
  EXPECT_FALSE(ring.ready());
  File f = open_file("f");
  char c = 'x';
  iovec iov{&c, 1};
  EXPECT_EQ(ring.write_at(f.fd(), &iov, 1, 0, false), -EBADF);
  EXPECT_EQ(ring.datasync(f.fd()), -EBADF);
  EXPECT_EQ(f.size(), 0);
}

TEST_F(UringRingTest, InitTwiceIsHarmless) {
  UringRing ring;
  init_or_skip(&ring, 8);
  EXPECT_EQ(ring.init(8), 0);
  EXPECT_TRUE(ring.ready());
}

TEST_F(UringRingTest, SingleIovecAtOffset) {
  UringRing ring;
  init_or_skip(&ring, 8);
  File f = open_file("f");
  const std::string a = "first";
  const std::string b = "second";
  iovec iov_a{const_cast<char*>(a.data()), a.size()};
  iovec iov_b{const_cast<char*>(b.data()), b.size()};
  ASSERT_EQ(ring.write_at(f.fd(), &iov_a, 1, 0, false), 0);
  ASSERT_EQ(ring.write_at(f.fd(), &iov_b, 1, 5, false), 0);
  ASSERT_EQ(ring.write_at(f.fd(), &iov_a, 1, 4096, false), 0);
  const std::string content = read_file(dir_.sub("f"));
  ASSERT_EQ(content.size(), 4096u + 5u);
  EXPECT_EQ(content.substr(0, 11), "firstsecond");
  EXPECT_EQ(content.substr(4096), "first");
}

TEST_F(UringRingTest, EmptyBatchWritesNothing) {
  UringRing ring;
  init_or_skip(&ring, 8);
  File f = open_file("f");
  EXPECT_EQ(ring.write_at(f.fd(), nullptr, 0, 0, false), 0);
  EXPECT_EQ(ring.write_at(f.fd(), nullptr, 0, 0, true), 0);
  char none = 0;
  iovec empty{&none, 0};
  EXPECT_EQ(ring.write_at(f.fd(), &empty, 1, 0, true), 0);
  EXPECT_EQ(f.size(), 0);
}

TEST_F(UringRingTest, ManyIovecsInOneSqeLandContiguously) {
  UringRing ring;
  init_or_skip(&ring, 64);
  for (std::size_t count : {2u, 100u, 1023u, 1024u}) {
    SCOPED_TRACE(count);
    write_and_check(&ring, make_batch(count, static_cast<unsigned>(count)), 77, false);
  }
}

TEST_F(UringRingTest, MoreThan1024IovecsAreSplitAcrossSqes) {
  UringRing ring;
  init_or_skip(&ring, 64);
  for (std::size_t count : {1025u, 2048u, 2049u, 5000u}) {
    SCOPED_TRACE(count);
    write_and_check(&ring, make_batch(count, static_cast<unsigned>(count)), 4093, false);
  }
}

TEST_F(UringRingTest, MoreChunksThanRingEntriesTakeSeveralRounds) {
  // A 4-entry ring takes 3 writes (of up to 1024 iovecs) per round, so 10000 iovecs need
  // four rounds; the rounds must continue exactly where the previous one ended.
  UringRing ring;
  init_or_skip(&ring, 4);
  for (std::size_t count : {3072u, 3073u, 10000u}) {
    SCOPED_TRACE(count);
    write_and_check(&ring, make_batch(count, 3), 13, false);
  }
}

TEST_F(UringRingTest, TwoEntryRingStillMakesProgress) {
  UringRing ring;
  init_or_skip(&ring, 2);
  write_and_check(&ring, make_batch(3000, 5), 0, false);
  write_and_check(&ring, make_batch(3000, 6), 8, true);
}

TEST_F(UringRingTest, LinkedDatasyncSucceedsAndDataLands) {
  UringRing ring;
  init_or_skip(&ring, 8);
  write_and_check(&ring, make_batch(10, 1), 0, true);
  write_and_check(&ring, make_batch(1500, 2), 100, true);      // two SQEs + linked sync
  write_and_check(&ring, make_batch(20000, 4), 1000, true);    // several rounds, sync last
}

TEST_F(UringRingTest, StandaloneDatasync) {
  UringRing ring;
  init_or_skip(&ring, 8);
  File f = open_file("f");
  ASSERT_EQ(f.pwrite_full("abc", 3, 0), 0);
  EXPECT_EQ(ring.datasync(f.fd()), 0);
  EXPECT_EQ(ring.datasync(-1), -EBADF);
}

TEST_F(UringRingTest, LargeBuffersLandContiguously) {
  UringRing ring;
  init_or_skip(&ring, 8);
  std::vector<std::string> bufs;
  std::string expected;
  for (int i = 0; i < 5; ++i) {
    bufs.emplace_back(std::size_t{3} << 20, static_cast<char>('a' + i));  // 3 MiB each
    expected += bufs.back();
  }
  std::vector<iovec> iov;
  for (auto& b : bufs) iov.push_back(iovec{b.data(), b.size()});
  File f = open_file("big");
  ASSERT_EQ(ring.write_at(f.fd(), iov.data(), static_cast<int>(iov.size()), 1, true), 0);
  const std::string content = read_file(dir_.sub("big"));
  ASSERT_EQ(content.size(), expected.size() + 1);
  EXPECT_TRUE(content.substr(1) == expected);
}

TEST_F(UringRingTest, WriteErrorIsReportedNotTheCancelledSync) {
  UringRing ring;
  init_or_skip(&ring, 8);
  File rw = open_file("f");
  File ro;
  ASSERT_EQ(File::open(dir_.sub("f"), O_RDONLY, 0, &ro), 0);
  IovecBatch b = make_batch(5, 1);
  EXPECT_EQ(ring.write_at(ro.fd(), b.iov.data(), 5, 0, false), -EBADF);
  // With the linked fsync, the failing write cancels it; the write's error is what counts.
  EXPECT_EQ(ring.write_at(ro.fd(), b.iov.data(), 5, 0, true), -EBADF);
  EXPECT_EQ(rw.size(), 0);
  // The ring is still usable afterwards.
  EXPECT_EQ(ring.write_at(rw.fd(), b.iov.data(), 5, 0, true), 0);
  EXPECT_EQ(read_file(dir_.sub("f")), b.expected);
}

TEST_F(UringRingTest, ShortWriteAtFileSizeLimitEndsWithEfbig) {
  // RLIMIT_FSIZE makes the kernel write only up to the limit (a short write) and refuse the
  // rest with EFBIG: the ring must resume after the short write, then report the error.
  UringRing probe;
  init_or_skip(&probe, 8);
  File f = open_file("limited");
  const int fd = f.fd();
  const int code = spool::testing::run_in_child([fd] {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit rl{5000, 5000};
    if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) return 10;
    UringRing ring;
    if (ring.init(8) != 0) return 11;
    std::string a(3000, 'a'), b(3000, 'b');
    iovec iov[2] = {{a.data(), a.size()}, {b.data(), b.size()}};
    const int rc = ring.write_at(fd, iov, 2, 0, true);
    return rc == -EFBIG ? 0 : 12;
  });
  ASSERT_EQ(code, 0) << "10: setrlimit, 11: init, 12: write_at did not return -EFBIG";
  const std::string content = read_file(dir_.sub("limited"));
  ASSERT_EQ(content.size(), 5000u);
  EXPECT_EQ(content, std::string(3000, 'a') + std::string(2000, 'b'));
}

TEST_F(UringRingTest, OneEntryRingTerminates) {
  // io_uring_queue_init accepts 1 entry. A batch must still complete (or fail) rather than
  // spin: run it in a child with an alarm as a hang guard (the alarm is not a speed
  // requirement; the write takes microseconds, the guard is generous).
  UringRing probe;
  init_or_skip(&probe, 1);
  File f = open_file("one");
  const int fd = f.fd();
  const int code = spool::testing::run_in_child([fd] {
    ::alarm(10);
    UringRing ring;
    if (ring.init(1) != 0) return 11;
    std::string a = "one entry";
    iovec iov{a.data(), a.size()};
    const int rc = ring.write_at(fd, &iov, 1, 0, false);
    return rc == 0 ? 0 : 12;
  });
  ASSERT_NE(code, 128 + SIGALRM) << "write_at on a 1-entry ring never returned";
  ASSERT_EQ(code, 0);
  EXPECT_EQ(read_file(dir_.sub("one")), "one entry");
}

}  // namespace
}  // namespace spool::io
