// ForwarderCore's caller side: flush, seek, stop, and the reports (stats, accounting,
// health). The forwarding loop is in forwarder_core.cc.
#include <algorithm>
#include <bit>

#include "engine/produce/buffer_core.h"
#include "engine/forward/forward_totals.h"
#include "engine/forward/forwarder_core.h"
#include "io/clock.h"
#include "segment/log_lag.h"

namespace spool::engine {

Status ForwarderCore::refuse_in_fork_child() const {
  return segment::fork_child_status("the forwarder of log " + log_.dir(), opener_,
                                    "start a Forwarder of your own (on another log)");
}

Status ForwarderCore::flush(std::uint32_t timeout_ms) {
  // Every entry point checks before taking mu_: a parent thread may have held it at fork().
  if (in_fork_child()) return refuse_in_fork_child();
  const std::int64_t deadline = timeout_ms == 0 ? -1 : io::monotonic_ns() + std::int64_t{timeout_ms} * 1'000'000;
  const std::uint64_t target = readable_end();
  std::unique_lock<std::mutex> lock(mu_);
  if (stopped_ || stop_requested_) return Status::closed("forwarder is stopped");
  if (cursor_ >= target) return Status::ok();
  flush_target_ = std::max(flush_target_, target);
  kick_ = true;
  cv_.notify_all();
  // The end of an until_ns range, found meanwhile, ends the flush too: nothing past it comes.
  while (cursor_ < std::min(target, until_offset_.load(std::memory_order_acquire))) {
    if (stopped_) return Status::closed("forwarder stopped before the flush completed");
    if (circuit_ == CircuitState::kOpen) {
      return Status::unavailable("sink unavailable (circuit open): " + session_.last_error);
    }
    if (budget_hold_ == BudgetHold::kDailyCap || budget_hold_ == BudgetHold::kCriticalReserve) {
      return Status::unavailable("daily byte cap of cursor " + options_.cursor + " reached (" +
                                 std::to_string(bandwidth_.spent_bytes) + " of " +
                                 std::to_string(bandwidth_.daily_cap_bytes) +
                                 " bytes spent today): the records wait until 00:00 UTC");
    }
    const auto slice = std::chrono::milliseconds(20);
    if (deadline >= 0) {
      const std::int64_t left = deadline - io::monotonic_ns();
      if (left <= 0) return Status::timed_out("flush timed out at offset " + std::to_string(cursor_) + " of " + std::to_string(target));
      cv_.wait_for(lock, std::min<std::chrono::nanoseconds>(slice, std::chrono::nanoseconds(left)));
    } else {
      cv_.wait_for(lock, slice);
    }
  }
  return Status::ok();
}

Status ForwarderCore::seek(SeekTarget target, std::int64_t value) {
  if (in_fork_child()) return refuse_in_fork_child();
  std::unique_lock<std::mutex> lock(mu_);
  if (stopped_ || stop_requested_) return Status::closed("forwarder is stopped");
  pending_seek_ = std::make_pair(target, value);
  const std::uint64_t generation = ++seek_generation_;
  kick_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return seek_applied_ >= generation || stopped_; });
  return seek_applied_ >= generation ? seek_status_ : Status::closed("forwarder stopped before the seek");
}

// Forwarding thread: a seek waits for the sends under way (their answers count as usual),
// drops the batches in flight (their records are sent again or skipped per the new position)
// and commits the new position at once.
void ForwarderCore::apply_pending_seek() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_seek_) return;
  }
  take_answers(/*wait=*/true);
  commit_settled();
  std::pair<SeekTarget, std::int64_t> request;
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_seek_) return;
    request = *pending_seek_;
    pending_seek_.reset();
    generation = seek_generation_;
  }
  // An until_ns range ends at the first record at or after that time from the new position.
  until_offset_.store(kNoRangeEnd, std::memory_order_release);
  const std::uint64_t first = log_.first_offset();
  const std::uint64_t end = readable_end();
  std::uint64_t position = first;
  switch (request.first) {
    case SeekTarget::kEarliest: position = first; break;
    case SeekTarget::kLatest: position = end; break;
    case SeekTarget::kOffset:
      position = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::max<std::int64_t>(0, request.second)), first, end);
      break;
    case SeekTarget::kTime: {
      segment::LogReader reader = log_.scan_from_time(request.second);
      segment::RecordView view;
      position = reader.next(&view) && view.offset < end ? view.offset : end;
      break;
    }
  }
  slots_.clear();
  pending_since_ns_ = 0;
  if (plan_) {
    plan_->reset(position);  // what was settled beyond the old position is forgotten
    plan_scan_.reset();
  }
  throttled_since_ns_ = 0;  // the batch that waited for the budget is gone
  ForwardTotals totals;
  {
    std::lock_guard<std::mutex> lock(mu_);
    budget_hold_ = BudgetHold::kNone;
    // The backlog becomes [position, end): what was settled beyond the cursor is in it again.
    backlog_at_start_ += static_cast<std::int64_t>(cursor_) + static_cast<std::int64_t>(settled_ahead_) -
                         static_cast<std::int64_t>(position);
    cursor_ = position;
    settled_ahead_ = 0;
    totals = totals_;
  }
  Status s = write_cursor(position, totals);
  std::lock_guard<std::mutex> lock(mu_);
  seek_status_ = s;
  seek_applied_ = generation;
  cv_.notify_all();
}

Status ForwarderCore::stop() {
  if (in_fork_child()) return refuse_in_fork_child();
  std::lock_guard<std::mutex> serial(stop_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return stop_status_;
    stop_requested_ = true;
    kick_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  pool_.reset();  // idle: the thread's last delivery took every answer
  if (monitor_) monitor_->stop();
  if (hooks_) hooks_->stop();  // after the threads that feed it: their last events are told
  cursor_lock_.release();  // the cursor is persisted: another forwarder may take it
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  cv_.notify_all();
  return stop_status_;
}

ForwarderStats ForwarderCore::stats() const {
  ForwarderStats s;
  if (in_fork_child()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.cursor = options_.cursor;
    s.cursor_offset = cursor_;
    s.settled_ahead = settled_ahead_;
    s.totals = totals_;
    s.session = session_;
    s.circuit = circuit_;
    s.circuit_opened = circuit_opened_;
    s.batch_records = batch_target_;
    s.pending_retry_records = pending_retry_records_;
    s.next_attempt_ns = next_attempt_ns_;
    s.failure_rate = send_history_count_ == 0
                         ? 0.0
                         : static_cast<double>(std::popcount(send_history_)) / send_history_count_;
    s.bandwidth = bandwidth_;
    s.budget_hold = budget_hold_;
    s.last_rate_limited_ns = last_rate_limited_ns_;
  }
  // As of now: a day that has ended since the last send counts nothing.
  const std::int64_t today = utc_day(io::wall_clock_ns());
  s.bandwidth.spent_bytes = s.bandwidth.spent_on(today);
  s.bandwidth.day = today;
  s.daily_cap = s.bandwidth.cap_state(today);
  s.sink = sink_->name();
  s.dead_letters_dropped = dead_letters_dropped_.load(std::memory_order_relaxed);
  if (hooks_) s.hooks = hooks_->stats();
  s.online = monitor_ ? monitor_->online() : true;
  s.end_offset = readable_end();
  s.until_reached = s.cursor_offset >= until_offset_.load(std::memory_order_acquire);
  const segment::LogLagFigures lag = segment::measure_lag(log_, s.cursor_offset, s.end_offset);
  s.lag.records = lag.records - std::min(lag.records, s.settled_ahead);
  s.lag.bytes = lag.bytes;
  s.lag.oldest_age_ns = lag.oldest_timestamp_ns == 0 ? 0 : std::max<std::int64_t>(0, io::wall_clock_ns() - lag.oldest_timestamp_ns);
  return s;
}

Accounting ForwarderCore::accounting() const {
  Accounting a;
  if (in_fork_child()) return a;
  std::uint64_t cursor, settled_ahead;
  std::int64_t backlog;
  {
    // The forwarder's side first: records the cursor passes later are still within
    // [cursor, written end) of the buffer's later cut, so none is missed or counted twice.
    std::lock_guard<std::mutex> lock(mu_);
    cursor = cursor_;
    settled_ahead = settled_ahead_;
    backlog = backlog_at_start_;
    a.delivered = session_.delivered;
    a.not_selected = session_.not_selected;
    a.dead_lettered = session_.dead_lettered;
    a.dropped_unforwarded = session_.dropped_unforwarded;
  }
  std::uint64_t appended = 0, queued = 0, written_end = log_.next_offset();
  if (buffer_ != nullptr) {
    const BufferStats bs = buffer_->stats();
    appended = bs.appended;
    queued = bs.queue_depth;
    written_end = bs.written_end_offset;
    a.dropped = bs.dropped;
  }
  // A seek forward can make the backlog negative (records skipped, never forwarded): kept
  // signed in the sum so the identity still balances.
  a.backlog_at_start = static_cast<std::uint64_t>(std::max<std::int64_t>(0, backlog));
  a.appended = static_cast<std::uint64_t>(static_cast<std::int64_t>(appended) + backlog);
  const std::uint64_t beyond = written_end > cursor ? written_end - cursor : 0;
  a.still_buffered = queued + beyond - std::min(beyond, settled_ahead);
  return a;
}

HealthReport ForwarderCore::health(const HealthThresholds& thresholds) const {
  if (in_fork_child()) return HealthReport{{HealthWarning{"fork_child", refuse_in_fork_child().message()}}};
  const ForwarderStats fs = stats();
  HealthInputs in;
  in.now_ns = io::wall_clock_ns();
  in.disk_bytes = log_.size_bytes();
  in.disk_cap_bytes = disk_cap_bytes_;
  in.oldest_unforwarded_age_ns = fs.lag.oldest_age_ns;
  in.oldest_unforwarded_cursor = fs.cursor;
  in.last_error_ns = fs.totals.last_error_ns;
  in.last_error = fs.totals.last_error;
  in.failure_rate = fs.failure_rate;
  in.sends = std::min<std::uint64_t>(64, fs.session.batches + fs.session.failed_sends);
  in.bandwidth.push_back(BandwidthHealthInputs{
      fs.cursor, fs.bandwidth.daily_cap_bytes, fs.bandwidth.critical_reserve_bytes,
      fs.bandwidth.spent_bytes, fs.bandwidth.rate_limit_bytes_per_s, fs.last_rate_limited_ns});
  if (buffer_ != nullptr) {
    const BufferStats bs = buffer_->stats();
    in.queue_bytes = bs.queue_bytes;
    in.queue_cap_bytes = bs.queue_budget_bytes;
    in.write_backlog_records = bs.queue_depth;
    in.log_failed = bs.log_failed;
  }
  HealthReport report = evaluate_health(in, thresholds);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (outage_ == SinkOutage::kAuth) {
      report.warnings.push_back(HealthWarning{
          "sink_auth", "sink " + sink_->name() + " refuses the credentials (" + outage_error_ +
                           "); forwarding waits, nothing is dead-lettered: renew the token or key"});
    } else if (outage_ == SinkOutage::kMisconfigured) {
      report.warnings.push_back(HealthWarning{
          "sink_misconfigured", "sink " + sink_->name() + " cannot take the records as configured (" +
                                    outage_error_ + "); forwarding waits, nothing is dead-lettered: "
                                    "check the URL and the TLS settings"});
    }
  }
  for (HealthWarning& w : sink_->configuration_warnings()) report.warnings.push_back(std::move(w));
  return report;
}

}  // namespace spool::engine
