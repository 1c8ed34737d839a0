#include "io/errno_status.h"
#include "segment/cursor_lock.h"

#include <errno.h>

#include "segment/cursor_store.h"
#include "segment/segment_file.h"

namespace spool::segment {

Result<CursorLock> CursorLock::acquire(const std::string& log_dir, std::string_view name, mode_t file_mode) {
  SPOOL_RETURN_IF_ERROR(CursorStore::validate_name(name));
  const std::string path = log_dir + "/" + std::string(CursorStore::kDirName) + "/" + std::string(name) +
                           std::string(kSuffix);
  CursorLock out;
  pid_t holder = 0;
  const int rc = io::LockFile::acquire(path, &out.lock_, &holder, file_mode);
  if (rc == -EWOULDBLOCK) {
    return Status::locked("cursor '" + std::string(name) + "' of log " + log_dir + " is held by pid " +
                          (holder > 0 ? std::to_string(holder) : std::string("(unknown)")) +
                          ": another forwarder is delivering from it");
  }
  if (rc < 0) return io::errno_status(rc, "lock cursor " + path);
  return out;
}

}  // namespace spool::segment
