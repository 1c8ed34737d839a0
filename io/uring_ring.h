// A small io_uring ring (liburing) for the log's appends: batches of writes at positions of
// one file, optionally followed by a linked fdatasync that runs only if every write in the
// batch succeeded. Calls are synchronous for the caller: they return when the batch has
// completed, so the buffers only need to live for the call.
#pragma once

#include <liburing.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace spool::io {

class UringRing {
 public:
  UringRing() = default;
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // Returns 0, or -errno from io_uring_setup: -EPERM (seccomp, io_uring_disabled=2 or a
  // non-permitted group) and -ENOSYS (old kernel) mean "not available here".
  int init(unsigned entries);
  bool ready() const noexcept { return ready_; }

  // Writes every byte of iov[0..iovcnt) contiguously starting at `offset`, then (if
  // `datasync`) fdatasyncs the file through a linked SQE. Returns 0 or -errno.
  int write_at(int fd, const iovec* iov, int iovcnt, std::uint64_t offset, bool datasync);
  int datasync(int fd);

 private:
  int submit_and_reap(unsigned expected, int* results);

  io_uring ring_{};
  bool ready_ = false;
};

}  // namespace spool::io
