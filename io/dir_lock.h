// Exclusive advisory lock on a directory (flock on DIR/LOCK), held for the lifetime of the
// object. The holder's pid is written into the file so a refused opener can say who holds
// it. flock locks belong to the open file description, so a second open in the same process
// is refused too, and the kernel drops the lock when the holder dies (kill -9 included).
#pragma once

#include <sys/types.h>

#include <string>

#include "io/file.h"

namespace spool::io {

class DirLock {
 public:
  static constexpr const char* kFileName = "LOCK";

  // Returns 0, or -EWOULDBLOCK with *holder_pid set to the pid recorded by the holder
  // (0 when unknown), or another -errno.
  // The LOCK file gets exactly `mode` (File::create: no symlink, not another user's file).
  static int acquire(const std::string& dir, DirLock* out, pid_t* holder_pid,
                     mode_t mode = kPrivateFileMode);

  bool held() const noexcept { return file_.is_open(); }
  void release() noexcept;

 private:
  File file_;
};

}  // namespace spool::io
