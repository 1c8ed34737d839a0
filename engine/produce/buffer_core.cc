#include "engine/produce/buffer_core.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "io/clock.h"
#include "io/dir_lock.h"
#include "io/process_barrier.h"
#include "segment/log_marker.h"
#include "segment/segment_file.h"

namespace spool::engine {

namespace {

constexpr std::uint64_t kMinBatchBytes = 4096;
// An attached process's shutdown waits this long for the writer to take what it queued;
// what is left stays in its rings (files) for the next writer, so nothing is lost.
constexpr std::int64_t kAttachedShutdownWaitNs = 5'000'000'000;
constexpr std::int64_t kPruneEveryNs = 100'000'000;

// The largest payload the log takes under `options` (SegmentLog's own bound, for a process
// that does not hold the log open).
std::uint64_t log_payload_bound(const LogOptions& options) {
  const std::uint64_t max_record = options.max_record_bytes == 0 ? kDefaultMaxRecordBytes : options.max_record_bytes;
  return std::min<std::uint64_t>(max_record, segment::segment_payload_room(options.segment_bytes));
}

}  // namespace

Status BufferCore::validate(const Options& o) {
  if (o.queue_bytes == 0 || o.min_queue_bytes == 0 || o.min_queue_bytes > o.queue_bytes) {
    return Status::invalid_argument("queue_bytes and min_queue_bytes must be > 0 with min_queue_bytes <= queue_bytes");
  }
  if (o.producer_ring_bytes < kMinRingCapacity) {
    return Status::invalid_argument("producer_ring_bytes must be at least 4096");
  }
  if (o.writer_batch_bytes < kMinBatchBytes) {
    return Status::invalid_argument("writer_batch_bytes must be at least 4096");
  }
  if (o.sample_keep_one_in == 0) return Status::invalid_argument("sample_keep_one_in must be >= 1");
  if (!(o.sample_above_fill > 0.0 && o.sample_above_fill <= 1.0)) {
    return Status::invalid_argument("sample_above_fill must be in (0, 1]");
  }
  if (o.adaptive_budget && o.memory_check_interval_ms == 0) {
    return Status::invalid_argument("memory_check_interval_ms must be > 0 with adaptive_budget");
  }
  return HookNotifier::validate(o.hooks);
}

Result<std::unique_ptr<BufferCore>> BufferCore::open(const std::string& dir, const Options& options,
                                                     io::MemoryPaths memory) {
  SPOOL_RETURN_IF_ERROR(validate(options));
  // Decided now, before this Buffer's threads run: the first append need not register.
  (void)io::process_barrier_available();
  Options resolved = options;
  // Only drop_oldest lets the size cap delete what a cursor has not read; every other policy
  // keeps it, and the writer applies the policy at the cap (LogWriter::drain).
  resolved.log.size_cap_rule = options.disk_full_policy == FullPolicy::kDropOldest
                                   ? SizeCapRule::kDeleteOldest
                                   : SizeCapRule::kKeepNeeded;
  std::unique_ptr<segment::SegmentLog> log;
  if (options.role != Role::kAttach) {
    auto opened = segment::SegmentLog::open(dir, resolved.log, segment::OpenMode::kReadWrite);
    if (opened.is_ok()) {
      log = std::move(opened.value());
    } else if (opened.status().code() != StatusCode::kLocked || options.role == Role::kWriter) {
      return opened.status();
    }
  }
  if (log != nullptr) {
    resolved.log = log->options();
    resolved.log.log_id = log->log_id();  // options() keeps what the caller gave for an existing log
  } else {
    // Attached: the log's settings are its writer's, from the marker, which a writer that is
    // creating the log right now writes just after it took the lock: wait for it a moment.
    auto from_marker = segment::log_options_from_marker(dir, resolved.log);
    for (int attempt = 0; attempt < 400 && from_marker.is_ok() && from_marker->log_id == 0; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      from_marker = segment::log_options_from_marker(dir, resolved.log);
    }
    if (!from_marker) return from_marker.status();
    resolved.log = *from_marker;
    if (resolved.log.log_id == 0) {
      return Status::not_found("log directory " + dir + " has no writer and no SPOOL_LOG marker to attach to");
    }
  }
  auto rings_dir = RingDirectory::open(dir, resolved.log.log_id, resolved.log.file_mode, resolved.log.dir_mode);
  if (!rings_dir) return rings_dir.status();
  auto control = rings_dir->open_control();
  if (!control) return control.status();
  if (control->budget_bytes() == 0) control->set_budget_bytes(options.queue_bytes);

  std::unique_ptr<BufferCore> core(new BufferCore(dir, resolved, std::move(memory), std::move(*control)));
  core->registry_ = std::make_unique<ProducerRegistry>(
      *rings_dir, core->control_, log != nullptr ? RingRole::kWriterProcess : RingRole::kAttached,
      options.producer_ring_bytes);
  core->max_payload_ = std::min<std::uint64_t>(log_payload_bound(resolved.log), core->registry_->max_payload_bytes());
  if (options.hooks.any()) {
    // Drops as BufferStats counts them (the writer's own included); stopped by shutdown(),
    // before any of what stats() reads goes away.
    core->hooks_ = std::make_unique<HookNotifier>(options.hooks,
                                                  [c = core.get()] { return c->stats().dropped; });
  }
  if (log != nullptr) {
    std::lock_guard<std::mutex> lock(core->writer_mu_);
    SPOOL_RETURN_IF_ERROR(core->start_writer(std::move(log), std::move(*rings_dir)));
  } else {
    core->standby_ = std::thread([c = core.get()] { c->standby_loop(); });
  }
  if (core->hooks_ != nullptr) core->hooks_->start();
  return core;
}

BufferCore::BufferCore(std::string dir, const Options& options, io::MemoryPaths memory, RingControl control)
    : dir_(std::move(dir)),
      options_(options),
      memory_(std::move(memory)),
      control_(std::move(control)),
      budget_(options.queue_bytes, options.min_queue_bytes) {}

BufferCore::~BufferCore() {
  if (opener_.is_other_process()) {
    // A fork child: the rings are the parent's (shared memory: sealing them here would end
    // the parent's producers) and the registry's mutex may be copied locked. Leave both.
    io::abandon_parent_thread(standby_);
    (void)registry_.release();
    io::keep_forever(std::move(hooks_));  // its thread and condition variable are the parent's
    return;
  }
  (void)shutdown();
}

Status BufferCore::become_writer() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (writer_owned_ != nullptr) return Status::ok();
  if (closing_.load(std::memory_order_acquire)) return Status::closed("shutting down");
  // A cheap probe first (one open and one flock): the full open below lists and reads the
  // directory, too dear to repeat every few milliseconds while another process writes.
  io::DirLock probe;
  pid_t holder = 0;
  const int rc = io::DirLock::acquire(dir_, &probe, &holder, options_.log.file_mode);
  if (rc == -EWOULDBLOCK) return Status::locked("log directory " + dir_ + " is locked by pid " + std::to_string(holder));
  if (rc < 0) return Status::io_error("probe the lock of " + dir_);
  probe.release();
  auto opened = segment::SegmentLog::open(dir_, options_.log, segment::OpenMode::kReadWrite);
  if (!opened) return opened.status();
  auto rings_dir = RingDirectory::open(dir_, options_.log.log_id, options_.log.file_mode, options_.log.dir_mode);
  if (!rings_dir) return rings_dir.status();
  return start_writer(std::move(opened.value()), std::move(*rings_dir));
}

Status BufferCore::start_writer(std::unique_ptr<segment::SegmentLog> log, RingDirectory rings_dir) {
  auto side = std::make_unique<WriterSide>();
  side->log = std::move(log);
  side->rings = std::make_unique<RingSet>(std::move(rings_dir), control_);
  side->writer = std::make_unique<LogWriter>(*side->log, *side->rings, control_, budget_, options_, memory_);
  side->writer->set_housekeeping([this] { housekeep(io::monotonic_ns()); });
  if (hooks_ != nullptr) {
    side->writer->set_error_listener([hooks = hooks_.get()](ErrorSite site, const Status& error) {
      hooks->error(site, error.to_string());
    });
  }
  SPOOL_RETURN_IF_ERROR(side->writer->start());
  writer_owned_ = std::move(side);
  writer_side_.store(writer_owned_.get(), std::memory_order_release);
  return Status::ok();
}

void BufferCore::standby_loop() {
  // kAuto tries the lock every kStandbyPollMs; kAttach never does and only keeps house.
  const bool may_take_over = options_.role == Role::kAuto;
  const auto poll = std::chrono::nanoseconds(may_take_over ? kStandbyPollMs * 1'000'000ll : kPruneEveryNs);
  std::int64_t next_housekeeping = 0;
  std::unique_lock<std::mutex> lock(standby_mu_);
  while (!standby_stop_) {
    standby_cv_.wait_for(lock, poll);
    if (standby_stop_) break;
    lock.unlock();
    const std::int64_t now = io::monotonic_ns();
    if (now >= next_housekeeping) {
      next_housekeeping = now + kPruneEveryNs;
      housekeep(now);
    }
    const bool became = may_take_over && become_writer().is_ok();
    lock.lock();
    if (became) break;  // the writer thread keeps house from now on
  }
}

void BufferCore::housekeep(std::int64_t now_ns) {
  registry_->prune();
  if (now_ns < next_release_ns_) return;
  next_release_ns_ = now_ns + kPruneEveryNs;
  const bool over_budget = control_.ring_bytes_total() > control_.budget_bytes();
  registry_->release_idle(now_ns, std::int64_t{options_.ring_idle_release_ms} * 1'000'000, over_budget);
}

segment::SegmentLog* BufferCore::writer_log() noexcept {
  WriterSide* w = writer_side_.load(std::memory_order_acquire);
  return w == nullptr ? nullptr : w->log.get();
}

void BufferCore::set_writer_paused(bool paused) noexcept {
  if (WriterSide* w = writer_side_.load(std::memory_order_acquire)) w->writer->set_paused(paused);
}

std::uint64_t BufferCore::committed_offset() const noexcept {
  if (WriterSide* w = writer_side_.load(std::memory_order_acquire)) return w->writer->committed_offset();
  return control_.committed_offset();
}

Status BufferCore::drop(LocalRing& ring, DropReason reason) noexcept {
  ring.ring.count_drop(reason);
  switch (reason) {
    case DropReason::kSampled: return Status::full("sampled out");
    case DropReason::kBlockTimeout: return Status::timed_out("queue full");
    case DropReason::kTooLarge: return Status::invalid_argument("too large");
    case DropReason::kShutdown: return Status::closed("shut down");
    default: return Status::full("queue full");
  }
}

bool BufferCore::push(LocalRing& ring, RecordKind kind, std::uint16_t flags, std::int64_t at,
                      std::span<const std::uint8_t> bytes) noexcept {
  if (!ring.ring.try_push(static_cast<std::uint16_t>(kind), flags, at, bytes)) return false;
  // Pairs with the writer's heavy barrier before it sleeps: either it sees this entry, or
  // we see it asleep and wake it (io/process_barrier.h).
  io::light_barrier();
  control_.wake_writer_if_sleeping();
  return true;
}

Status BufferCore::refuse_in_fork_child() const {
  return segment::fork_child_status("spool::Buffer on " + dir_, opener_,
                                    "open a Buffer of your own (on another directory)");
}

Status BufferCore::reject_too_large() {
  if (opener_.forked()) [[unlikely]] return refuse_in_fork_child();
  Status error;
  RingInUse use;
  LocalRing* ring = registry_->local_ring(use, &error);
  if (ring == nullptr) return error;
  return drop(*ring, DropReason::kTooLarge);
}

Status BufferCore::reject_malformed(Status why) {
  if (opener_.forked()) [[unlikely]] return refuse_in_fork_child();
  Status error;
  RingInUse use;
  if (LocalRing* ring = registry_->local_ring(use, &error)) (void)drop(*ring, DropReason::kMalformed);
  return why;
}

Status BufferCore::append(RecordKind kind, Priority priority, std::span<const std::uint8_t> bytes) {
  // Before the ring: in a fork child it is shared with the parent's thread.
  if (opener_.forked()) [[unlikely]] return refuse_in_fork_child();
  Status error;
  RingInUse use;  // the ring stays this thread's (housekeeping leaves it alone) until return
  LocalRing* ring = registry_->local_ring(use, &error);
  if (ring == nullptr) [[unlikely]] {
    // No ring could be made (no disk space for it, no descriptors): refused at the door.
    refused_without_ring_.fetch_add(1, std::memory_order_relaxed);
    return error;
  }
  if (closing_.load(std::memory_order_relaxed)) return drop(*ring, DropReason::kShutdown);
  if (control_.log_failed()) [[unlikely]] {
    (void)drop(*ring, DropReason::kWriteFailed);
    return writer_error();
  }
  if (bytes.size() > max_payload_) [[unlikely]] {
    (void)drop(*ring, DropReason::kTooLarge);
    return Status::invalid_argument("record of " + std::to_string(bytes.size()) + " bytes is too large: at most " +
                                    std::to_string(max_payload_) +
                                    " bytes (max_record_bytes, bounded by segment_bytes and producer_ring_bytes)");
  }
  const std::uint16_t flags = frame_flags_for(priority);
  const std::int64_t at = io::coarse_wall_clock_ns();
  if (options_.full_policy == FullPolicy::kSample && priority < Priority::kHigh) [[unlikely]] {
    const double limit = static_cast<double>(options_.producer_ring_bytes);
    if (static_cast<double>(ring->ring.producer_used_bytes() + bytes.size()) > options_.sample_above_fill * limit &&
        ring->sample_sequence++ % options_.sample_keep_one_in != 0) {
      return drop(*ring, DropReason::kSampled);
    }
  }
  if (push(*ring, kind, flags, at, bytes)) [[likely]] return Status::ok();
  return admit_full(use, kind, flags, at, bytes);
}

Status BufferCore::admit_full(RingInUse& use, RecordKind kind, std::uint16_t flags, std::int64_t at,
                              std::span<const std::uint8_t> bytes) {
  LocalRing& ring = *use.get();
  // First choice: a larger ring, while the budget (every process's rings) has room.
  if (LocalRing* grown = registry_->grow(ring, bytes.size())) {
    Status error;
    if (registry_->use_ring(use, grown, &error) == nullptr) {  // asked back at once, no other
      refused_without_ring_.fetch_add(1, std::memory_order_relaxed);
      return error;
    }
    if (push(*use.get(), kind, flags, at, bytes)) return Status::ok();
    return admit_full(use, kind, flags, at, bytes);
  }
  switch (options_.full_policy) {
    case FullPolicy::kDropNewest:
    case FullPolicy::kSample:
      return drop(ring, DropReason::kQueueFull);
    case FullPolicy::kDropOldest:
      // Evicts what the writer has not taken yet. Entries it has taken are being written
      // (their space comes back in a moment) and can no longer be dropped: wait for that, at
      // most block_timeout_ms, before the newest is dropped after all.
      return wait_for_room(ring, kind, flags, at, bytes, DropReason::kQueueFull,
                           [&] { (void)ring.ring.evict_oldest(bytes.size()); });
    case FullPolicy::kBlock:
      return wait_for_room(ring, kind, flags, at, bytes, DropReason::kBlockTimeout, [] {});
  }
  return drop(ring, DropReason::kQueueFull);
}

template <typename BeforePush>
Status BufferCore::wait_for_room(LocalRing& ring, RecordKind kind, std::uint16_t flags, std::int64_t at,
                                 std::span<const std::uint8_t> bytes, DropReason on_timeout,
                                 BeforePush before_push) {
  const std::int64_t deadline = io::monotonic_ns() + std::int64_t{options_.block_timeout_ms} * 1'000'000;
  for (;;) {
    const std::uint32_t seen = control_.progress();
    before_push();
    if (push(ring, kind, flags, at, bytes)) return Status::ok();
    if (closing_.load(std::memory_order_relaxed)) return drop(ring, DropReason::kShutdown);
    const std::int64_t left = deadline - io::monotonic_ns();
    if (left <= 0) return drop(ring, on_timeout);
    control_.wake_writer();
    control_.wait_progress(seen, std::min<std::int64_t>(left, 10'000'000));
  }
}

Status BufferCore::writer_error() const {
  if (WriterSide* w = writer_side_.load(std::memory_order_acquire)) {
    if (w->writer->failed()) return w->writer->failure();
    return w->writer->last_error();
  }
  if (control_.log_failed()) return Status::io_error("the log of " + dir_ + " failed a sync in its writer process: it takes no more records");
  return Status::ok();
}

Status BufferCore::wait_written(std::int64_t deadline_ns) {
  // Targets: every ring's published tail now. Entries before it were pushed before the call;
  // once the ring's head passes it they are in the log (synced, in kBatch mode).
  std::vector<std::pair<std::shared_ptr<LocalRing>, std::uint64_t>> targets;
  for (const std::shared_ptr<LocalRing>& ring : registry_->snapshot()) {
    targets.emplace_back(ring, ring->ring.published_tail());
  }
  for (;;) {
    const std::uint32_t seen = control_.progress();
    const bool done = std::all_of(targets.begin(), targets.end(),
                                  [](const auto& t) { return t.first->ring.head_position() >= t.second; });
    if (done) return Status::ok();
    if (control_.log_failed()) return writer_error();
    if (Status e = writer_error(); !e.is_ok()) return e;
    std::int64_t slice = 10'000'000;
    if (deadline_ns >= 0) {
      const std::int64_t left = deadline_ns - io::monotonic_ns();
      if (left <= 0) return Status::timed_out("flush timed out");
      slice = std::min(slice, left);
    }
    control_.wake_writer();
    control_.wait_progress(seen, slice);
  }
}

Status BufferCore::flush(std::uint32_t timeout_ms) {
  if (opener_.is_other_process()) return refuse_in_fork_child();
  const std::int64_t deadline = timeout_ms == 0 ? -1 : io::monotonic_ns() + std::int64_t{timeout_ms} * 1'000'000;
  Status s = wait_written(deadline);
  // After a failed sync, nothing since the last good sync is known to be on disk: the
  // failure is the answer.
  if (control_.log_failed()) return writer_error();
  return s;
}

Status BufferCore::sync() {
  if (opener_.is_other_process()) return refuse_in_fork_child();
  SPOOL_RETURN_IF_ERROR(flush(0));
  const std::uint64_t ticket = control_.request_sync();
  for (;;) {
    const std::uint32_t seen = control_.progress();
    if (control_.sync_completed() >= ticket) break;
    if (control_.log_failed()) return writer_error();
    control_.wake_writer();
    control_.wait_progress(seen, 10'000'000);
  }
  return control_.log_failed() ? writer_error() : Status::ok();
}

Status BufferCore::shutdown() {
  // Before the mutex: a parent thread may have held it at fork().
  if (opener_.is_other_process()) return refuse_in_fork_child();
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return shutdown_status_;
  shut_down_ = true;
  shutdown_status_ = drain_and_stop();
  // Last: the drops and errors of the drain are reported too.
  if (hooks_ != nullptr) hooks_->stop();
  return shutdown_status_;
}

Status BufferCore::drain_and_stop() {
  closing_.store(true, std::memory_order_seq_cst);
  {
    std::lock_guard<std::mutex> standby_lock(standby_mu_);
    standby_stop_ = true;
  }
  standby_cv_.notify_all();
  if (standby_.joinable()) standby_.join();

  if (writer_side_.load(std::memory_order_acquire) == nullptr) {
    // Attached: what this process queued is written by the writer; with none (it died, or
    // shut down) a kAuto process writes it itself. Either way nothing is lost: what stays in
    // the rings is taken by the next writer.
    registry_->seal_all();
    const Status waited = wait_written(io::monotonic_ns() + kAttachedShutdownWaitNs / 50);
    if (!waited.is_ok() && options_.role == Role::kAuto) {
      closing_.store(false, std::memory_order_seq_cst);  // become_writer refuses while closing
      (void)become_writer();
      closing_.store(true, std::memory_order_seq_cst);
    }
    if (writer_side_.load(std::memory_order_acquire) == nullptr) {
      Status written = wait_written(io::monotonic_ns() + kAttachedShutdownWaitNs);
      return written.code() == StatusCode::kTimedOut ? Status::ok() : written;
    }
  }
  registry_->seal_all();
  WriterSide* w = writer_side_.load(std::memory_order_acquire);
  Status drained = w->writer->stop();
  Status closed = w->log->close();
  return !drained.is_ok() ? drained : closed;
}

BufferStats BufferCore::stats() const {
  BufferStats s;
  if (opener_.is_other_process()) return s;
  if (hooks_ != nullptr) s.hooks = hooks_->stats();
  // This process's producers: the counters of its rings, and of rings it already unmapped;
  // in the writer's process read with its accounting frozen, so that a record is either
  // still queued or in the log's written end (Forwarder::accounting relies on it).
  RingCounters sum;
  std::int64_t oldest = 0;
  std::size_t rings = 0;
  WriterSide* w = writer_side_.load(std::memory_order_acquire);
  auto read_rings = [&] {
    // One cut of the live rings and the folded ones: prune() moves a ring between them.
    const auto snapshot = registry_->snapshot(&sum);
  for (const std::shared_ptr<LocalRing>& ring : snapshot) {
    const RingCounters c = ring->ring.counters();
    sum.appended += c.appended;
    sum.written += c.written;
    sum.malformed += c.malformed;
    sum.queued_bytes += c.queued_bytes;
    for (std::size_t i = 0; i < kDropReasonCount; ++i) {
      sum.dropped[i] += c.dropped[i];
      sum.writer_dropped[i] += c.writer_dropped[i];
    }
    if (c.queued_bytes != 0 && c.first_push_ns != 0 && (oldest == 0 || c.first_push_ns < oldest)) oldest = c.first_push_ns;
    ++rings;
  }
    if (w != nullptr) w->writer->fill_stats_locked(&s);
  };
  if (w != nullptr) {
    w->writer->with_accounting_frozen(read_rings);
  } else {
    read_rings();
  }
  // Refused at the door (never queued): every reason the producer counts except an eviction.
  std::uint64_t at_door = refused_without_ring_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (static_cast<DropReason>(i) != DropReason::kDropOldest) at_door += sum.dropped[i];
  }
  // Queued, then not written: evicted by the producer, refused or discarded by the writer.
  std::uint64_t after_queue = sum.dropped[static_cast<std::size_t>(DropReason::kDropOldest)] + sum.malformed;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) after_queue += sum.writer_dropped[i];

  s.accepted = sum.appended;
  s.appended = sum.appended + at_door;
  s.written = sum.written;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) s.dropped[i] = sum.dropped[i] + sum.writer_dropped[i];
  s.dropped[static_cast<std::size_t>(DropReason::kMalformed)] += sum.malformed;
  s.dropped[static_cast<std::size_t>(DropReason::kQueueFull)] += refused_without_ring_.load(std::memory_order_relaxed);
  // appended == written + dropped_total() + queue_depth, by construction: what is neither
  // written nor dropped is queued (in a ring, or taken by the writer and not yet written).
  const std::uint64_t gone = sum.written + after_queue;
  s.queue_depth = sum.appended > gone ? sum.appended - gone : 0;
  s.queue_bytes = sum.queued_bytes;
  s.producers = rings;
  s.queue_budget_bytes = control_.budget_bytes();
  const std::int64_t now = io::wall_clock_ns();
  s.oldest_unwritten_age_ns = oldest == 0 || s.queue_depth == 0 ? 0 : std::max<std::int64_t>(0, now - oldest);
  if (w != nullptr) {
    s.budget_resizes = budget_.resizes();
    s.last_resize = budget_.last_resize();
  } else {
    s.committed_offset = control_.committed_offset();
    s.written_end_offset = s.committed_offset;
  }
  return s;
}

}  // namespace spool::engine
