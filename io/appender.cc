#include "io/appender.h"

#include <errno.h>
#include <unistd.h>

#include "io/env.h"
#include "io/uring_ring.h"

namespace spool::io {

namespace {

class PwriteAppender final : public FileAppender {
 public:
  int write_at(int fd, const iovec* iov, int iovcnt, std::uint64_t offset,
               bool datasync) override {
    // pwritev in groups of up to 64 non-empty iovecs (an empty iovec writes nothing, and a
    // group of only empty ones would make pwritev return 0, which means "no progress"),
    // retrying short writes by advancing a private copy of the group.
    iovec local[64];
    int next = 0;
    while (next < iovcnt) {
      int n = 0;
      for (; next < iovcnt && n < 64; ++next) {
        if (iov[next].iov_len > 0) local[n++] = iov[next];
      }
      int first = 0;
      while (first < n) {
        const ssize_t w = env().pwritev(fd, local + first, n - first, offset);
        if (w < 0) return static_cast<int>(w);
        if (w == 0) return -EIO;
        offset += static_cast<std::uint64_t>(w);
        auto left = static_cast<std::size_t>(w);
        while (first < n && left >= local[first].iov_len) left -= local[first++].iov_len;
        if (left > 0) {
          local[first].iov_base = static_cast<char*>(local[first].iov_base) + left;
          local[first].iov_len -= left;
        }
      }
    }
    return datasync ? this->datasync(fd) : 0;
  }
  int datasync(int fd) override { return env().fdatasync(fd); }
  const char* name() const noexcept override { return "pwrite"; }
};

class UringAppender final : public FileAppender {
 public:
  int init() { return ring_.init(64); }
  int write_at(int fd, const iovec* iov, int iovcnt, std::uint64_t offset,
               bool datasync) override {
    return ring_.write_at(fd, iov, iovcnt, offset, datasync);
  }
  int datasync(int fd) override { return ring_.datasync(fd); }
  const char* name() const noexcept override { return "io_uring"; }

 private:
  UringRing ring_;
};

bool uring_unavailable(int err) { return err == -EPERM || err == -ENOSYS || err == -ENOMEM; }

}  // namespace

int make_file_appender(AppenderKind kind, std::unique_ptr<FileAppender>* out) {
  // io_uring writes inside the kernel, out of an injected Env's sight: under a test's Env
  // every write goes through pwritev so that each one can be observed or failed.
  if (kind == AppenderKind::kPwrite || (kind == AppenderKind::kAuto && !default_env_installed())) {
    *out = std::make_unique<PwriteAppender>();
    return 0;
  }
  auto uring = std::make_unique<UringAppender>();
  int rc = uring->init();
  if (rc == 0) {
    *out = std::move(uring);
    return 0;
  }
  if (kind == AppenderKind::kAuto && uring_unavailable(rc)) {
    *out = std::make_unique<PwriteAppender>();
    return 0;
  }
  return rc;
}

}  // namespace spool::io
