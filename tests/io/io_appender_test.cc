// io/appender.h: the two ways bytes reach the log file (io_uring, pwrite) must be
// interchangeable, and kAuto must fall back to pwrite where the kernel refuses io_uring.
#include "io/appender.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/file.h"
#include "io/uring_ring.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace spool::io {
namespace {

using spool::testing::read_file;
using spool::testing::TempDir;

struct IovecBatch {
  std::vector<std::string> buffers;
  std::vector<iovec> iov;
  std::string expected;

  void add(std::string s) { buffers.push_back(std::move(s)); }
  // Call once all buffers are added (the iovecs point into them).
  void finish() {
    iov.clear();
    expected.clear();
    for (std::string& s : buffers) {
      iov.push_back(iovec{s.data(), s.size()});
      expected += s;
    }
  }
  int count() const { return static_cast<int>(iov.size()); }
};

// `count` buffers of 0..22 bytes. The first buffer of every run of 64 is never empty,
// so no 64-iovec group consists of empty buffers only (see ZeroLengthIovecs* below).
IovecBatch varied_batch(std::size_t count, unsigned seed) {
  IovecBatch b;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t len = (i * 7 + seed) % 23;
    if (i % 64 == 0 && len == 0) len = 5;
    std::string s(len, '\0');
    for (std::size_t k = 0; k < len; ++k) s[k] = static_cast<char>((i * 131 + k + seed) & 0xFF);
    b.add(std::move(s));
  }
  b.finish();
  return b;
}

bool uring_available(std::string* why) {
  UringRing ring;
  const int rc = ring.init(8);
  if (rc == 0) return true;
  *why = std::string("io_uring_setup refused here: ") + std::strerror(-rc);
  return false;
}

std::unique_ptr<FileAppender> make_or_fail(AppenderKind kind) {
  std::unique_ptr<FileAppender> a;
  const int rc = make_file_appender(kind, &a);
  EXPECT_EQ(rc, 0) << std::strerror(-rc);
  return a;
}

// Writes each batch at its offset into a fresh file through `a`; returns the file bytes.
struct Placed {
  const IovecBatch* batch;
  std::uint64_t offset;
  bool datasync;
};
std::string write_all(FileAppender* a, const std::string& path, const std::vector<Placed>& ops) {
  File f;
  EXPECT_EQ(File::open(path, O_RDWR | O_CREAT | O_TRUNC, 0644, &f), 0);
  for (const Placed& op : ops) {
    EXPECT_EQ(a->write_at(f.fd(), op.batch->iov.data(), op.batch->count(), op.offset,
                          op.datasync),
              0)
        << a->name() << ": " << op.batch->count() << " iovecs at " << op.offset;
  }
  return read_file(path);
}

// Where each batch should land when written through any appender.
std::string expected_image(const std::vector<Placed>& ops) {
  std::string out;
  for (const Placed& op : ops) {
    const std::uint64_t end = op.offset + op.batch->expected.size();
    if (out.size() < end) out.resize(end, '\0');
    out.replace(op.offset, op.batch->expected.size(), op.batch->expected);
  }
  return out;
}

// ---------------------------------------------------------------- choosing

TEST(MakeFileAppender, PwriteWhenForced) {
  auto a = make_or_fail(AppenderKind::kPwrite);
  ASSERT_NE(a, nullptr);
  EXPECT_STREQ(a->name(), "pwrite");
}

TEST(MakeFileAppender, AutoPicksIoUringWhereTheKernelAllowsIt) {
  std::string why;
  if (!uring_available(&why)) GTEST_SKIP() << why;
  auto a = make_or_fail(AppenderKind::kAuto);
  ASSERT_NE(a, nullptr);
  EXPECT_STREQ(a->name(), "io_uring");
}

TEST(MakeFileAppender, UringWhenForced) {
  std::string why;
  if (!uring_available(&why)) GTEST_SKIP() << why;
  auto a = make_or_fail(AppenderKind::kUring);
  ASSERT_NE(a, nullptr);
  EXPECT_STREQ(a->name(), "io_uring");
}

// ---------------------------------------------------------------- same bytes either way

class BothAppenders : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!uring_available(&why)) GTEST_SKIP() << why << "; only the pwrite appender exists here";
    uring_ = make_or_fail(AppenderKind::kUring);
    pwrite_ = make_or_fail(AppenderKind::kPwrite);
    ASSERT_NE(uring_, nullptr);
    ASSERT_NE(pwrite_, nullptr);
  }

  // Writes the same operations through both appenders and checks both files are equal to
  // each other and to the expected image.
  void expect_identical(const std::vector<Placed>& ops) {
    const std::string by_uring = write_all(uring_.get(), dir_.sub("uring"), ops);
    const std::string by_pwrite = write_all(pwrite_.get(), dir_.sub("pwrite"), ops);
    const std::string expected = expected_image(ops);
    EXPECT_EQ(by_uring.size(), expected.size());
    EXPECT_EQ(by_pwrite.size(), expected.size());
    EXPECT_TRUE(by_uring == expected) << "io_uring file differs from the expected bytes";
    EXPECT_TRUE(by_pwrite == expected) << "pwrite file differs from the expected bytes";
    EXPECT_TRUE(by_uring == by_pwrite) << "the two appenders wrote different files";
  }

  TempDir dir_;
  std::unique_ptr<FileAppender> uring_;
  std::unique_ptr<FileAppender> pwrite_;
};

TEST_F(BothAppenders, SingleIovecBatches) {
  IovecBatch a, b;
  a.add("segment header bytes");
  a.finish();
  b.add(std::string(10000, 'q'));
  b.finish();
  expect_identical({{&a, 0, false}, {&b, 20, true}, {&a, 20000, false}});
}

TEST_F(BothAppenders, BatchesAroundThePwriteGroupSize) {
  // The pwrite path writes 64 iovecs per pwritev call; io_uring up to 1024 per SQE.
  for (std::size_t count : {63u, 64u, 65u, 127u, 128u, 129u}) {
    SCOPED_TRACE(count);
    IovecBatch b = varied_batch(count, static_cast<unsigned>(count));
    expect_identical({{&b, 64, false}});
  }
}

TEST_F(BothAppenders, BatchesAroundTheSqeIovecLimit) {
  for (std::size_t count : {1023u, 1024u, 1025u, 4097u, 70000u}) {
    SCOPED_TRACE(count);
    IovecBatch b = varied_batch(count, 11);
    expect_identical({{&b, 4093, count % 2 == 0}});
  }
}

TEST_F(BothAppenders, SuccessiveAppendsAndOverwrites) {
  IovecBatch one = varied_batch(10, 1);
  IovecBatch two = varied_batch(300, 2);
  IovecBatch three = varied_batch(2000, 3);
  const std::uint64_t after_one = 64 + one.expected.size();
  const std::uint64_t after_two = after_one + two.expected.size();
  expect_identical({{&one, 64, true},
                    {&two, after_one, false},
                    {&three, after_two, true},
                    {&one, 100, false}});  // overwrite inside earlier data
}

TEST_F(BothAppenders, ZeroLengthIovecsAreWrittenAsNothing) {
  // A frame with an empty payload and no padding gives empty iovecs. Every appender must
  // accept them wherever they fall in a batch, also when they end up alone in a group.
  IovecBatch single_empty;
  single_empty.add("");
  single_empty.finish();

  IovecBatch empty_after_64;  // 64 buffers, then one empty buffer
  for (int i = 0; i < 64; ++i) empty_after_64.add(std::string(8, static_cast<char>('a' + i % 26)));
  empty_after_64.add("");
  empty_after_64.finish();

  IovecBatch frames;  // header, payload, padding triples; every payload and padding empty
  for (int i = 0; i < 30; ++i) {
    frames.add(std::string(40, static_cast<char>('A' + i % 26)));
    frames.add("");
    frames.add("");
  }
  frames.finish();

  for (const IovecBatch* b : {&single_empty, &empty_after_64, &frames}) {
    SCOPED_TRACE(b->count());
    for (FileAppender* a : {uring_.get(), pwrite_.get()}) {
      File f;
      ASSERT_EQ(File::open(dir_.sub("zero"), O_RDWR | O_CREAT | O_TRUNC, 0644, &f), 0);
      EXPECT_EQ(a->write_at(f.fd(), b->iov.data(), b->count(), 8, false), 0) << a->name();
      EXPECT_EQ(f.size(), static_cast<std::int64_t>(b->expected.empty() ? 0 : 8 + b->expected.size()))
          << a->name();
    }
  }
}

TEST_F(BothAppenders, DatasyncSucceedsOnBoth) {
  File f;
  ASSERT_EQ(File::open(dir_.sub("f"), O_RDWR | O_CREAT, 0644, &f), 0);
  ASSERT_EQ(f.pwrite_full("x", 1, 0), 0);
  EXPECT_EQ(uring_->datasync(f.fd()), 0);
  EXPECT_EQ(pwrite_->datasync(f.fd()), 0);
}

TEST_F(BothAppenders, ErrorsAreTheSameNegativeErrno) {
  spool::testing::write_file(dir_.sub("ro"), "");
  File ro;
  ASSERT_EQ(File::open(dir_.sub("ro"), O_RDONLY, 0, &ro), 0);
  IovecBatch b = varied_batch(100, 4);
  for (FileAppender* a : {uring_.get(), pwrite_.get()}) {
    EXPECT_EQ(a->write_at(ro.fd(), b.iov.data(), b.count(), 0, false), -EBADF) << a->name();
    EXPECT_EQ(a->write_at(ro.fd(), b.iov.data(), b.count(), 0, true), -EBADF) << a->name();
    EXPECT_EQ(a->datasync(-1), -EBADF) << a->name();
  }
  EXPECT_EQ(ro.size(), 0);
}

TEST_F(BothAppenders, FileSizeLimitGivesEfbigAndTheSameBytes) {
  // RLIMIT_FSIZE turns the batch into a short write followed by EFBIG: both paths must
  // resume after the short write, report -EFBIG, and leave the same bytes behind.
  for (AppenderKind kind : {AppenderKind::kUring, AppenderKind::kPwrite}) {
    const std::string path = dir_.sub(kind == AppenderKind::kUring ? "limit_uring" : "limit_pwrite");
    File f;
    ASSERT_EQ(File::open(path, O_RDWR | O_CREAT | O_TRUNC, 0644, &f), 0);
    const int fd = f.fd();
    const int code = spool::testing::run_in_child([fd, kind] {
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit rl{5000, 5000};
      if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) return 10;
      std::unique_ptr<FileAppender> a;
      if (make_file_appender(kind, &a) != 0) return 11;
      std::string x(3000, 'x'), y(3000, 'y');
      iovec iov[2] = {{x.data(), x.size()}, {y.data(), y.size()}};
      return a->write_at(fd, iov, 2, 0, false) == -EFBIG ? 0 : 12;
    });
    EXPECT_EQ(code, 0) << (kind == AppenderKind::kUring ? "io_uring" : "pwrite")
                       << " (10: setrlimit, 11: make_file_appender, 12: not -EFBIG)";
    EXPECT_EQ(read_file(path), std::string(3000, 'x') + std::string(2000, 'y'));
  }
}

// ---------------------------------------------------------------- fallback under seccomp

// Installs a seccomp filter that makes io_uring_setup fail with `err` (as Docker's default
// profile does with EPERM) and allows every other system call. Returns 0 or an exit code.
int deny_io_uring_setup(int err) {
#if defined(__x86_64__)
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),  // another ABI: not ours to filter
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 20;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 21;
  return 0;
#else
  (void)err;
  return 22;
#endif
}

const char* fallback_failure(int code) {
  switch (code) {
    case 20: return "prctl(PR_SET_NO_NEW_PRIVS) failed";
    case 21: return "prctl(PR_SET_SECCOMP) failed";
    case 23: return "the filter did not make io_uring_setup fail as configured";
    case 24: return "make_file_appender(kAuto) did not succeed";
    case 25: return "kAuto did not give the pwrite appender";
    case 26: return "writing through the fallback appender failed";
    case 27: return "the fallback appender wrote the wrong bytes";
    case 28: return "make_file_appender(kUring) did not return the kernel's error";
    case 29: return "make_file_appender(kUring) returned an appender despite failing";
    case 30: return "make_file_appender(kAuto) did not return the unexpected error";
  }
  return "unexpected exit";
}

class UringRefused : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
#if !defined(__x86_64__)
    GTEST_SKIP() << "the seccomp filter in this test is written for x86-64";
#endif
  }
  TempDir dir_;
};

TEST_P(UringRefused, AutoFallsBackToPwriteAndUringReportsTheError) {
  const int err = GetParam();
  const std::string path = dir_.sub("fallback");
  const int code = spool::testing::run_in_child([err, &path]() -> int {
    if (int rc = deny_io_uring_setup(err); rc != 0) return rc;
    UringRing ring;
    if (ring.init(8) != -err) return 23;

    std::unique_ptr<FileAppender> a;
    if (make_file_appender(AppenderKind::kAuto, &a) != 0 || a == nullptr) return 24;
    if (std::strcmp(a->name(), "pwrite") != 0) return 25;
    File f;
    if (File::open(path, O_RDWR | O_CREAT | O_TRUNC, 0644, &f) != 0) return 26;
    std::string head = "written ", tail = "after fallback";
    iovec iov[2] = {{head.data(), head.size()}, {tail.data(), tail.size()}};
    if (a->write_at(f.fd(), iov, 2, 3, true) != 0) return 26;
    char back[22] = {};
    if (f.pread_full(back, sizeof back, 3) != 22) return 27;
    if (std::string(back, 22) != "written after fallback") return 27;

    std::unique_ptr<FileAppender> forced;
    if (make_file_appender(AppenderKind::kUring, &forced) != -err) return 28;
    if (forced != nullptr) return 29;
    return 0;
  });
  ASSERT_EQ(code, 0) << "child exit " << code << ": " << fallback_failure(code);
  EXPECT_EQ(read_file(path), std::string(3, '\0') + "written after fallback");
}

INSTANTIATE_TEST_SUITE_P(UnavailableErrors, UringRefused,
                         ::testing::Values(EPERM, ENOSYS, ENOMEM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           switch (info.param) {
                             case EPERM: return std::string("EPERM");
                             case ENOSYS: return std::string("ENOSYS");
                             default: return std::string("ENOMEM");
                           }
                         });

TEST(UringRefusedOtherwise, AutoDoesNotHideAnUnexpectedError) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the seccomp filter in this test is written for x86-64";
#endif
  // Only "not available here" errors (EPERM, ENOSYS, ENOMEM) select the fallback; anything
  // else is reported, so a real problem is not papered over.
  const int code = spool::testing::run_in_child([]() -> int {
    if (int rc = deny_io_uring_setup(EINVAL); rc != 0) return rc;
    std::unique_ptr<FileAppender> a;
    if (make_file_appender(AppenderKind::kAuto, &a) != -EINVAL) return 30;
    std::unique_ptr<FileAppender> p;
    if (make_file_appender(AppenderKind::kPwrite, &p) != 0 || p == nullptr) return 24;
    return 0;
  });
  ASSERT_EQ(code, 0) << "child exit " << code << ": " << fallback_failure(code);
}

}  // namespace
}  // namespace spool::io
