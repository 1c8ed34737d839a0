// Exclusive advisory lock on one file (flock), held for the lifetime of the object, with the
// holder's pid written into the file so that a refused opener can say who holds it. flock
// locks belong to the open file description, so a second acquire in the same process is
// refused too, and the kernel drops the lock when the holder dies (kill -9 included).
//
// fork(): a child shares the parent's open file description, hence its lock. release() in
// any process but the one that acquired the lock only closes the child's descriptor (the
// parent keeps the lock); an explicit LOCK_UN there would unlock the parent's file.
//
// Users: the log directory's LOCK (dir_lock.h) and a forwarder's cursor lock
// (segment/cursor_lock.h).
#pragma once

#include <sys/types.h>

#include <string>

#include "io/file.h"
#include "io/opening_process.h"

namespace spool::io {

class LockFile {
 public:
  // Locks `path` (created if missing). Returns 0, or -EWOULDBLOCK with *holder_pid set to the
  // pid recorded by the holder (0 when unknown), or another -errno.
  // The file gets exactly `mode` (File::create: no symlink, not another user's file).
  static int acquire(const std::string& path, LockFile* out, pid_t* holder_pid,
                     mode_t mode = kPrivateFileMode);

  bool held() const noexcept { return file_.is_open(); }
  // Unlocks and closes; in a fork child of the holder, only closes (see above).
  void release() noexcept;

 private:
  File file_;
  OpeningProcess holder_;
};

}  // namespace spool::io
