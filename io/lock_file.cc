#include "io/lock_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "io/env.h"

namespace spool::io {

int LockFile::acquire(const std::string& path, LockFile* out, pid_t* holder_pid, mode_t mode) {
  *holder_pid = 0;
  File f;
  int rc = File::create(path, O_RDWR, mode, &f);
  if (rc < 0) return rc;
  if (const int err = -env().flock(f.fd(), LOCK_EX | LOCK_NB); err != 0) {
    char buf[32] = {};
    if (f.pread_full(buf, sizeof(buf) - 1, 0) > 0) *holder_pid = static_cast<pid_t>(std::atol(buf));
    return -err;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%d\n", static_cast<int>(::getpid()));
  if ((rc = f.truncate(0)) < 0) return rc;
  if ((rc = f.pwrite_full(buf, static_cast<std::size_t>(n), 0)) < 0) return rc;
  out->file_ = std::move(f);
  out->holder_ = OpeningProcess();
  return 0;
}

void LockFile::release() noexcept {
  if (!file_.is_open()) return;
  if (!holder_.is_other_process()) (void)env().flock(file_.fd(), LOCK_UN);
  file_.close();
}

}  // namespace spool::io
