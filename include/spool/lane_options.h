// Lanes: a log directory split by kind of data, each part with its own rules.
//
//   spool::Options o;
//   o.lanes.push_back({.name = "logs", .route = {"log"}, .max_bytes = 16 << 20,
//                      .full_policy = spool::FullPolicy::kDropOldest});
//   o.lanes.push_back({.name = "spans", .route = {"span", "*@critical"},
//                      .full_policy = spool::FullPolicy::kBlock});
//
// Each lane is a log of its own (like a Kafka topic): DIR/lanes/<name>/ holds what any log
// directory holds (segments, rings, cursors, dead letters), with its own offsets from 0, its
// own log id (so idempotency keys stay unique), its own writer, queue budget, disk cap,
// retention and durability. A flood into one lane can fill, drop from or block only that
// lane. The "default" lane is DIR itself, exactly as without lanes: it takes every record no
// lane's route claims, and the Buffer's own settings are its settings.
//
// Routes. A route term is one of
//   KIND              span, log, metric, record or raw: every record of that kind
//   KIND@P, KIND@P+   of that kind with priority P (low, normal, high, critical) / P or above
//   *@P, *@P+         any kind with priority P / P or above
//   record:TYPE       records (RecordKind::kRecord) whose type_tag is TYPE
// The most specific term decides, whatever the order lanes are declared in:
//   record:TYPE  >  KIND@P / KIND@P+  >  KIND  >  *@P / *@P+  >  the default lane.
// Two lanes whose terms claim the same records at the same rank are refused at open, naming
// both. A route decides where a record is appended; records never move between lanes.
//
// The process that writes the default lane records each lane's route and settings with the
// log (DIR/lanes/<name>/LANE): a process that declares no lanes (an application attached to
// spoold's log) routes and caps by those records. A lane the writer declared once and no
// longer does is still opened (its queued records are written, its log forwarded and
// retained) but no record is routed to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spool/full_policy.h"
#include "spool/options.h"

namespace spool {

inline constexpr std::size_t kMaxLanes = 16;  // the default lane included
inline constexpr std::string_view kDefaultLane = "default";
inline constexpr std::string_view kLanesSubdirectory = "lanes";  // DIR/lanes/<name>/

// A lane's settings. An unset field takes the Buffer's value (Options); max_bytes and
// max_age_ms are LogOptions::retention_bytes and retention_max_age_ms of the lane's log.
struct LaneOptions {
  std::string name;                // [a-z0-9_-], 1-32 characters, not "default"
  std::vector<std::string> route;  // route terms (above), at least one
  // Disk cap of the lane's log. What happens at the cap is disk_full_policy's: by default
  // (drop_oldest) its oldest sealed segments are deleted, whether its forwarders have sent
  // them or not (each forwarder counts what it lost as dropped_unforwarded). 0 = no cap.
  std::optional<std::uint64_t> max_bytes;
  std::optional<std::uint64_t> max_age_ms;  // 0 = no age retention
  // Segment size of the lane's log. Unset: 64 MiB, or max_bytes / 8 (at least 1 MiB) when
  // that is smaller, so that a small cap holds several segments.
  std::optional<std::uint64_t> segment_bytes;
  std::optional<FullPolicy> full_policy;       // when the lane's queues are full
  std::optional<FullPolicy> disk_full_policy;  // at max_bytes (Options::disk_full_policy)
  std::optional<std::uint64_t>
      queue_bytes;  // the lane's queue budget (min_queue_bytes: the smaller of the two)
  std::optional<std::uint32_t> block_timeout_ms;
  std::optional<double> sample_above_fill;
  std::optional<std::uint32_t> sample_keep_one_in;
  std::optional<Durability> durability;
  std::optional<std::uint32_t> sync_interval_ms;
  // Consecutive failed sends that open a forwarder's circuit breaker for this lane
  // (CircuitBreakerOptions::failure_threshold); unset: the forwarder's.
  std::optional<std::uint32_t> breaker_failure_threshold;
};

}  // namespace spool
