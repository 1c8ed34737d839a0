// SharedSink: one sink behind the forwarders of several lanes (a Forwarder forwards each
// lane through a ForwarderCore of its own, engine/forward/lane_forwarders.h).
//
// Each lane's forwarder gets a Sink of its own (lane_sink()) that names the lane in every
// batch (ForwardBatch::lane) and passes it on to the one real sink, so that a sink that is
// not thread-safe is still called by one thread at a time, and a sink that takes concurrent
// sends gets at most max_concurrent_sends() at once from all lanes together. When lanes wait
// for a slot, the batch holding the highest priority goes first (critical before high before
// normal before low, across lanes as within one), then the one that asked first: a lane of
// critical records never waits behind a backlog of another lane's routine batches for more
// than the sends already running.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spool/sink.h"

namespace spool::engine {

class SharedSink {
 public:
  explicit SharedSink(std::unique_ptr<Sink> sink);
  // A sink for the forwarder of `lane`; it keeps the shared sink alive.
  static std::unique_ptr<Sink> lane_sink(const std::shared_ptr<SharedSink>& shared,
                                         std::string lane);

  FlushResult send(const ForwardBatch& batch);
  const Sink& sink() const noexcept { return *sink_; }
  // Sends waiting for a slot (for tests).
  std::size_t waiting() const;

 private:
  struct Waiter {
    Priority priority;
    std::uint64_t ticket;  // the order they asked in
  };
  // True when `me` is the waiter a free slot goes to; mu_ held.
  bool first_in_line(const Waiter& me) const;

  const std::unique_ptr<Sink> sink_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::uint32_t free_slots_;
  std::uint64_t next_ticket_ = 0;
  std::vector<Waiter> waiting_;
};

}  // namespace spool::engine
