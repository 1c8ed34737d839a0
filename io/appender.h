// FileAppender: how the log's bytes reach a file. Two implementations with the same
// contract — io_uring (batched, fdatasync linked to the writes) and plain pwrite+fdatasync —
// chosen automatically (io_uring unless the kernel refuses it) or forced.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>

namespace spool::io {

class FileAppender {
 public:
  virtual ~FileAppender() = default;
  // Writes the iovecs contiguously at `offset` (all bytes, or an error), then fdatasyncs
  // if asked. Returns 0 or -errno.
  virtual int write_at(int fd, const iovec* iov, int iovcnt, std::uint64_t offset,
                       bool datasync) = 0;
  virtual int datasync(int fd) = 0;
  virtual const char* name() const noexcept = 0;
};

enum class AppenderKind { kAuto, kUring, kPwrite };

// Creates the appender. kAuto falls back to pwrite when io_uring is unavailable (EPERM,
// ENOSYS, ENOMEM for locked memory); kUring returns that error instead.
int make_file_appender(AppenderKind kind, std::unique_ptr<FileAppender>* out);

}  // namespace spool::io
