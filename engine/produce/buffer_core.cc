#include "engine/produce/buffer_core.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "io/clock.h"
#include "io/process_barrier.h"

namespace spool::engine {

namespace {

constexpr std::size_t kMinRingBytes = 4096;
constexpr std::uint64_t kMinBatchBytes = 4096;

}  // namespace

Status BufferCore::validate(const Options& o) {
  if (o.queue_bytes == 0 || o.min_queue_bytes == 0 || o.min_queue_bytes > o.queue_bytes) {
    return Status::invalid_argument("queue_bytes and min_queue_bytes must be > 0 with min_queue_bytes <= queue_bytes");
  }
  if (o.producer_ring_bytes < kMinRingBytes) {
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
  return Status::ok();
}

Result<std::unique_ptr<BufferCore>> BufferCore::open(const std::string& dir, const Options& options,
                                                     io::MemoryPaths memory) {
  SPOOL_RETURN_IF_ERROR(validate(options));
  auto log = segment::SegmentLog::open(dir, options.log, segment::OpenMode::kReadWrite);
  if (!log) return log.status();
  // What the log can write (max_record_bytes, bounded by a segment): producers are refused
  // anything larger at the door, and the writer's arena holds the largest.
  Options resolved = options;
  resolved.log.max_record_bytes = (*log)->max_payload_bytes();
  std::unique_ptr<BufferCore> core(new BufferCore(resolved, std::move(log.value()), std::move(memory)));
  core->writer_->start();
  return core;
}

BufferCore::BufferCore(const Options& options, std::unique_ptr<segment::SegmentLog> log,
                       io::MemoryPaths memory)
    : options_(options),
      log_(std::move(log)),
      registry_(options.producer_ring_bytes),
      budget_(options.queue_bytes, options.min_queue_bytes),
      writer_(std::make_unique<LogWriter>(*log_, registry_, budget_, options_, std::move(memory))),
      max_payload_(std::min<std::size_t>(options.log.max_record_bytes,
                                         options.producer_ring_bytes - kEntryHeaderBytes)) {}

BufferCore::~BufferCore() { (void)shutdown(); }

std::size_t BufferCore::ring_limit(const ProducerRing& ring) const noexcept {
  const std::size_t rings = std::max<std::size_t>(1, registry_.ring_count());
  return std::min<std::size_t>(ring.capacity(), budget_.current() / rings);
}

Status BufferCore::drop(ProducerRing& ring, DropReason reason) noexcept {
  auto& counter = ring.producer.dropped[static_cast<std::size_t>(reason)];
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  switch (reason) {
    case DropReason::kSampled: return Status::full("sampled out");
    case DropReason::kBlockTimeout: return Status::timed_out("queue full");
    case DropReason::kTooLarge: return Status::invalid_argument("too large");
    case DropReason::kShutdown: return Status::closed("shut down");
    default: return Status::full("queue full");
  }
}

bool BufferCore::push(ProducerRing& ring, const EntryHeader& header, std::span<const std::uint8_t> bytes,
                      std::size_t limit) noexcept {
  // Counted before the push, so a reader never sees the record written but not appended
  // (the writer may take it the moment it is pushed).
  auto& appended = ring.producer.appended;
  const std::uint64_t before = appended.load(std::memory_order_relaxed);
  appended.store(before + 1, std::memory_order_release);
  if (!ring.try_push(header, bytes, limit)) {
    appended.store(before, std::memory_order_release);
    return false;
  }
  // Pairs with the writer's heavy barrier before it sleeps: either it sees this entry, or
  // we see it asleep and wake it (io/process_barrier.h).
  io::light_barrier();
  writer_->notify_pushed();
  return true;
}

Status BufferCore::refuse_in_fork_child() const {
  return segment::fork_child_status("spool::Buffer on " + log_->dir(), opener_,
                                    "open a Buffer of your own (on another directory)");
}

Status BufferCore::reject_too_large() {
  if (opener_.forked()) [[unlikely]] return refuse_in_fork_child();
  return drop(registry_.local_ring(), DropReason::kTooLarge);
}

Status BufferCore::reject_malformed(Status why) {
  if (opener_.forked()) [[unlikely]] return refuse_in_fork_child();
  (void)drop(registry_.local_ring(), DropReason::kMalformed);
  return why;
}

Status BufferCore::append(RecordKind kind, Priority priority, std::span<const std::uint8_t> bytes) {
  // Before the ring: in a fork child it is a copy of the parent's, drained by no one.
  if (opener_.forked()) [[unlikely]] return refuse_in_fork_child();
  ProducerRing& ring = registry_.local_ring();
  if (closing_.load(std::memory_order_relaxed)) return drop(ring, DropReason::kShutdown);
  if (writer_->failed()) {
    // The log failed a sync: refused (and counted) at the door with the log's error.
    (void)drop(ring, DropReason::kWriteFailed);
    return writer_->failure();
  }
  if (bytes.size() > max_payload_) {
    (void)drop(ring, DropReason::kTooLarge);
    // Rare, so the message may allocate: say what the limit is and where it comes from.
    return Status::invalid_argument("record of " + std::to_string(bytes.size()) +
                                    " bytes is too large: at most " + std::to_string(max_payload_) +
                                    " bytes (max_record_bytes, bounded by segment_bytes and producer_ring_bytes)");
  }
  const EntryHeader header{static_cast<std::uint32_t>(bytes.size()), static_cast<std::uint16_t>(kind),
                           frame_flags_for(priority), io::coarse_wall_clock_ns()};
  const std::size_t need = kEntryHeaderBytes + bytes.size();
  const std::size_t limit = ring_limit(ring);
  if (options_.full_policy == FullPolicy::kSample && priority < Priority::kHigh &&
      static_cast<double>(ring.used_bytes() + need) > options_.sample_above_fill * static_cast<double>(limit)) {
    // Keep 1 in N while above the threshold; the first record over it is kept.
    if (ring.producer.sample_sequence++ % options_.sample_keep_one_in != 0) {
      return drop(ring, DropReason::kSampled);
    }
  }
  if (!push(ring, header, bytes, limit)) return admit_full(ring, header, bytes, need);
  return Status::ok();
}

Status BufferCore::admit_full(ProducerRing& ring, const EntryHeader& header,
                              std::span<const std::uint8_t> bytes, std::size_t need) {
  switch (options_.full_policy) {
    case FullPolicy::kDropNewest:
    case FullPolicy::kSample:
      return drop(ring, DropReason::kQueueFull);
    case FullPolicy::kDropOldest: {
      const std::size_t limit = ring_limit(ring);
      if (need > limit) return drop(ring, DropReason::kQueueFull);
      std::uint64_t evicted = 0;
      {
        std::lock_guard<std::mutex> lock(ring.consumer_mutex());
        // Free space the ring must show so that used + need <= limit.
        evicted = ring.discard_oldest(ring.capacity() - limit + need);
        // Counted under the same lock as the eviction (stats() reads both under it).
        auto& counter = ring.producer.dropped[static_cast<std::size_t>(DropReason::kDropOldest)];
        counter.store(counter.load(std::memory_order_relaxed) + evicted, std::memory_order_relaxed);
      }
      if (evicted > 0) writer_->wake();  // the evicted entries count as done once it looks
      if (!push(ring, header, bytes, limit)) return drop(ring, DropReason::kQueueFull);
      return Status::ok();
    }
    case FullPolicy::kBlock: {
      const std::int64_t deadline = io::monotonic_ns() + std::int64_t{options_.block_timeout_ms} * 1'000'000;
      for (;;) {
        const std::uint32_t seen = writer_->progress_sequence();
        if (push(ring, header, bytes, ring_limit(ring))) {
          return Status::ok();
        }
        if (closing_.load(std::memory_order_relaxed)) return drop(ring, DropReason::kShutdown);
        if (io::monotonic_ns() >= deadline) return drop(ring, DropReason::kBlockTimeout);
        writer_->wait_for_room(seen, deadline);
      }
    }
  }
  return drop(ring, DropReason::kQueueFull);
}

Status BufferCore::flush(std::uint32_t timeout_ms) {
  if (opener_.is_other_process()) return refuse_in_fork_child();
  // Targets: every ring's appended count now. Entries counted there were pushed before
  // (release store), so once the ring's done count reaches it they are in the log.
  const std::vector<std::shared_ptr<ProducerRing>> rings = registry_.rings();
  std::vector<std::uint64_t> targets;
  targets.reserve(rings.size());
  for (const auto& ring : rings) targets.push_back(ring->producer.appended.load(std::memory_order_acquire));
  const std::int64_t deadline =
      timeout_ms == 0 ? -1 : io::monotonic_ns() + std::int64_t{timeout_ms} * 1'000'000;
  Status waited = writer_->wait_for_progress(
      [&] {
        for (std::size_t i = 0; i < rings.size(); ++i) {
          if (rings[i]->consumer.done.load(std::memory_order_acquire) < targets[i]) return false;
        }
        return true;
      },
      deadline);
  // After a failed sync, records the writer discarded count as done, yet nothing since the
  // last good sync is known to be on disk: the failure is the answer.
  if (writer_->failed()) return writer_->failure();
  return waited;
}

Status BufferCore::sync() {
  if (opener_.is_other_process()) return refuse_in_fork_child();
  SPOOL_RETURN_IF_ERROR(flush(0));
  const std::uint64_t ticket = writer_->request_sync();
  return writer_->wait_for_progress([&] { return writer_->syncs_completed() >= ticket; }, -1);
}

Status BufferCore::shutdown() {
  // Before the mutex: a parent thread may have held it at fork().
  if (opener_.is_other_process()) return refuse_in_fork_child();
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return shutdown_status_;
  shut_down_ = true;
  closing_.store(true, std::memory_order_seq_cst);
  Status drained = writer_->stop();
  Status closed = log_->close();
  shutdown_status_ = !drained.is_ok() ? drained : closed;
  return shutdown_status_;
}

BufferStats BufferCore::stats() const {
  BufferStats s;
  // The writer's mutex and the registry's may have been held by parent threads at fork().
  if (opener_.is_other_process()) return s;
  std::vector<std::shared_ptr<ProducerRing>> rings;
  ProducerRegistry::RetiredCounters retired;
  std::uint64_t inflight = 0;
  std::uint64_t refused_by_log = 0;
  std::int64_t oldest = 0;
  bool gave_up_at_stop = false;
  // kWriteFailed counted by producers: refused at the door after the log failed a sync.
  std::uint64_t refused_write_failed = 0;
  // One consistent cut: the writer's accounting is frozen (nothing moves between the rings,
  // its batch and the log), and each ring's popped count is read with the lock that evicting
  // producers (kDropOldest) hold, so every record is counted exactly once:
  // appended == written + dropped_total() + queue_depth at every instant.
  writer_->with_accounting_frozen([&] {
    writer_->fill_stats_locked(&s);
    gave_up_at_stop = writer_->gave_up_at_stop_locked();
    inflight = writer_->inflight_records();
    refused_by_log = writer_->refused_by_log_locked();
    oldest = writer_->inflight_oldest_ns();
    registry_.snapshot_all(&rings, &retired);
    s.accepted = retired.appended;
    refused_write_failed = retired.dropped[static_cast<std::size_t>(DropReason::kWriteFailed)];
    for (std::size_t i = 0; i < kDropReasonCount; ++i) s.dropped[i] += retired.dropped[i];
    for (const auto& ring : rings) {
      std::uint64_t popped = 0;
      {
        std::lock_guard<std::mutex> lock(ring->consumer_mutex());
        popped = ring->consumer.popped.load(std::memory_order_acquire);
        s.dropped[static_cast<std::size_t>(DropReason::kDropOldest)] +=
            ring->producer.dropped[static_cast<std::size_t>(DropReason::kDropOldest)].load(std::memory_order_relaxed);
      }
      // Read after popped: appended only grows, so the difference is never negative.
      const std::uint64_t appended = ring->producer.appended.load(std::memory_order_acquire);
      s.accepted += appended;
      s.queue_depth += appended - popped;
      s.queue_bytes += ring->used_bytes();
      for (std::size_t i = 0; i < kDropReasonCount; ++i) {
        if (static_cast<DropReason>(i) == DropReason::kDropOldest) continue;
        s.dropped[i] += ring->producer.dropped[i].load(std::memory_order_relaxed);
      }
      refused_write_failed +=
          ring->producer.dropped[static_cast<std::size_t>(DropReason::kWriteFailed)].load(std::memory_order_relaxed);
      const std::int64_t t = ring->oldest_queued_ns();
      if (t != 0 && (oldest == 0 || t < oldest)) oldest = t;
    }
  });
  const std::int64_t now = io::wall_clock_ns();
  s.oldest_unwritten_age_ns = oldest == 0 || s.queue_depth == 0 ? 0 : std::max<std::int64_t>(0, now - oldest);
  s.producers = rings.size();
  s.queue_budget_bytes = budget_.current();
  s.budget_resizes = budget_.resizes();
  s.last_resize = budget_.last_resize();
  s.queue_depth += inflight;
  // Refused at the door: never queued, so not in `accepted`.
  s.appended = s.accepted;
  for (DropReason r : {DropReason::kQueueFull, DropReason::kSampled, DropReason::kBlockTimeout,
                       DropReason::kTooLarge, DropReason::kShutdown, DropReason::kMalformed}) {
    s.appended += s.dropped[static_cast<std::size_t>(r)];
  }
  s.appended += refused_write_failed;
  // Queued (so in `accepted`), then refused by the log: a drop, not a second append.
  s.dropped[static_cast<std::size_t>(DropReason::kTooLarge)] += refused_by_log;
  if (gave_up_at_stop) {
    // Given up at shutdown: counted as dropped, no longer queued.
    s.queue_depth = 0;
    s.queue_bytes = 0;
  }
  return s;
}

}  // namespace spool::engine
