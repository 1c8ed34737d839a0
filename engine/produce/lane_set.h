// LaneSet: the lanes of one log directory (include/spool/lane_options.h), each a BufferCore
// over its own log, and the route that picks a record's lane. What spool::Buffer holds.
//
// Lane 0 is the default lane (DIR itself, the Buffer's own Options); the declared lanes
// follow in declaration order, then any lane found under DIR/lanes/ that is no longer
// declared ("retired": opened with the settings its record and marker keep, so that what it
// holds is written, forwarded and retained, but routed nothing). A process that declares no
// lanes opens the lanes the default lane's writer recorded (lane_record.h), routes and all,
// in name order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/produce/buffer_core.h"
#include "engine/produce/lane_route.h"
#include "spool/buffer_options.h"
#include "spool/buffer_stats.h"
#include "spool/lane_options.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

class LaneSet {
 public:
  struct Lane {
    std::string name;
    bool retired = false;
    std::unique_ptr<BufferCore> core;
    // What it was opened with (declared or recorded): its route (empty for the default lane
    // and retired lanes) and the breaker_failure_threshold its forwarders take. What its
    // record says (lane_record.h).
    LaneOptions settings;
  };

  static Result<std::unique_ptr<LaneSet>> open(const std::string& dir, const Options& options);
  ~LaneSet();  // shuts every lane down, the default lane last
  LaneSet(const LaneSet&) = delete;
  LaneSet& operator=(const LaneSet&) = delete;

  // The core a record goes to. `type_tag` counts only for kRecord records while
  // routes_by_type().
  BufferCore& route(RecordKind kind, Priority priority, std::string_view type_tag = {}) noexcept {
    return *lanes_[route_.lane_of(kind, priority, type_tag)].core;
  }
  bool routes_by_type() const noexcept { return route_.routes_by_type(); }

  BufferCore& default_core() noexcept { return *lanes_.front().core; }
  const BufferCore& default_core() const noexcept { return *lanes_.front().core; }
  const std::vector<Lane>& lanes() const noexcept { return lanes_; }
  // nullptr when there is no lane of that name.
  BufferCore* find(std::string_view name) noexcept;

  // Every lane: flush within one deadline, sync, shut down (the first error, naming the lane).
  Status flush(std::uint32_t timeout_ms);
  Status sync();
  Status shutdown();
  // The sums over the lanes (offsets are the default lane's) and each lane's own stats.
  BufferStats stats() const;

 private:
  LaneSet() = default;
  Status open_lane(const std::string& dir, Lane lane, const Options& options);
  // Writes every lane's record (lane_record.h): its settings (a retired lane's without a
  // route).
  Status record_lanes(const std::string& dir, mode_t file_mode) const;

  std::vector<Lane> lanes_;
  LaneRoute route_;
};

}  // namespace spool::engine
