// LaneForwarders: what spool::Forwarder runs. One ForwarderCore per lane it forwards (lane
// options: include/spool/lane_options.h), each with a cursor of the Forwarder's cursor name
// in its lane's log, all sending to one sink (SharedSink, when there are several lanes). A
// directory without lanes has one lane, "default": one ForwarderCore over the log, with the
// sink as it was given, exactly as before lanes.
//
// Each lane's forwarder keeps its own cursor, retries, circuit breaker (a lane's
// breaker_failure_threshold overrides ForwarderOptions::breaker), dead letters and
// accounting, and shares the Forwarder's bandwidth budget with the other lanes
// (SharedBandwidthBudget: the budget is the sink's); one lane's outage of records (a batch the
// receiver refuses) never holds another lane back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/forward/forwarder_core.h"
#include "engine/produce/retention_timer.h"
#include "spool/forwarder.h"
#include "spool/status.h"

namespace spool::engine {

class LaneSet;

class LaneForwarders {
 public:
  // The lanes of a Buffer in this process.
  static Result<std::unique_ptr<LaneForwarders>> start(LaneSet& lanes, std::unique_ptr<Sink> sink,
                                                       ForwarderOptions options);
  // The lanes of the log directory `dir` (Forwarder::open explains how each log is opened).
  static Result<std::unique_ptr<LaneForwarders>> open(const std::string& dir,
                                                      std::unique_ptr<Sink> sink,
                                                      ForwarderOptions options);
  ~LaneForwarders();

  // Every lane; flush within one deadline; the first error names its lane.
  Status flush(std::uint32_t timeout_ms);
  Status seek(SeekTarget target, std::int64_t value);
  Status stop();
  ForwarderStats stats() const;
  Accounting accounting() const;
  Result<Accounting> accounting(std::string_view lane) const;
  HealthReport health(const HealthThresholds& thresholds) const;
  std::vector<std::string> lanes() const;

  bool in_fork_child() const noexcept;
  // Fork child: see ForwarderCore::leave_to_parent; then keeps everything else forever.
  void leave_to_parent() noexcept;

 private:
  struct Lane {
    std::string name;
    std::unique_ptr<ForwarderCore> core;
    // open() without a writer: age retention of the lane's log (retention_timer.h). Declared
    // after `core`, so stopped before the log the core owns is closed.
    std::unique_ptr<RetentionTimer> retention;
  };
  // What open() does for one lane's log (`buffer`: the lane's core in this process, if any).
  static Result<Lane> open_lane(const std::string& name, const std::string& dir, BufferCore* buffer,
                                std::unique_ptr<Sink> sink, ForwarderOptions options,
                                std::shared_ptr<SharedBandwidthBudget> budget);

  std::vector<Lane> lanes_;
};

}  // namespace spool::engine
