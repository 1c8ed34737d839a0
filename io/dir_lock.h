// Exclusive advisory lock on a directory: a LockFile (lock_file.h) on DIR/LOCK, held by the
// one writer of a log for the lifetime of the object; the file holds the writer's pid.
#pragma once

#include <sys/types.h>

#include <string>

#include "io/lock_file.h"

namespace spool::io {

class DirLock {
 public:
  static constexpr const char* kFileName = "LOCK";

  // Returns 0, or -EWOULDBLOCK with *holder_pid set to the pid recorded by the holder
  // (0 when unknown), or another -errno.
  // The LOCK file gets exactly `mode` (File::create: no symlink, not another user's file).
  static int acquire(const std::string& dir, DirLock* out, pid_t* holder_pid,
                     mode_t mode = kPrivateFileMode) {
    return LockFile::acquire(dir + "/" + kFileName, &out->lock_, holder_pid, mode);
  }

  bool held() const noexcept { return lock_.held(); }
  // Unlocks and closes; in a fork child of the holder, only closes (lock_file.h).
  void release() noexcept { lock_.release(); }

 private:
  LockFile lock_;
};

}  // namespace spool::io
