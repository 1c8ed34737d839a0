// GroupSync: one fdatasync for every request that asked for one while the previous was
// running (group commit). spoold acknowledges a request with `ack: committed` only after its
// records are synced; with many connections in flight each would otherwise pay its own
// fdatasync (~0.2-0.6 ms here, DEPENDENCIES.md), one after another.
//
// A caller's records are in the log before it calls sync(); the sync that covers them is one
// that *started* after the call. So a caller that arrives while a sync runs waits for that
// one to finish and for the next, which it shares with everyone else who arrived meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "spool/status.h"

namespace spool::tools {

class GroupSync {
 public:
  // `sync` makes durable everything in the log so far (Buffer::sync in spoold).
  explicit GroupSync(std::function<Status()> sync) : sync_(std::move(sync)) {}

  // Returns once a sync that started after this call has finished, with its status.
  Status sync();

  // How many syncs ran (for tests and metrics): fewer than sync() calls under load.
  std::uint64_t syncs_run() const;

 private:
  std::function<Status()> sync_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  bool running_ = false;
  std::uint64_t started_ = 0;   // syncs started so far
  std::uint64_t finished_ = 0;  // syncs finished so far
  Status last_;                 // the status of sync number `finished_`
};

}  // namespace spool::tools
