#include "io/errno_status.h"

#include <errno.h>
#include <string.h>

namespace spool::io {

Status errno_status(int neg_errno, const std::string& what) {
  const int err = -neg_errno;
  std::string msg = what + ": " + ::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::no_space(std::move(msg));
  if (err == ENOENT) return Status::not_found(std::move(msg));
  // Exhausted resources, not damage: the call can succeed later, and the user can act.
  if (err == EMFILE) msg += " (the process is out of file descriptors: raise `ulimit -n`)";
  if (err == ENFILE) msg += " (the system is out of file descriptors: raise fs.file-max)";
  if (err == ENOMEM) msg += " (out of memory, address space or mappings: see vm.max_map_count)";
  return Status::io_error(std::move(msg));
}

}  // namespace spool::io
