// SharedSink: one sink behind the forwarders of several lanes (a Forwarder forwards each
// lane through a ForwarderCore of its own, engine/forward/lane_forwarders.h).
//
// Each lane's forwarder gets a Sink of its own (lane_sink()) that names the lane in every
// batch (ForwardBatch::lane) and passes it on to the one real sink, so that a sink that is
// not thread-safe is still called by one thread at a time, and a sink that takes concurrent
// sends gets at most max_concurrent_sends() at once from all lanes together. A lane waits
// for a free slot in the order it asked (std::condition_variable wake-ups: roughly FIFO).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

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

 private:
  const std::unique_ptr<Sink> sink_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::uint32_t free_slots_;
};

}  // namespace spool::engine
