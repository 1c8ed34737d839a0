// Exclusive advisory lock on a directory (flock on DIR/LOCK), held for the lifetime of the
// object. The holder's pid is written into the file so a refused opener can say who holds
// it. flock locks belong to the open file description, so a second open in the same process
// is refused too, and the kernel drops the lock when the holder dies (kill -9 included).
//
// fork(): a child shares the parent's open file description, hence its lock. release() in
// any process but the one that acquired the lock only closes the child's descriptor (the
// parent keeps the lock); an explicit LOCK_UN there would unlock the parent's log.
#pragma once

#include <sys/types.h>

#include <string>

#include "io/file.h"
#include "io/opening_process.h"

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
  // Unlocks and closes; in a fork child of the holder, only closes (see above).
  void release() noexcept;

 private:
  File file_;
  OpeningProcess holder_;
};

}  // namespace spool::io
