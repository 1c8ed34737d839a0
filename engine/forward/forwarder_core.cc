// The forwarding loop: read a batch at the cursor, send it, resolve it (delivered or
// dead-lettered), commit the cursor; retry, back off and open the circuit on failure.
#include "engine/forward/forwarder_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_set>

#include "engine/forward/dead_letter_registry.h"
#include "engine/forward/forward_totals.h"
#include "engine/forward/log_dictionary.h"
#include "engine/forward/native_batch.h"
#include "engine/forward/record_selection.h"
#include "engine/forward/secret_redaction.h"
#include "engine/produce/buffer_core.h"
#include "io/clock.h"

namespace spool::engine {

namespace {

constexpr std::int64_t kMsNs = 1'000'000;
// How often the dead-letter log's age retention runs when nothing is dead-lettered.
constexpr std::int64_t kDeadLetterRetentionIntervalNs = 60'000 * kMsNs;
constexpr std::int64_t kDeadLetterRetentionRetryNs = 1'000 * kMsNs;  // after finding it in use
// While the daily cap holds a batch back (until 00:00 UTC), the forwarder looks again this
// often, so a wall clock that was stepped is noticed.
constexpr std::int64_t kBudgetRecheckNs = 1'000 * kMsNs;
constexpr std::uint32_t kMaxInFlightBatches = 64;

// Offset order with everything selected reads at the cursor; anything else needs a plan.
bool needs_plan(const ForwarderOptions& o) {
  return o.order.by_priority || o.order.within == WithinPriority::kNewestFirst ||
         !o.select.selects_all();
}

DeliveryPlanOrder plan_order(const OrderOptions& o) {
  const double period = std::max(1.0, std::round(1.0 / o.oldest_share));
  return DeliveryPlanOrder{o.by_priority, o.within == WithinPriority::kNewestFirst,
                           static_cast<std::uint32_t>(std::min(period, 1e9))};
}

}  // namespace

ForwarderCore::ForwarderCore(segment::SegmentLog& log, BufferCore* buffer,
                             std::unique_ptr<segment::SegmentLog> owned_log,
                             std::unique_ptr<Sink> sink, ForwarderOptions options,
                             std::shared_ptr<SharedBandwidthBudget> budget)
    : log_(log),
      buffer_(buffer),
      owned_log_(std::move(owned_log)),
      sink_(std::move(sink)),
      options_(std::move(options)),
      retry_(options_.retry),
      breaker_(options_.breaker),
      sizer_(options_.batch),
      compressor_(options_.compression.zstd_level),
      budget_(budget ? std::move(budget)
                     : std::make_shared<SharedBandwidthBudget>(options_.bandwidth,
                                                               io::monotonic_ns())) {}

Result<std::unique_ptr<ForwarderCore>> ForwarderCore::create(
    segment::SegmentLog& log, BufferCore* buffer, std::unique_ptr<segment::SegmentLog> owned_log,
    std::unique_ptr<Sink> sink, ForwarderOptions options, std::uint64_t disk_cap_bytes,
    std::shared_ptr<SharedBandwidthBudget> budget) {
  if (!sink) return Status::invalid_argument("forwarder needs a sink");
  if (Status s = segment::CursorStore::validate_name(options.cursor); !s) return s;
  for (Status s : {validate(options.retry), validate(options.breaker), validate(options.batch),
                   validate(options.compression), validate(options.order), validate(options.select),
                   validate(options.bandwidth), HookNotifier::validate(options.hooks)}) {
    if (!s) return s;
  }
  if (options.poll_interval_ms == 0)
    return Status::invalid_argument("poll_interval_ms must be > 0");
  if (options.max_in_flight_batches == 0 || options.max_in_flight_batches > kMaxInFlightBatches) {
    return Status::invalid_argument("max_in_flight_batches must be 1-" +
                                    std::to_string(kMaxInFlightBatches) + ", got " +
                                    std::to_string(options.max_in_flight_batches));
  }
  if (options.flush != FlushStrategy::kManual && options.flush != FlushStrategy::kSize &&
      options.flush_interval_ms == 0) {
    return Status::invalid_argument(
        "flush_interval_ms must be > 0 for the time and hybrid strategies");
  }
  std::unique_ptr<ForwarderCore> core(new ForwarderCore(
      log, buffer, std::move(owned_log), std::move(sink), std::move(options), std::move(budget)));
  core->disk_cap_bytes_ = disk_cap_bytes;
  if (needs_plan(core->options_)) core->plan_.emplace(plan_order(core->options_.order));
  auto cursors = segment::CursorStore::open(log.dir());
  if (!cursors) return cursors.status();
  core->cursors_.emplace(std::move(*cursors));
  auto cursor_lock =
      segment::CursorLock::acquire(log.dir(), core->options_.cursor, core->cursors_->file_mode());
  if (!cursor_lock) return cursor_lock.status();
  core->cursor_lock_ = std::move(*cursor_lock);
  if (Status s = core->load_cursor(); !s) return s;
  core->enforce_dead_letter_retention(io::monotonic_ns());
  if (core->options_.compression.train_dictionary) {
    // Best effort: a log too small to train on forwards without a dictionary.
    (void)load_or_train_dictionary(log, core->options_.compression, &core->compressor_);
  }
  if (core->options_.hooks.any()) {
    core->hooks_ = std::make_unique<HookNotifier>(core->options_.hooks);
    core->hooks_->start();
  }
  if (!core->options_.connectivity.probe_url.empty()) {
    ForwarderCore* self = core.get();
    core->monitor_ =
        std::make_unique<ConnectivityMonitor>(core->options_.connectivity, [self](bool online) {
          if (self->hooks_) self->hooks_->set_online(online);
          std::lock_guard<std::mutex> lock(self->mu_);
          if (online) self->connectivity_returned_ = true;  // flush now
          self->kick_ = true;
          self->cv_.notify_all();
        });
    if (Status s = core->monitor_->start(); !s) return s;
  }
  core->batch_target_ = core->sizer_.next_records();
  // A budget charges a send once its wire size is known: with one batch in flight the rate
  // limit and the daily cap hold as they did.
  const BandwidthOptions& bw = core->options_.bandwidth;
  const bool budgeted = bw.rate_limit_bytes_per_s != 0 || bw.daily_cap_bytes != 0;
  core->max_in_flight_ =
      budgeted ? 1
               : std::max<std::uint32_t>(1, std::min(core->options_.max_in_flight_batches,
                                                     core->sink_->max_concurrent_sends()));
  if (core->max_in_flight_ > 1) {
    ForwarderCore* self = core.get();
    core->pool_ = std::make_unique<SendPool>(*core->sink_, core->max_in_flight_, [self] {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->kick_ = true;  // an answer to take
      self->cv_.notify_all();
    });
  }
  core->thread_ = std::thread([c = core.get()] { c->run(); });
  return core;
}

ForwarderCore::~ForwarderCore() { (void)stop(); }

Status ForwarderCore::load_cursor() {
  auto loaded = cursors_->load(options_.cursor);
  if (!loaded) return loaded.status();
  const std::uint64_t end = readable_end();
  if (loaded->has_value()) {
    cursor_ = (*loaded)->next_offset;
    auto state = decode_forward_state((*loaded)->state);
    if (!state) return state.status();
    totals_ = std::move(state->totals);
    // What this cursor spent today survives the restart (the limits are this run's).
    budget_->with(
        [&](BandwidthBudget& b) { b.restore(state->bandwidth.day, state->bandwidth.spent_bytes); });
    // Runs a forwarder in offset order does not use: it sends them again (at least once).
    auto settled = decode_settled_ahead((*loaded)->state);
    if (!settled) return settled.status();
    if (plan_) plan_->reset(cursor_, *settled);
  }
  bandwidth_ = budget_->with([](BandwidthBudget& b) { return b.usage(io::wall_clock_ns()); });
  if (!loaded->has_value()) {
    cursor_ = options_.start_at == SeekTarget::kLatest ? end : log_.first_offset();
    if (plan_) plan_->reset(cursor_);
    if (Status s = write_cursor(cursor_, totals_); !s) return s;
  }
  if (plan_) {
    cursor_ = plan_->low();  // settled runs that touched the cursor moved it
    settled_ahead_ = plan_->settled_ahead_count();
  }
  backlog_at_start_ = static_cast<std::int64_t>(end) - static_cast<std::int64_t>(cursor_) -
                      static_cast<std::int64_t>(settled_ahead_);
  return Status::ok();
}

std::uint64_t ForwarderCore::readable_end() const {
  const std::uint64_t range_end = until_offset_.load(std::memory_order_acquire);
  if (buffer_ != nullptr) return std::min(buffer_->committed_offset(), range_end);
  // A log another process writes: catch up with its committed offset (a no-op for a log
  // this process writes). A failed refresh (out of descriptors) leaves the view as it was
  // and is tried again at the next step.
  (void)log_.refresh();
  return std::min(log_.next_offset(), range_end);
}

bool ForwarderCore::ends_range(const segment::RecordView& view) {
  if (!options_.until_ns || view.timestamp_ns < *options_.until_ns) return false;
  until_offset_.store(view.offset, std::memory_order_release);
  return true;
}

void ForwarderCore::run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_requested_) break;
    }
    const std::int64_t wake_at = step(io::monotonic_ns());
    if (wake_at != 0) wait_until(wake_at);
  }
  const std::int64_t deadline = io::monotonic_ns() + std::int64_t{options_.stop_timeout_ms} * kMsNs;
  while (final_delivery(deadline) == 0) {
  }
  persist_totals(/*force=*/true);
  if (totals_dirty_) {
    std::lock_guard<std::mutex> lock(mu_);
    stop_status_ =
        Status::io_error("cursor " + options_.cursor + " not persisted: " + totals_.last_error);
  }
}

// One more delivery while stopping: no waiting for back-off beyond the deadline. The sends
// under way are waited for and their answers handled; then the batches left go one at a
// time, in order, on this thread.
std::int64_t ForwarderCore::final_delivery(std::int64_t deadline) {
  take_answers(/*wait=*/true);
  commit_settled();
  const std::int64_t now = io::monotonic_ns();
  if (now >= deadline) return -1;
  drop_empty_slots();
  InFlight* f = nullptr;
  for (auto& slot : slots_) {
    if (slot->state == InFlight::State::kWaiting) {
      f = slot.get();
      break;
    }
  }
  if (f == nullptr) {
    skip_deleted_records();
    const std::uint64_t end = readable_end();
    if (end <= read_position()) return -1;
    auto fresh = std::make_unique<InFlight>();
    if (!read_batch(*fresh)) {
      if (slots_.empty()) skip_lost_offsets(end);
      return -1;
    }
    fresh->id = next_slot_id_++;
    slots_.push_back(std::move(fresh));
    f = slots_.back().get();
  }
  // The back-off holds while stopping too: a failed batch waits for its retry time (or for
  // the next run), it is not hammered into the dead-letter log.
  if (f->retry_at_ns > deadline) return -1;
  if (f->retry_at_ns > now) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(f->retry_at_ns - now));
    return 0;
  }
  // The budget holds while stopping too; only a rate-limit wait that ends in time is waited.
  const BudgetDecision budget = budget_for_batch(*f, now);
  if (!budget.allowed) {
    if (budget.reason != BudgetHold::kRateLimit || budget.wait_until_ns > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::nanoseconds(budget.wait_until_ns - now));
    return 0;
  }
  if (!breaker_.allow(now)) return -1;
  send_inline(*f, now);
  commit_settled();
  return 0;
}

void ForwarderCore::wait_until(std::int64_t wake_at) {
  std::unique_lock<std::mutex> lock(mu_);
  // kick_: flush(), seek(), stop() or the connectivity monitor asked for attention since the
  // last step; otherwise sleep until the step's own deadline (a poll at the latest).
  cv_.wait_for(lock,
               std::chrono::nanoseconds(std::max<std::int64_t>(0, wake_at - io::monotonic_ns())),
               [this] { return kick_ || stop_requested_; });
  kick_ = false;
}

std::int64_t ForwarderCore::step(std::int64_t now) {
  apply_pending_seek();
  persist_totals(/*force=*/false);
  if (now >= next_dead_letter_retention_ns_) enforce_dead_letter_retention(now);
  take_answers(/*wait=*/false);
  commit_settled();
  const std::int64_t poll = now + std::int64_t{options_.poll_interval_ms} * kMsNs;
  bool sent = false;
  const std::int64_t waiting_wake = send_waiting(now, &sent);
  if (sent) return 0;
  // A batch that failed (or waits for the gate) holds back new ones: under an outage the
  // forwarder keeps no more in flight than were when it began.
  if (waiting_wake != 0) return waiting_wake;
  if (slots_.size() >= max_in_flight_) return poll;  // an answer wakes the thread (kick_)
  return send_new(now, poll);
}

// The batches in flight that wait (unsent, or for a retry), oldest first: those due go if the
// gate lets them. 0 when none waits; else when to look again.
std::int64_t ForwarderCore::send_waiting(std::int64_t now, bool* sent) {
  drop_empty_slots();
  std::int64_t wake_at = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    InFlight& f = *slots_[i];
    if (f.state != InFlight::State::kWaiting) continue;
    if (f.retry_at_ns > now) {
      bool flush_now = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        flush_now = connectivity_returned_;
      }
      if (!flush_now) {
        wake_at = wake_at == 0 ? f.retry_at_ns : std::min(wake_at, f.retry_at_ns);
        continue;
      }
    }
    // The batch first, the breaker second: allow() hands out the half-open probe, which must
    // then be spent on a send.
    std::int64_t gate_wake = now + std::int64_t{options_.poll_interval_ms} * kMsNs;
    if (!gate_open(f, now, &gate_wake)) return gate_wake;
    dispatch(f, now);
    *sent = true;
    return 0;  // the slots may have changed (an inline send settles and commits)
  }
  return wake_at;
}

// Reads a new batch when one is due and sends it.
std::int64_t ForwarderCore::send_new(std::int64_t now, std::int64_t poll) {
  if (slots_.empty()) skip_deleted_records();
  const std::uint64_t end = readable_end();
  const std::uint64_t from = std::max(read_position(), cursor_);
  const std::uint64_t beyond = end > from ? end - from : 0;
  const std::uint64_t taken = plan_ ? offsets_in_flight() : 0;
  const std::uint64_t available = beyond - std::min(beyond, settled_ahead_ + taken);
  if (available == 0) {
    if (!slots_.empty()) return poll;  // the batches in flight are all there is
    pending_since_ns_ = 0;
    std::lock_guard<std::mutex> lock(mu_);
    connectivity_returned_ = false;  // nothing waited for it
    if (flush_target_ <= cursor_) flush_target_ = 0;
    cv_.notify_all();  // flush() waiters: nothing left
    return poll;
  }
  if (pending_since_ns_ == 0) pending_since_ns_ = now;
  std::int64_t wake_at = poll;
  if (!flush_due(now, available, &wake_at)) return std::min(wake_at, poll);
  auto fresh = std::make_unique<InFlight>();
  if (!read_batch(*fresh)) {
    if (slots_.empty()) skip_lost_offsets(readable_end());
    return poll;
  }
  fresh->id = next_slot_id_++;
  slots_.push_back(std::move(fresh));
  InFlight& f = *slots_.back();
  wake_at = poll;
  if (!gate_open(f, now, &wake_at)) return wake_at;
  dispatch(f, now);
  return 0;
}

// take_critical_batch() gives a batch's records back to the plan and may find nothing
// readable in their place: that slot is gone, a new batch is read.
void ForwarderCore::drop_empty_slots() {
  std::erase_if(
      slots_, [](const auto& f) { return f->state == InFlight::State::kWaiting && !f->active(); });
}

std::uint64_t ForwarderCore::read_position() const {
  if (plan_ || slots_.empty()) return cursor_;
  return slots_.back()->next_offset;
}

std::uint64_t ForwarderCore::offsets_in_flight() const {
  std::uint64_t n = 0;
  for (const auto& f : slots_) n += f->taken.size();
  return n;
}

bool ForwarderCore::flush_due(std::int64_t now, std::uint64_t available, std::int64_t* wake_at) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flush_target_ > cursor_ || connectivity_returned_) return true;
  }
  const std::int64_t interval = std::int64_t{options_.flush_interval_ms} * kMsNs;
  const bool full = available >= sizer_.next_records();
  switch (options_.flush) {
    case FlushStrategy::kManual:
      return false;
    case FlushStrategy::kSize:
      return full;
    case FlushStrategy::kTime:
      if (now - last_send_ns_ >= interval) return true;
      *wake_at = last_send_ns_ + interval;
      return false;
    case FlushStrategy::kHybrid:
      if (full || now - pending_since_ns_ >= interval) return true;
      *wake_at = pending_since_ns_ + interval;
      return false;
  }
  return false;
}

bool ForwarderCore::gate_open(InFlight& f, std::int64_t now, std::int64_t* wake_at) {
  bool returned = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    returned = connectivity_returned_;
    connectivity_returned_ = false;
  }
  if (returned && breaker_.state(now) == CircuitState::kOpen) breaker_.force_half_open();
  if (returned) {
    for (auto& slot : slots_) {
      if (slot->state == InFlight::State::kWaiting) slot->retry_at_ns = 0;
    }
  }
  if (monitor_ && !monitor_->online()) {
    // Offline: the monitor's event wakes us; the poll is only a backstop.
    *wake_at = now + std::int64_t{options_.connectivity.probe_interval_ms} * kMsNs;
    return false;
  }
  // Before the breaker, whose allow() hands out the half-open probe.
  const BudgetDecision budget = budget_for_batch(f, now);
  if (!budget.allowed) {
    *wake_at = budget.reason == BudgetHold::kRateLimit
                   ? budget.wait_until_ns
                   : std::min(budget.wait_until_ns, now + kBudgetRecheckNs);
    return false;
  }
  if (!breaker_.allow(now)) {
    const std::int64_t next = breaker_.next_attempt_ns();
    // kWaitingForProbe cannot happen here (the probe is always sent), but never sleep on it.
    *wake_at = next == CircuitBreaker::kWaitingForProbe ? *wake_at : std::max(now + kMsNs, next);
    std::lock_guard<std::mutex> lock(mu_);
    circuit_ = breaker_.state(now);
    next_attempt_ns_ = *wake_at;
    return false;
  }
  return true;
}

// The budget's word on the batch in flight. When only the critical reserve is left and the
// batch is not all critical, critical records waiting in the plan go first instead.
BudgetDecision ForwarderCore::budget_for_batch(InFlight& f, std::int64_t now) {
  const BudgetDecision decision = ask_budget(f, now);
  if (decision.allowed || decision.reason != BudgetHold::kCriticalReserve ||
      !take_critical_batch(f)) {
    return decision;
  }
  return ask_budget(f, now);
}

// Under priority order the batch in flight, never sent, goes back to the plan and the
// oldest critical records are read in its place. False (the batch stays) without a plan,
// once it was sent (a retry keeps its records), or with no critical record pending.
bool ForwarderCore::take_critical_batch(InFlight& f) {
  if (!plan_ || !options_.order.by_priority || f.sends != 0 || !f.held_back.empty()) return false;
  scan_backlog(readable_end());  // records appended since the batch was read
  if (plan_->pending_count(Priority::kCritical) == 0) return false;
  plan_->give_back(f.taken);
  const std::uint64_t id = f.id;
  f = InFlight{};
  f.id = id;
  if (read_planned_batch(f, Priority::kCritical)) return true;
  (void)read_planned_batch(f);  // none readable after all: a batch as before (or none)
  return false;
}

// The bandwidth budget's word on the batch in flight (BandwidthBudget::can_send_batch decides
// for the records it holds). A refusal leaves the batch in flight, its records in the log:
// nothing is dropped or dead-lettered and no retry is used up. Counts the waiting.
BudgetDecision ForwarderCore::ask_budget(const InFlight& f, std::int64_t now) {
  const std::int64_t wall = io::wall_clock_ns();
  // Estimate 0: the wire size is known only once the sink has encoded the batch; the send is
  // charged afterwards (bandwidth_budget.h).
  const BudgetDecision decision = budget_->with([&](BandwidthBudget& b) {
    return b.can_send_batch(f.records, 0, BudgetTime{now, wall});
  });
  ForwardTotals add;
  if (throttled_since_ns_ != 0)
    add.throttled_ns =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - throttled_since_ns_));
  if (!decision.allowed && throttled_since_ns_ == 0) add.throttled_sends = 1;
  throttled_since_ns_ = decision.allowed ? 0 : now;
  // Persisted with the next cursor write (at the latest at stop), not on their own: a day
  // under the cap must not rewrite the cursor file every second.
  if (add.throttled_sends != 0 || add.throttled_ns != 0) throttle_unsaved_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  add_totals(&totals_, add);
  add_totals(&session_, add);
  budget_hold_ = decision.reason;
  if (decision.reason == BudgetHold::kRateLimit) last_rate_limited_ns_ = wall;
  return decision;
}

// Under a rate limit a batch reads about a burst of wire bytes' worth of payload, so one
// send cannot run far ahead of the rate.
std::uint64_t ForwarderCore::batch_byte_limit() const {
  const std::uint64_t per_send =
      budget_->with([](BandwidthBudget& b) { return b.payload_per_send(); });
  return per_send > 0 ? std::min(options_.batch.max_bytes, per_send) : options_.batch.max_bytes;
}

bool ForwarderCore::read_batch(InFlight& f) {
  if (plan_) return read_planned_batch(f);
  const std::uint32_t max_records = sizer_.next_records();
  const std::uint64_t max_bytes = batch_byte_limit();
  const std::uint64_t end = readable_end();
  const std::uint64_t from = read_position();
  segment::LogReader reader = log_.scan(from);
  std::uint64_t bytes = 0;
  segment::RecordView view;
  while (f.views.size() < max_records && reader.next(&view) && view.offset < end) {
    // The range's end: readable_end() stops there from now on, and a batch found empty
    // passes the offsets before it that hold no record (skip_lost_offsets, as at the log's end).
    if (ends_range(view)) break;
    if (!f.views.empty() && bytes + view.payload.size() > max_bytes) break;
    bytes += view.payload.size();
    f.views.push_back(std::move(view));
  }
  if (f.views.empty()) return false;
  // Retention may have deleted records at the cursor since skip_deleted_records() looked:
  // the reader then starts at the first record left. Count those as dropped-unforwarded
  // (offsets missing for other reasons, lost before they were durable, are not records).
  const std::uint64_t first_read = f.views.front().offset;
  const std::uint64_t first_kept = std::min(first_read, log_.first_offset());
  if (first_kept > from) f.outcome.dropped_unforwarded = first_kept - from;
  // Offsets without records (lost before they were durable, never reused): before the first
  // record (beyond what retention took) and between records. They leave the backlog when the
  // cursor passes them (accounting()).
  const std::uint64_t span = f.views.back().offset + 1 - std::max(from, first_kept);
  f.lost_offsets = span - f.views.size();
  f.records.reserve(f.views.size());
  for (const segment::RecordView& v : f.views) {
    f.records.push_back(ForwardRecord{v.offset, v.timestamp_ns, static_cast<RecordKind>(v.type),
                                      priority_from_flags(v.flags), v.payload,
                                      (v.flags & kVerifiedFlag) != 0});
  }
  f.next_offset = f.records.back().offset + 1;
  f.outcome.bytes_read = bytes;
  return true;
}

bool ForwarderCore::read_planned_batch(InFlight& f, std::optional<Priority> only) {
  scan_backlog(readable_end());
  for (;;) {
    const std::size_t max_records = sizer_.next_records();
    const std::vector<std::uint64_t> offsets =
        only ? plan_->take(*only, max_records) : plan_->take(max_records);
    if (offsets.empty()) return false;
    const Absent absent = read_planned_records(f, offsets);
    if (absent.deleted != 0 || absent.lost != 0) {
      // No record at those offsets after all: settled. Retention's are dropped-unforwarded;
      // the others (damage found since the scan) were never records.
      ForwardTotals add;
      add.dropped_unforwarded = absent.deleted;
      std::lock_guard<std::mutex> lock(mu_);
      backlog_at_start_ -= static_cast<std::int64_t>(absent.lost);
      add_totals(&totals_, add);
      add_totals(&session_, add);
      settled_ahead_ = plan_->settled_ahead_count();
      cursor_ = plan_->low();
      totals_dirty_ = true;
    }
    if (!f.records.empty()) return true;
    if (absent.deleted == 0 && absent.lost == 0)
      return false;  // unreadable for now: tried again later
  }
}

// Classifies the records in [scanned end, end), at most lookahead_records beyond the cursor:
// pending (by priority) when selected, settled at once when not; offsets without a record
// are settled too (lost before they were durable). Counted as the cursor passes them, in one
// step under mu_, so the accounting identity holds at every instant.
void ForwarderCore::scan_backlog(std::uint64_t end) {
  DeliveryPlan& plan = *plan_;
  const std::uint64_t limit = std::min(end, plan.low() + options_.order.lookahead_records);
  if (plan.scanned_end() >= limit) return;
  if (!plan_scan_ || plan_scan_->position_offset() != plan.scanned_end()) {
    plan_scan_.emplace(log_.scan(plan.scanned_end()));
  }
  plan_scan_caught_up_ = false;
  ForwardTotals add;
  std::uint64_t lost = 0;
  segment::RecordView view;
  for (;;) {
    if (plan.scanned_end() >= limit) break;
    if (!plan_scan_->next(&view)) {
      plan_scan_caught_up_ = plan_scan_->error().is_ok();
      break;
    }
    if (view.offset >= limit || ends_range(view)) {
      plan_scan_.reset();  // read one too far: the next scan starts again at scanned_end()
      break;
    }
    // A gap before the record: what lies below the log's first offset retention deleted
    // since the cursor was checked (dropped-unforwarded); the rest was never durable.
    add.dropped_unforwarded += plan.pass_to(std::min(view.offset, log_.first_offset()));
    lost += plan.pass_to(view.offset);
    if (plan.settled(view.offset)) {
      plan.pass_to(view.offset + 1);
      continue;
    }
    const auto kind = static_cast<RecordKind>(view.type);
    const Priority priority = priority_from_flags(view.flags);
    if (record_selected(options_.select, kind, priority, view.payload)) {
      plan.add_pending(view.offset, priority);
    } else {
      plan.settle_record(view.offset);
      ++add.not_selected;
    }
  }
  if (lost == 0 && add.not_selected == 0 && add.dropped_unforwarded == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  backlog_at_start_ -= static_cast<std::int64_t>(lost);
  add_totals(&totals_, add);
  add_totals(&session_, add);
  cursor_ = plan.low();
  settled_ahead_ = plan.settled_ahead_count();
  totals_dirty_ = true;  // written with the next commit, or by persist_totals()
  cv_.notify_all();
}

ForwarderCore::Absent ForwarderCore::read_planned_records(
    InFlight& f, const std::vector<std::uint64_t>& offsets) {
  const std::uint64_t max_bytes = batch_byte_limit();
  std::uint64_t bytes = 0;
  std::vector<std::uint64_t> absent;
  std::size_t i = 0;
  while (i < offsets.size()) {
    // One scan per run of consecutive offsets.
    std::size_t j = i + 1;
    while (j < offsets.size() && offsets[j] == offsets[j - 1] + 1) ++j;
    segment::LogReader reader = log_.scan(offsets[i]);
    segment::RecordView view;
    std::size_t k = i;  // offsets[k] is the next one to find
    bool full = false;
    while (k < j && reader.next(&view)) {
      while (k < j && offsets[k] < view.offset) absent.push_back(offsets[k++]);
      if (k == j) break;
      if (offsets[k] != view.offset) continue;  // settled or not ours: not in this run
      if (!f.views.empty() && bytes + view.payload.size() > max_bytes) {
        full = true;
        break;
      }
      bytes += view.payload.size();
      f.taken.push_back(offsets[k++]);
      f.views.push_back(std::move(view));
    }
    if (full) {
      plan_->give_back(std::span<const std::uint64_t>(offsets).subspan(k));
      break;
    }
    if (!reader.error().is_ok()) {  // unreadable now (EMFILE, ENOMEM): try these again later
      plan_->give_back(std::span<const std::uint64_t>(offsets).subspan(k));
      break;
    }
    while (k < j) absent.push_back(offsets[k++]);
    i = j;
  }
  plan_->settle(absent);
  // Read after the scans: retention only moves the first offset up.
  const std::uint64_t first_kept = log_.first_offset();
  Absent counted;
  for (const std::uint64_t offset : absent)
    ++(offset < first_kept ? counted.deleted : counted.lost);
  f.records.reserve(f.views.size());
  for (const segment::RecordView& v : f.views) {
    f.records.push_back(ForwardRecord{v.offset, v.timestamp_ns, static_cast<RecordKind>(v.type),
                                      priority_from_flags(v.flags), v.payload,
                                      (v.flags & kVerifiedFlag) != 0});
  }
  f.outcome.bytes_read = bytes;
  return counted;
}

void ForwarderCore::prepare_send(InFlight& f, std::int64_t now, bool copy_compressed) {
  ForwardBatch& batch = f.batch;
  batch = ForwardBatch{};
  batch.log_id = log_.log_id();
  batch.first_offset = f.records.front().offset;
  batch.last_offset = f.records.back().offset;
  batch.records = f.records;
  batch.attempt = f.attempts;
  f.resend = f.sends > 0;
  ++f.sends;
  f.sent_ns = now;
  // The native batch is an extra for sinks that want it; without it (a record over 4 GiB,
  // zstd refusing) the sink still gets the records.
  if (sink_->wants_compressed_batch() && encode_native_batch(f.records, &native_).is_ok()) {
    auto compressed = compressor_.compress(native_);
    if (compressed) {
      // The compressor's buffer is reused by the next batch: a pooled send keeps a copy.
      if (copy_compressed) {
        f.compressed.assign(compressed->begin(), compressed->end());
        batch.compressed = f.compressed;
      } else {
        batch.compressed = *compressed;
      }
      batch.uncompressed_bytes = native_.size();
      batch.dictionary_id = compressor_.dictionary_id();
    }
  }
  last_send_ns_ = now;
}

void ForwarderCore::dispatch(InFlight& f, std::int64_t now) {
  if (!pool_) {
    send_inline(f, now);
    commit_settled();
    return;
  }
  prepare_send(f, now, /*copy_compressed=*/true);
  f.state = InFlight::State::kSending;
  pool_->submit(f.id, &f.batch);
}

void ForwarderCore::send_inline(InFlight& f, std::int64_t now) {
  prepare_send(f, now, /*copy_compressed=*/false);
  const FlushResult result = sink_->send(f.batch);
  handle_answer(f, result);
}

ForwarderCore::InFlight* ForwarderCore::slot(std::uint64_t id) {
  for (auto& f : slots_) {
    if (f->id == id) return f.get();
  }
  return nullptr;
}

void ForwarderCore::take_answers(bool wait) {
  if (!pool_) return;
  for (;;) {
    std::optional<SendPool::Answer> answer;
    if (wait && pool_->outstanding() != 0)
      answer = pool_->take();
    else
      answer = pool_->try_take();
    if (!answer) return;
    InFlight* f = slot(answer->ticket);
    if (f == nullptr) continue;  // cannot happen: a slot leaves only once its answer is taken
    f->state = InFlight::State::kWaiting;
    handle_answer(*f, answer->result);
  }
}

// The sink's answer to the last send of `f`: count it, then settle the records, split the
// batch, or set the retry.
void ForwarderCore::handle_answer(InFlight& f, const FlushResult& result) {
  const std::int64_t now = f.sent_ns;
  f.batch = ForwardBatch{};  // the spans point into f.records, which may change now
  const bool retry = f.resend;
  const std::int64_t done = io::monotonic_ns();
  const std::uint64_t n = f.records.size();
  f.outcome.bytes_sent += result.bytes_sent;
  // Whatever the outcome: the bytes were on the wire.
  std::uint64_t payload = 0;
  for (const ForwardRecord& r : f.records) payload += r.payload.size();
  const BandwidthUsage usage = budget_->with([&](BandwidthBudget& b) {
    b.charge(result.bytes_sent, BudgetTime{done, io::wall_clock_ns()}, payload);
    return b.usage(io::wall_clock_ns());
  });
  {
    std::lock_guard<std::mutex> lock(mu_);
    bandwidth_ = usage;
  }
  ForwardTotals attempt;  // counted at once: not tied to the cursor
  if (retry) attempt.retried = n;
  if (result.outcome == FlushResult::Outcome::kFailed) {
    attempt.failed = n;
    attempt.failed_sends = 1;
    count_now(attempt);
    on_failure(f, result, done);
    return;
  }
  // The sink answered: whatever failed, the path to it works.
  clear_outage();
  breaker_.record_success(done);
  consecutive_failures_ = 0;
  sizer_.on_success(static_cast<std::uint32_t>(n), f.outcome.bytes_read,
                    static_cast<std::uint64_t>(done - now));
  note_send(false);
  f.outcome.batches += 1;
  f.outcome.last_flush_ns = io::wall_clock_ns();
  f.outcome.rejected_unnamed += result.rejected_unnamed;
  if (result.outcome == FlushResult::Outcome::kSucceeded || result.failed_offsets.empty()) {
    count_now(attempt);
    f.outcome.delivered += n;
    settle(f);
    return;
  }
  // Partial: keep the failed records (in offset order) for a retry or the dead-letter log.
  const std::unordered_set<std::uint64_t> failed(result.failed_offsets.begin(),
                                                 result.failed_offsets.end());
  std::vector<ForwardRecord> remaining;
  for (const ForwardRecord& r : f.records) {
    if (failed.count(r.offset) != 0) remaining.push_back(r);
  }
  f.outcome.delivered += n - remaining.size();
  attempt.failed = remaining.size();
  count_now(attempt);
  f.records = std::move(remaining);
  if (f.records.empty()) {
    settle(f);
    return;
  }
  if (result.payload_too_large) {  // see on_failure()
    if (!split_in_flight(f)) dead_letter_and_resolve(f, result.error);
    return;
  }
  if (result.sink_unavailable()) {
    // Part of the sink is away (e.g. the Kafka broker leading some of a topic's partitions):
    // the failed records wait as in an outage, using up no retry, and are never
    // dead-lettered for it. The delivered ones are not sent again.
    note_outage(result);
    note_error(result.error.empty() ? "partial outage" : result.error);
    f.retry_at_ns = done + delay_ns(f.outage_waits++, result.retry_after_ms);
    return;
  }
  ++f.attempts;
  if (f.first_failure_ns == 0) f.first_failure_ns = done;
  note_error(result.error.empty() ? "partial failure" : result.error);
  if (!result.retryable || retry_.should_dead_letter(f.attempts, f.first_failure_ns, done)) {
    dead_letter_and_resolve(f, result.error);
    return;
  }
  f.retry_at_ns = done + delay_ns(f.attempts - 1, result.retry_after_ms);
}

void ForwarderCore::on_failure(InFlight& f, const FlushResult& result, std::int64_t now) {
  note_send(true);
  note_error(result.error.empty() ? "send failed" : result.error);
  if (result.payload_too_large) {
    // The receiver answered (it is up) and takes smaller requests: halve, resend at once,
    // and make later batches smaller too. No retry is used up; a single record still too
    // large is refused for good.
    breaker_.record_success(now);
    sizer_.on_failure();
    if (split_in_flight(f)) return;
    dead_letter_and_resolve(f, result.error);
    return;
  }
  if (!result.retryable) {
    // Permanent (e.g. HTTP 400): the sink is up, these records will never pass.
    breaker_.record_success(now);
    dead_letter_and_resolve(f, result.error);
    return;
  }
  breaker_.record_failure(now);
  sizer_.on_failure();
  ++consecutive_failures_;
  note_outage(result);
  if (!result.sink_unavailable()) {
    // An outage counts neither towards max_retries nor towards max_elapsed_ms.
    if (f.first_failure_ns == 0) f.first_failure_ns = now;
    ++f.attempts;
    if (retry_.should_dead_letter(f.attempts, f.first_failure_ns, now)) {
      dead_letter_and_resolve(f, result.error);
      return;
    }
  }
  f.retry_at_ns = now + delay_ns(consecutive_failures_ - 1, result.retry_after_ms);
  std::lock_guard<std::mutex> lock(mu_);
  circuit_ = breaker_.state(now);
  circuit_opened_ = breaker_.opened_count();
  pending_retry_records_ = f.records.size();
  next_attempt_ns_ =
      std::max(f.retry_at_ns, circuit_ == CircuitState::kOpen ? breaker_.next_attempt_ns() : 0);
}

// The retry policy's delay (at most an hour) in nanoseconds.
std::int64_t ForwarderCore::delay_ns(std::uint64_t attempt, std::uint64_t retry_after_ms) {
  return static_cast<std::int64_t>(retry_.delay_ms(attempt, retry_after_ms)) * kMsNs;
}

void ForwarderCore::dead_letter_and_resolve(InFlight& f, const std::string& error) {
  if (!plan_ && slots_.front().get() != &f) {
    // Offset order with batches before it in flight: set aside once they are settled and
    // committed (commit_settled()), so the cursor passes these records in the same step.
    f.state = InFlight::State::kDeadLetterDue;
    f.dead_letter_error = error;
    return;
  }
  f.state = InFlight::State::kWaiting;
  // Attempts: every send of these records, outage ones included.
  auto dead_letters = acquire_dead_letter_log(log_.dir());
  Status s = dead_letters
                 ? append_dead_letters(**dead_letters, log_.log_id(), f.records, f.sends, error)
                 : dead_letters.status();
  if (!s) {
    // Not set aside: keep the records in flight and try again later (never drop them).
    note_error("dead-letter log: " + s.to_string(), ErrorSite::kDeadLetterLog);
    f.retry_at_ns = io::monotonic_ns() + delay_ns(consecutive_failures_++, 0);
    return;
  }
  f.outcome.dead_lettered += f.records.size();
  if (hooks_) {
    hooks_->error(ErrorSite::kDeadLetter, redact_and_bound(error, kMaxPersistedErrorBytes),
                  f.records.size());
  }
  f.records.clear();
  next_dead_letter_retention_ns_ = 0;  // new dead letters: apply the caps at the next step
  settle(f);
}

// HTTP 413: keep the first half in flight and hold the second half back. False when a
// single record is left (it cannot be made smaller).
bool ForwarderCore::split_in_flight(InFlight& f) {
  std::vector<ForwardRecord>& records = f.records;
  if (records.size() < 2) return false;
  const auto half = static_cast<std::ptrdiff_t>(records.size() / 2);
  f.held_back.insert(f.held_back.begin(), records.begin() + half, records.end());
  records.erase(records.begin() + half, records.end());
  f.retry_at_ns = 0;
  return true;
}

// The records in flight are settled (delivered or dead-lettered): send what a split held
// back, or resolve the batch when nothing is.
void ForwarderCore::settle(InFlight& f) {
  if (f.held_back.empty()) {
    f.state = InFlight::State::kSettled;  // committed by commit_settled()
    return;
  }
  f.records = std::move(f.held_back);
  f.held_back.clear();
  f.attempts = 0;
  f.outage_waits = 0;
  f.first_failure_ns = 0;
  f.retry_at_ns = 0;
}

// An auth or configuration outage stands (health) until a send succeeds; an outage of
// another kind (the network) does not replace it: the credentials are still unproven.
void ForwarderCore::note_outage(const FlushResult& result) {
  // An outage began: the sink is out of reach, or failures opened the circuit.
  if (hooks_ &&
      (result.sink_unavailable() || breaker_.state(io::monotonic_ns()) != CircuitState::kClosed)) {
    hooks_->set_online(false);
  }
  if (result.outage != SinkOutage::kAuth && result.outage != SinkOutage::kMisconfigured) return;
  std::lock_guard<std::mutex> lock(mu_);
  outage_ = result.outage;
  outage_error_ = redact_and_bound(result.error, kMaxPersistedErrorBytes);
}

void ForwarderCore::clear_outage() {
  if (hooks_) hooks_->set_online(true);
  std::lock_guard<std::mutex> lock(mu_);
  outage_ = SinkOutage::kNone;
  outage_error_.clear();
}

void ForwarderCore::enforce_dead_letter_retention(std::int64_t now) {
  next_dead_letter_retention_ns_ = now + kDeadLetterRetentionIntervalNs;
  if (!has_dead_letter_log(log_.dir())) return;  // nothing was ever set aside: create nothing
  // No wait: while another process has the log open, its own pass applies the same caps.
  auto dead_letters = acquire_dead_letter_log(log_.dir(), std::chrono::milliseconds(0));
  if (!dead_letters) {
    if (dead_letters.status().code() == StatusCode::kLocked) {
      next_dead_letter_retention_ns_ = now + kDeadLetterRetentionRetryNs;
      return;
    }
    note_error("dead-letter retention: " + dead_letters.status().to_string(),
               ErrorSite::kDeadLetterLog);
    return;
  }
  auto dropped = (*dead_letters)
                     ->enforce_retention(DeadLetterRetention{options_.dead_letter_max_bytes,
                                                             options_.dead_letter_max_age_ms});
  if (!dropped) {
    note_error("dead-letter retention: " + dropped.status().to_string(), ErrorSite::kDeadLetterLog);
  }
  dead_letters_dropped_.store((*dead_letters)->dropped_by_retention(), std::memory_order_relaxed);
}

// Settled batches: every record delivered or dead-lettered. In offset order the cursor moves
// past the settled batches at the front (one read before them may still be in flight); with
// a plan every settled batch settles its offsets and the cursor is the plan's low mark.
// Either way what they add to the totals is added in the same step as the move.
void ForwarderCore::commit_settled() {
  ForwardTotals outcome;
  std::uint64_t next = 0, lost = 0;
  bool any = false;
  for (auto it = slots_.begin(); it != slots_.end();) {
    InFlight& f = **it;
    // At the front now: everything before it settled.
    if (f.state == InFlight::State::kDeadLetterDue)
      dead_letter_and_resolve(f, std::string(f.dead_letter_error));
    if (f.state != InFlight::State::kSettled) {
      if (!plan_) break;  // offset order: nothing after it commits before it
      ++it;
      continue;
    }
    add_totals(&outcome, f.outcome);
    if (plan_) plan_->settle(f.taken);
    next = f.next_offset;
    lost += f.lost_offsets;
    any = true;
    it = slots_.erase(it);
  }
  if (!any) return;
  if (plan_) next = plan_->low();
  commit(next, outcome, lost);
  const bool retries_left = std::any_of(slots_.begin(), slots_.end(), [](const auto& f) {
    return f->state == InFlight::State::kWaiting && f->sends != 0;
  });
  std::lock_guard<std::mutex> lock(mu_);
  batch_target_ = sizer_.next_records();  // read by stats() under mu_
  circuit_ = breaker_.state(io::monotonic_ns());
  if (!retries_left) {
    pending_retry_records_ = 0;
    next_attempt_ns_ = 0;
  }
}

// Retention (size cap) may have deleted records this cursor had not passed: count them as
// dropped-unforwarded and move on.
void ForwarderCore::skip_deleted_records() {
  const std::uint64_t first = log_.first_offset();
  std::uint64_t cursor;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cursor = cursor_;
  }
  if (first <= cursor) return;
  ForwardTotals add;
  if (plan_) {
    // Settled runs below `first` were counted when they were settled.
    add.dropped_unforwarded = plan_->drop_below(first);
    plan_scan_.reset();
    commit(plan_->low(), add);
    return;
  }
  add.dropped_unforwarded = first - cursor;
  commit(first, add);
}

// No record is readable in [cursor_, end): the offsets were lost before they were durable
// (or to damage). Pass them, or flush() would wait for records that never come.
void ForwarderCore::skip_lost_offsets(std::uint64_t end) {
  if (end <= cursor_ || log_.first_offset() > cursor_) return;  // retention: skip_deleted_records()
  if (plan_) {
    // Only past what the scan saw to its end: beyond the lookahead nothing is known yet.
    if (!plan_scan_caught_up_ || plan_->pending_count() != 0) return;
    const std::uint64_t lost =
        plan_->pass_to(std::min(end, plan_->low() + options_.order.lookahead_records));
    if (lost != 0) commit(plan_->low(), ForwardTotals{}, lost);
    return;
  }
  commit(end, ForwardTotals{}, end - cursor_);
}

void ForwarderCore::commit(std::uint64_t next_offset, const ForwardTotals& add,
                           std::uint64_t lost_offsets) {
  ForwardTotals totals;
  {
    std::lock_guard<std::mutex> lock(mu_);
    backlog_at_start_ -= static_cast<std::int64_t>(lost_offsets);
    add_totals(&totals_, add);
    add_totals(&session_, add);
    cursor_ = next_offset;
    if (plan_) settled_ahead_ = plan_->settled_ahead_count();
    totals = totals_;
    if (flush_target_ != 0 && cursor_ >= flush_target_) flush_target_ = 0;
    cv_.notify_all();
  }
  // Persisted after the in-memory move: a crash in between re-sends this batch (at least
  // once); a failed write is retried with the next commit.
  Status s = write_cursor(next_offset, totals);
  last_persist_ns_ = io::monotonic_ns();
  totals_dirty_ = !s.is_ok();
  if (!s) note_error("cursor commit: " + s.to_string(), ErrorSite::kCursor);
}

// Failure counters change while the cursor stands still (a long outage): written to the
// cursor file at most every stats_persist_interval_ms, and at stop.
// The budget's throttle counters are written only with other changes, or at stop (force).
void ForwarderCore::persist_totals(bool force) {
  const std::int64_t now = io::monotonic_ns();
  if (force ? !totals_dirty_ && !throttle_unsaved_
            : !totals_dirty_ || now - last_persist_ns_ <
                                    std::int64_t{options_.stats_persist_interval_ms} * kMsNs) {
    return;
  }
  ForwardTotals totals;
  std::uint64_t cursor;
  {
    std::lock_guard<std::mutex> lock(mu_);
    totals = totals_;
    cursor = cursor_;
  }
  if (write_cursor(cursor, totals)) totals_dirty_ = false;
  last_persist_ns_ = now;
}

Status ForwarderCore::write_cursor(std::uint64_t offset, const ForwardTotals& totals) {
  Status s = cursors_->commit({options_.cursor, offset, io::wall_clock_ns(), cursor_state(totals)});
  if (s) throttle_unsaved_ = false;
  return s;
}

std::string ForwarderCore::cursor_state(const ForwardTotals& totals) const {
  std::string state = encode_forward_state(
      totals, budget_->with([](BandwidthBudget& b) { return b.usage(io::wall_clock_ns()); }));
  if (plan_) state += encode_settled_ahead(plan_->settled_ahead());
  return state;
}

void ForwarderCore::count_now(const ForwardTotals& add) {
  std::lock_guard<std::mutex> lock(mu_);
  add_totals(&totals_, add);
  add_totals(&session_, add);
  totals_dirty_ = true;
}

void ForwarderCore::note_error(const std::string& error, ErrorSite site) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t now = io::wall_clock_ns();
  totals_.last_error_ns = session_.last_error_ns = now;
  // Any sink's text passes the redaction before it is kept or persisted (the OTLP sink
  // redacts already; a custom sink may not).
  totals_.last_error = session_.last_error = redact_and_bound(error, kMaxPersistedErrorBytes);
  totals_dirty_ = true;
  if (hooks_) hooks_->error(site, totals_.last_error);
}

void ForwarderCore::note_send(bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  send_history_ = (send_history_ << 1) | (failed ? 1u : 0u);
  if (send_history_count_ < 64) ++send_history_count_;
}

}  // namespace spool::engine
