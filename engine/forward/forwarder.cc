// spool::Forwarder: the public facade over engine::ForwarderCore.
#include "spool/forwarder.h"

#include "engine/produce/buffer_core.h"
#include "engine/forward/forwarder_core.h"
#include "engine/forward/log_dictionary.h"
#include "engine/produce/retention_timer.h"
#include "segment/log_marker.h"
#include "io/opening_process.h"
#include "segment/segment_directory.h"
#include "spool/buffer.h"

namespace spool {

std::string_view flush_strategy_name(FlushStrategy strategy) noexcept {
  switch (strategy) {
    case FlushStrategy::kSize: return "size";
    case FlushStrategy::kTime: return "time";
    case FlushStrategy::kManual: return "manual";
    case FlushStrategy::kHybrid: return "hybrid";
  }
  return "unknown";
}

Forwarder::Forwarder(std::unique_ptr<engine::ForwarderCore> core, std::unique_ptr<engine::RetentionTimer> retention)
    : core_(std::move(core)), retention_(std::move(retention)) {}
Forwarder::~Forwarder() {
  if (core_ && core_->in_fork_child()) {
    // Its threads, condition variables and sink connections are the parent's: destroying
    // them here would join threads that do not exist, wait forever, or close the parent's
    // TLS sessions. Only the log it opened is closed (which changes nothing on disk).
    core_->leave_to_parent();
    io::keep_forever(std::move(core_));
    io::keep_forever(std::move(retention_));
    return;
  }
  (void)stop();
}

Result<std::unique_ptr<Forwarder>> Forwarder::start(Buffer& buffer, std::unique_ptr<Sink> sink,
                                                    ForwarderOptions options) {
  engine::BufferCore& core = *buffer.core_;
  segment::SegmentLog* log = core.writer_log();
  // An attached buffer's log is written by another process: forward it like any log that
  // another process writes (Forwarder::open follows it read-only).
  if (log == nullptr) return open(core.dir(), std::move(sink), std::move(options));
  auto forwarder = engine::ForwarderCore::create(*log, &core, nullptr, std::move(sink), std::move(options),
                                                 core.options().log.retention_bytes);
  if (!forwarder) return forwarder.status();
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(*forwarder)));
}

Result<std::unique_ptr<Forwarder>> Forwarder::open(const std::string& dir, std::unique_ptr<Sink> sink,
                                                   ForwarderOptions options) {
  // The log's own settings from its marker (segment size, retention, modes): opening with
  // another segment size would grow the active segment to it, and retention off would let a
  // log that only this forwarder has open grow old. A pre-marker log keeps its segment size
  // (from its files) and gets no retention until its writer records some.
  auto log_options = segment::log_options_from_marker(dir);
  if (!log_options) return log_options.status();
  if (auto marker = segment::LogMarker::read(dir); marker && !marker->has_value()) {
    if (auto existing = segment::existing_segment_bytes(dir)) log_options->segment_bytes = *existing;
  }
  auto log = segment::SegmentLog::open(dir, *log_options, segment::OpenMode::kReadWrite);
  if (!log && log.status().code() == StatusCode::kLocked) {
    // Another process writes the log: follow it read-only, up to its committed offset.
    // Retention (and the dictionary that goes with it) is then the writer's job.
    auto follower = segment::SegmentLog::open(dir, *log_options, segment::OpenMode::kReadOnly);
    if (!follower) return follower.status();
    segment::SegmentLog& ref = **follower;
    auto forwarder = engine::ForwarderCore::create(ref, nullptr, std::move(*follower), std::move(sink),
                                                   std::move(options), log_options->retention_bytes);
    if (!forwarder) return forwarder.status();
    return std::unique_ptr<Forwarder>(new Forwarder(std::move(*forwarder)));
  }
  if (!log) return log.status();
  segment::SegmentLog& ref = **log;
  engine::tie_dictionary_to_retention(ref);
  auto forwarder = engine::ForwarderCore::create(ref, nullptr, std::move(*log), std::move(sink), std::move(options),
                                                 log_options->retention_bytes);
  if (!forwarder) return forwarder.status();
  // Declared after core_, so destroyed (and joined) before the log the core owns.
  auto retention = std::make_unique<engine::RetentionTimer>(ref);
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(*forwarder), std::move(retention)));
}

Status Forwarder::flush(std::uint32_t timeout_ms) { return core_->flush(timeout_ms); }
Status Forwarder::seek(SeekTarget target, std::int64_t value) { return core_->seek(target, value); }
Status Forwarder::stop() { return core_ ? core_->stop() : Status::ok(); }
ForwarderStats Forwarder::stats() const { return core_->stats(); }
Accounting Forwarder::accounting() const { return core_->accounting(); }
HealthReport Forwarder::health(const HealthThresholds& thresholds) const { return core_->health(thresholds); }

}  // namespace spool
