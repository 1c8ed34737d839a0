#include "tools/spoold/group_sync.h"

namespace spool::tools {

Status GroupSync::sync() {
  std::unique_lock lock(mu_);
  // The first sync to start after now: the one after a running sync, else the next one.
  const std::uint64_t mine = started_ + 1;
  while (finished_ < mine) {
    if (!running_) {
      running_ = true;
      const std::uint64_t number = ++started_;
      lock.unlock();
      Status status = sync_();
      lock.lock();
      running_ = false;
      finished_ = number;
      last_ = std::move(status);
      done_.notify_all();
    } else {
      done_.wait(lock);
    }
  }
  // Syncs finish in order, so sync number `mine` is the one that finished last unless a
  // later one finished too; a later one covers our records as well, and its status is the
  // log's current state.
  return last_;
}

std::uint64_t GroupSync::syncs_run() const {
  std::lock_guard lock(mu_);
  return finished_;
}

}  // namespace spool::tools
