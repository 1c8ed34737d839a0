// spool::Forwarder: the public facade over engine::ForwarderCore.
#include "spool/forwarder.h"

#include "engine/buffer_core.h"
#include "engine/forwarder_core.h"
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

Forwarder::Forwarder(std::unique_ptr<engine::ForwarderCore> core) : core_(std::move(core)) {}
Forwarder::~Forwarder() {
  if (core_ && core_->in_fork_child()) {
    // Its threads, condition variables and sink connections are the parent's: destroying
    // them here would join threads that do not exist, wait forever, or close the parent's
    // TLS sessions. Only the log it opened is closed (which changes nothing on disk).
    core_->leave_to_parent();
    io::keep_forever(std::move(core_));
    return;
  }
  (void)stop();
}

Result<std::unique_ptr<Forwarder>> Forwarder::start(Buffer& buffer, std::unique_ptr<Sink> sink,
                                                    ForwarderOptions options) {
  engine::BufferCore& core = *buffer.core_;
  auto forwarder = engine::ForwarderCore::create(core.log(), &core, nullptr, std::move(sink), std::move(options),
                                                 core.options().log.retention_bytes);
  if (!forwarder) return forwarder.status();
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(*forwarder)));
}

Result<std::unique_ptr<Forwarder>> Forwarder::open(const std::string& dir, std::unique_ptr<Sink> sink,
                                                   ForwarderOptions options) {
  // Keep the log's own segment size (it is not recorded in the log): opening with another
  // would grow the active segment to it.
  LogOptions log_options;
  if (auto existing = segment::existing_segment_bytes(dir)) log_options.segment_bytes = *existing;
  auto log = segment::SegmentLog::open(dir, log_options, segment::OpenMode::kReadWrite);
  if (!log) return log.status();
  segment::SegmentLog& ref = **log;
  auto forwarder = engine::ForwarderCore::create(ref, nullptr, std::move(*log), std::move(sink), std::move(options), 0);
  if (!forwarder) return forwarder.status();
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(*forwarder)));
}

Status Forwarder::flush(std::uint32_t timeout_ms) { return core_->flush(timeout_ms); }
Status Forwarder::seek(SeekTarget target, std::int64_t value) { return core_->seek(target, value); }
Status Forwarder::stop() { return core_ ? core_->stop() : Status::ok(); }
ForwarderStats Forwarder::stats() const { return core_->stats(); }
Accounting Forwarder::accounting() const { return core_->accounting(); }
HealthReport Forwarder::health(const HealthThresholds& thresholds) const { return core_->health(thresholds); }

}  // namespace spool
