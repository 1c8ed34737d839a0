#include "engine/produce/lane_set.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "engine/produce/lane_record.h"
#include "engine/produce/lane_settings.h"
#include "io/env.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "segment/log_marker.h"
#include "segment/segment_directory.h"

namespace spool::engine {

namespace {

// DIR/lanes, created with the log's dir_mode; refused when it is a symbolic link or not
// trusted (another user's, or writable by others), as a log directory would be.
Status make_lanes_directory(const std::string& path, mode_t dir_mode) {
  struct stat st;
  if (io::env().lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
    return Status::invalid_argument(path + " is not a directory: lanes live in DIR/lanes/<name>/");
  }
  if (const int rc = io::make_directory(path, dir_mode); rc < 0)
    return io::errno_status(rc, "create " + path);
  return segment::check_directory_trusted(path, dir_mode);
}

void add_histogram(Log2Histogram* total, const Log2Histogram& h) {
  for (std::size_t i = 0; i < h.buckets.size(); ++i) total->buckets[i] += h.buckets[i];
  total->count += h.count;
  total->max = std::max(total->max, h.max);
}

// Adds a lane's counters to `total` (whose offsets stay the default lane's).
void add_lane(BufferStats* total, const std::string& lane, const BufferStats& s) {
  total->appended += s.appended;
  total->accepted += s.accepted;
  total->written += s.written;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) total->dropped[i] += s.dropped[i];
  total->queue_depth += s.queue_depth;
  total->queue_bytes += s.queue_bytes;
  total->queue_budget_bytes += s.queue_budget_bytes;
  total->budget_resizes += s.budget_resizes;
  if (s.last_resize.time_ns > total->last_resize.time_ns) total->last_resize = s.last_resize;
  total->oldest_unwritten_age_ns =
      std::max(total->oldest_unwritten_age_ns, s.oldest_unwritten_age_ns);
  total->producers += s.producers;
  total->write_batches += s.write_batches;
  total->write_errors += s.write_errors;
  total->at_cap = total->at_cap || s.at_cap;
  if (total->last_write_error.empty() && !s.last_write_error.empty()) {
    total->last_write_error = "lane '" + lane + "': " + s.last_write_error;
  }
  if (total->log_failed.empty() && !s.log_failed.empty())
    total->log_failed = "lane '" + lane + "': " + s.log_failed;
  add_histogram(&total->batch_records, s.batch_records);
  add_histogram(&total->write_latency_ns, s.write_latency_ns);
  total->syncs += s.syncs;
  total->writer_wakeups += s.writer_wakeups;
  total->hooks.calls += s.hooks.calls;
  total->hooks.failures += s.hooks.failures;
  total->hooks.events_dropped += s.hooks.events_dropped;
}

}  // namespace

Result<std::unique_ptr<LaneSet>> LaneSet::open(const std::string& dir, const Options& options) {
  SPOOL_RETURN_IF_ERROR(validate_lanes(options));
  std::unique_ptr<LaneSet> set(new LaneSet());

  Options default_options = options;
  default_options.lanes.clear();
  auto core = BufferCore::open(dir, default_options);
  if (!core) return core.status();
  set->lanes_.push_back(Lane{std::string(kDefaultLane), false, std::move(*core), {}});

  const std::string lanes_dir = dir + "/" + std::string(kLanesSubdirectory);
  struct stat st;
  const bool have_lanes_dir = io::env().lstat(lanes_dir, &st) == 0;
  if (options.lanes.empty() && !have_lanes_dir)
    return set;  // a directory without lanes: nothing written
  SPOOL_RETURN_IF_ERROR(make_lanes_directory(lanes_dir, options.log.dir_mode));

  // The lanes' records (lane_record.h): a process that declares no lanes routes by what the
  // default lane's writer declared; a writer that declares lanes records them.
  // A damaged record stops a process that would route by it; a writer that declares its
  // lanes writes it anew.
  const bool declares = !options.lanes.empty();
  std::map<std::string, std::optional<LaneOptions>> records;
  for (const std::string& name : lanes_on_disk(dir)) {
    auto record = read_lane_record(lane_directory(dir, name));
    if (record && *record && (*record)->name != name) {
      record = Status::corruption("its record " + lane_directory(dir, name) + "/" +
                                  std::string(kLaneRecordFile) + " names lane '" + (*record)->name +
                                  "'");
    }
    if (!record && !declares) return lane_status(name, record.status());
    records.emplace(name, record ? std::move(*record) : std::nullopt);
  }
  std::vector<LaneOptions> declared = options.lanes;
  if (!declares) {
    for (const auto& [name, record] : records) {
      if (record && !record->route.empty()) declared.push_back(*record);
    }
  }
  auto route = LaneRoute::compile(declared);
  if (!route) return route.status();
  set->route_ = std::move(*route);

  for (const LaneOptions& lane : declared) {
    SPOOL_RETURN_IF_ERROR(set->open_lane(dir, Lane{lane.name, false, nullptr, lane},
                                         lane_buffer_options(options, lane)));
  }
  for (const auto& [name, record] : records) {
    if (set->find(name) != nullptr) continue;
    // Retired: its recorded settings without a route, and the log settings its last writer
    // kept in its marker.
    LaneOptions settings = record.value_or(LaneOptions{});
    settings.name = name;
    settings.route.clear();
    Options retired = lane_buffer_options(options, settings);
    auto recorded = segment::log_options_from_marker(lane_directory(dir, name), retired.log);
    if (!recorded) return lane_status(name, recorded.status());
    retired.log = *recorded;
    SPOOL_RETURN_IF_ERROR(
        set->open_lane(dir, Lane{name, true, nullptr, std::move(settings)}, retired));
  }
  if (declares && set->default_core().role() == Role::kWriter) {
    SPOOL_RETURN_IF_ERROR(set->record_lanes(dir, options.log.file_mode));
  }
  return set;
}

Status LaneSet::record_lanes(const std::string& dir, mode_t file_mode) const {
  for (const Lane& lane : lanes_) {
    if (lane.name == kDefaultLane) continue;
    SPOOL_RETURN_IF_ERROR(lane_status(
        lane.name, write_lane_record(lane_directory(dir, lane.name), lane.settings, file_mode)));
  }
  return Status::ok();
}

Status LaneSet::open_lane(const std::string& dir, Lane lane, const Options& options) {
  auto core = BufferCore::open(lane_directory(dir, lane.name), options);
  if (!core) return lane_status(lane.name, core.status());
  lane.core = std::move(*core);
  lanes_.push_back(std::move(lane));
  return Status::ok();
}

LaneSet::~LaneSet() {
  // The lanes' writers stop in reverse order: the default lane, whose directory holds the
  // others, closes last.
  while (!lanes_.empty()) lanes_.pop_back();
}

BufferCore* LaneSet::find(std::string_view name) noexcept {
  for (Lane& lane : lanes_) {
    if (lane.name == name) return lane.core.get();
  }
  return nullptr;
}

Status LaneSet::flush(std::uint32_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (Lane& lane : lanes_) {
    SPOOL_RETURN_IF_ERROR(
        lane_status(lane.name, lane.core->flush(timeout_left_ms(deadline, timeout_ms))));
  }
  return Status::ok();
}

Status LaneSet::sync() {
  for (Lane& lane : lanes_) SPOOL_RETURN_IF_ERROR(lane_status(lane.name, lane.core->sync()));
  return Status::ok();
}

Status LaneSet::shutdown() {
  Status first;
  for (auto it = lanes_.rbegin(); it != lanes_.rend(); ++it) {
    Status s = lane_status(it->name, it->core->shutdown());
    if (first.is_ok()) first = std::move(s);
  }
  return first;
}

BufferStats LaneSet::stats() const {
  if (lanes_.size() == 1) {
    BufferStats only = lanes_.front().core->stats();
    only.lanes.push_back(
        LaneStats{lanes_.front().name, lanes_.front().core->dir(), {}, false, only});
    return only;
  }
  BufferStats sum;
  for (const Lane& lane : lanes_) {
    BufferStats s = lane.core->stats();
    if (lane.name == kDefaultLane) {
      sum.committed_offset = s.committed_offset;
      sum.written_end_offset = s.written_end_offset;
    }
    add_lane(&sum, lane.name, s);
    sum.lanes.push_back(
        LaneStats{lane.name, lane.core->dir(), lane.settings.route, lane.retired, std::move(s)});
  }
  return sum;
}

}  // namespace spool::engine
