#include "engine/forward/lane_forwarders.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "engine/forward/forward_totals.h"
#include "engine/forward/log_dictionary.h"
#include "engine/forward/shared_sink.h"
#include "engine/produce/buffer_core.h"
#include "engine/produce/lane_record.h"
#include "engine/produce/lane_set.h"
#include "engine/produce/lane_settings.h"
#include "io/clock.h"
#include "io/opening_process.h"
#include "segment/log_marker.h"
#include "segment/segment_directory.h"
#include "spool/lanes.h"

namespace spool::engine {

namespace {

// The indexes in `available` of the lanes `wanted` names (every lane when it is empty).
Result<std::vector<std::size_t>> chosen_lanes(const std::vector<std::string>& available,
                                              const std::vector<std::string>& wanted,
                                              const std::string& dir) {
  std::vector<std::size_t> picked;
  if (wanted.empty()) {
    for (std::size_t i = 0; i < available.size(); ++i) picked.push_back(i);
    return picked;
  }
  for (std::size_t i = 0; i < available.size(); ++i) {
    if (std::find(wanted.begin(), wanted.end(), available[i]) != wanted.end()) picked.push_back(i);
  }
  for (const std::string& name : wanted) {
    if (std::find(available.begin(), available.end(), name) == available.end()) {
      return no_such_lane(dir, name, available);
    }
  }
  return picked;
}

// The sink of each chosen lane: the sink itself for the default lane alone (as without
// lanes), else a share of it that names the lane in each batch.
std::vector<std::unique_ptr<Sink>> lane_sinks(std::unique_ptr<Sink> sink,
                                              const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<Sink>> sinks;
  if (names.size() == 1 && names.front() == kDefaultLane) {
    sinks.push_back(std::move(sink));
    return sinks;
  }
  auto shared = std::make_shared<SharedSink>(std::move(sink));
  for (const std::string& name : names) sinks.push_back(SharedSink::lane_sink(shared, name));
  return sinks;
}

// One budget for all lanes (null for one lane: its forwarder makes its own).
Result<std::shared_ptr<SharedBandwidthBudget>> lanes_budget(const BandwidthOptions& options,
                                                            std::size_t lanes) {
  if (lanes < 2) return std::shared_ptr<SharedBandwidthBudget>();
  SPOOL_RETURN_IF_ERROR(validate(options));
  return std::make_shared<SharedBandwidthBudget>(options, io::monotonic_ns());
}

// How bad a circuit state is, for the sum of several lanes: the worst one shows.
int circuit_severity(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed:
      return 0;
    case CircuitState::kHalfOpen:
      return 1;
    case CircuitState::kOpen:
      return 2;
  }
  return 0;
}

// Adds lane `s` to `sum`, whose position (cursor, offsets, batch size) stays the first
// lane's.
void add_lane_stats(ForwarderStats* sum, const ForwarderStats& s) {
  sum->lag.records += s.lag.records;
  sum->lag.bytes += s.lag.bytes;
  sum->lag.oldest_age_ns = std::max(sum->lag.oldest_age_ns, s.lag.oldest_age_ns);
  sum->until_reached = sum->until_reached && s.until_reached;
  add_totals(&sum->totals, s.totals);
  add_totals(&sum->session, s.session);
  if (circuit_severity(s.circuit) > circuit_severity(sum->circuit)) sum->circuit = s.circuit;
  sum->circuit_opened += s.circuit_opened;
  sum->online = sum->online && s.online;
  sum->pending_retry_records += s.pending_retry_records;
  if (s.next_attempt_ns != 0 &&
      (sum->next_attempt_ns == 0 || s.next_attempt_ns < sum->next_attempt_ns)) {
    sum->next_attempt_ns = s.next_attempt_ns;
  }
  sum->failure_rate = std::max(sum->failure_rate, s.failure_rate);
  sum->dead_letters_dropped += s.dead_letters_dropped;
  sum->hooks.calls += s.hooks.calls;
  sum->hooks.failures += s.hooks.failures;
  sum->hooks.events_dropped += s.hooks.events_dropped;
  sum->last_rate_limited_ns = std::max(sum->last_rate_limited_ns, s.last_rate_limited_ns);
  // The lanes share one budget: the latest view of it shows.
  const BandwidthUsage& b = s.bandwidth;
  if (b.day > sum->bandwidth.day ||
      (b.day == sum->bandwidth.day && b.spent_bytes > sum->bandwidth.spent_bytes)) {
    sum->bandwidth = b;
    sum->daily_cap = s.daily_cap;
  }
  if (sum->budget_hold == BudgetHold::kNone) sum->budget_hold = s.budget_hold;
}

void add_accounting(Accounting* sum, const Accounting& a) {
  sum->appended += a.appended;
  sum->backlog_at_start += a.backlog_at_start;
  sum->delivered += a.delivered;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) sum->dropped[i] += a.dropped[i];
  sum->dropped_unforwarded += a.dropped_unforwarded;
  sum->dead_lettered += a.dead_lettered;
  sum->not_selected += a.not_selected;
  sum->still_buffered += a.still_buffered;
}

}  // namespace

Result<LaneForwarders::Lane> LaneForwarders::open_lane(
    const std::string& name, const std::string& dir, BufferCore* buffer, std::unique_ptr<Sink> sink,
    ForwarderOptions options, std::shared_ptr<SharedBandwidthBudget> budget) {
  if (buffer != nullptr) {
    if (segment::SegmentLog* log = buffer->writer_log()) {
      auto core = ForwarderCore::create(*log, buffer, nullptr, std::move(sink), std::move(options),
                                        buffer->options().log.retention_bytes, budget);
      if (!core) return lane_status(name, core.status());
      return Lane{name, std::move(*core), nullptr};
    }
    // An attached buffer's log is written by another process: forward it like any log that
    // another process writes (below: followed read-only).
  }
  // The log's own settings from its marker (segment size, retention, modes): opening with
  // another segment size would grow the active segment to it, and retention off would let a
  // log that only this forwarder has open grow old. A pre-marker log keeps its segment size
  // (from its files) and gets no retention until its writer records some.
  auto log_options = segment::log_options_from_marker(dir);
  if (!log_options) return lane_status(name, log_options.status());
  if (auto marker = segment::LogMarker::read(dir); marker && !marker->has_value()) {
    if (auto existing = segment::existing_segment_bytes(dir))
      log_options->segment_bytes = *existing;
  }
  auto log = segment::SegmentLog::open(dir, *log_options, segment::OpenMode::kReadWrite);
  if (!log && log.status().code() == StatusCode::kLocked) {
    // Another process writes the log: follow it read-only, up to its committed offset.
    // Retention (and the dictionary that goes with it) is then the writer's job.
    auto follower = segment::SegmentLog::open(dir, *log_options, segment::OpenMode::kReadOnly);
    if (!follower) return lane_status(name, follower.status());
    segment::SegmentLog& ref = **follower;
    auto core = ForwarderCore::create(ref, nullptr, std::move(*follower), std::move(sink),
                                      std::move(options), log_options->retention_bytes, budget);
    if (!core) return lane_status(name, core.status());
    return Lane{name, std::move(*core), nullptr};
  }
  if (!log) return lane_status(name, log.status());
  segment::SegmentLog& ref = **log;
  tie_dictionary_to_retention(ref);
  auto core =
      ForwarderCore::create(ref, nullptr, std::move(*log), std::move(sink), std::move(options),
                            log_options->retention_bytes, std::move(budget));
  if (!core) return lane_status(name, core.status());
  return Lane{name, std::move(*core), std::make_unique<RetentionTimer>(ref)};
}

namespace {

// What every chosen lane gets: its index among the available lanes, its name, its sink, and
// the budget they share.
struct LanePlan {
  std::vector<std::size_t> picked;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<Sink>> sinks;
  std::shared_ptr<SharedBandwidthBudget> budget;
};

Result<LanePlan> plan_lanes(const std::vector<std::string>& available,
                            const ForwarderOptions& options, const std::string& dir,
                            std::unique_ptr<Sink> sink) {
  auto picked = chosen_lanes(available, options.lanes, dir);
  if (!picked) return picked.status();
  LanePlan plan;
  plan.picked = std::move(*picked);
  for (std::size_t i : plan.picked) plan.names.push_back(available[i]);
  auto budget = lanes_budget(options.bandwidth, plan.names.size());
  if (!budget) return budget.status();
  plan.budget = std::move(*budget);
  plan.sinks = lane_sinks(std::move(sink), plan.names);
  return plan;
}

}  // namespace

Result<std::unique_ptr<LaneForwarders>> LaneForwarders::start(LaneSet& set,
                                                              std::unique_ptr<Sink> sink,
                                                              ForwarderOptions options) {
  std::vector<std::string> available;
  for (const LaneSet::Lane& lane : set.lanes()) available.push_back(lane.name);
  auto plan = plan_lanes(available, options, set.default_core().dir(), std::move(sink));
  if (!plan) return plan.status();
  std::unique_ptr<LaneForwarders> forwarders(new LaneForwarders());
  for (std::size_t n = 0; n < plan->picked.size(); ++n) {
    const LaneSet::Lane& lane = set.lanes()[plan->picked[n]];
    ForwarderOptions lane_options = options;
    if (lane.settings.breaker_failure_threshold)
      lane_options.breaker.failure_threshold = *lane.settings.breaker_failure_threshold;
    auto opened = open_lane(lane.name, lane.core->dir(), lane.core.get(), std::move(plan->sinks[n]),
                            std::move(lane_options), plan->budget);
    if (!opened) return opened.status();
    forwarders->lanes_.push_back(std::move(*opened));
  }
  return forwarders;
}

Result<std::unique_ptr<LaneForwarders>> LaneForwarders::open(const std::string& dir,
                                                             std::unique_ptr<Sink> sink,
                                                             ForwarderOptions options) {
  auto plan = plan_lanes(list_lanes(dir), options, dir, std::move(sink));
  if (!plan) return plan.status();
  std::unique_ptr<LaneForwarders> forwarders(new LaneForwarders());
  for (std::size_t n = 0; n < plan->names.size(); ++n) {
    const std::string& name = plan->names[n];
    // Without a Buffer, the lane's breaker threshold is the one its writer recorded.
    ForwarderOptions lane_options = options;
    auto record = read_lane_record(lane_directory(dir, name));
    if (!record) return lane_status(name, record.status());
    if (*record && (*record)->breaker_failure_threshold)
      lane_options.breaker.failure_threshold = *(*record)->breaker_failure_threshold;
    auto opened = open_lane(name, lane_directory(dir, name), nullptr, std::move(plan->sinks[n]),
                            std::move(lane_options), plan->budget);
    if (!opened) return opened.status();
    forwarders->lanes_.push_back(std::move(*opened));
  }
  return forwarders;
}

LaneForwarders::~LaneForwarders() {
  if (in_fork_child()) return;  // leave_to_parent() kept what is not ours to destroy
  (void)stop();
}

bool LaneForwarders::in_fork_child() const noexcept {
  return !lanes_.empty() && lanes_.front().core && lanes_.front().core->in_fork_child();
}

void LaneForwarders::leave_to_parent() noexcept {
  // Their threads, condition variables and sink connections are the parent's: destroying
  // them here would join threads that do not exist, wait forever, or close the parent's TLS
  // sessions. Only the logs they opened are closed (which changes nothing on disk).
  for (Lane& lane : lanes_) {
    lane.core->leave_to_parent();
    io::keep_forever(std::move(lane.core));
    io::keep_forever(std::move(lane.retention));
  }
}

Status LaneForwarders::flush(std::uint32_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (Lane& lane : lanes_) {
    SPOOL_RETURN_IF_ERROR(
        lane_status(lane.name, lane.core->flush(timeout_left_ms(deadline, timeout_ms))));
  }
  return Status::ok();
}

Status LaneForwarders::seek(SeekTarget target, std::int64_t value) {
  if (target == SeekTarget::kOffset && lanes_.size() > 1) {
    return Status::invalid_argument(
        "seek to an offset needs a forwarder of one lane: each lane has offsets of its own "
        "(ForwarderOptions::lanes)");
  }
  for (Lane& lane : lanes_)
    SPOOL_RETURN_IF_ERROR(lane_status(lane.name, lane.core->seek(target, value)));
  return Status::ok();
}

Status LaneForwarders::stop() {
  Status first;
  for (Lane& lane : lanes_) {
    if (!lane.core) continue;
    Status s = lane_status(lane.name, lane.core->stop());
    if (first.is_ok()) first = std::move(s);
  }
  return first;
}

ForwarderStats LaneForwarders::stats() const {
  std::vector<LaneForwarderStats> per_lane;
  for (const Lane& lane : lanes_)
    per_lane.push_back(LaneForwarderStats{lane.name, lane.core->stats()});
  ForwarderStats sum = per_lane.front().stats;
  for (std::size_t i = 1; i < per_lane.size(); ++i) add_lane_stats(&sum, per_lane[i].stats);
  sum.lanes = std::move(per_lane);
  return sum;
}

Accounting LaneForwarders::accounting() const {
  Accounting sum;
  for (const Lane& lane : lanes_) add_accounting(&sum, lane.core->accounting());
  return sum;
}

Result<Accounting> LaneForwarders::accounting(std::string_view name) const {
  for (const Lane& lane : lanes_) {
    if (lane.name == name) return lane.core->accounting();
  }
  return Status::not_found("this forwarder forwards no lane '" + std::string(name) + "'");
}

HealthReport LaneForwarders::health(const HealthThresholds& thresholds) const {
  // The shared sink's own conditions show once, as they are; everything else per lane.
  static constexpr std::array<std::string_view, 3> kSinkCodes{"tls_insecure", "sink_auth",
                                                              "sink_misconfigured"};
  HealthReport merged;
  std::vector<std::pair<std::string, std::string>> seen;
  for (const Lane& lane : lanes_) {
    for (HealthWarning& w : lane.core->health(thresholds).warnings) {
      if (std::find(kSinkCodes.begin(), kSinkCodes.end(), w.code) != kSinkCodes.end()) {
        std::pair<std::string, std::string> key{w.code, w.message};
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(std::move(key));
      } else if (lane.name != kDefaultLane) {
        w.message = "lane '" + lane.name + "': " + w.message;
      }
      merged.warnings.push_back(std::move(w));
    }
  }
  return merged;
}

std::vector<std::string> LaneForwarders::lanes() const {
  std::vector<std::string> names;
  for (const Lane& lane : lanes_) names.push_back(lane.name);
  return names;
}

}  // namespace spool::engine
