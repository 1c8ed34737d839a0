// spool::Forwarder: the public facade over engine::LaneForwarders.
#include "spool/forwarder.h"

#include "engine/forward/lane_forwarders.h"
#include "io/opening_process.h"
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

Forwarder::Forwarder(std::unique_ptr<engine::LaneForwarders> lanes) : lanes_(std::move(lanes)) {}
Forwarder::~Forwarder() {
  if (lanes_ && lanes_->in_fork_child()) {
    lanes_->leave_to_parent();
    io::keep_forever(std::move(lanes_));
    return;
  }
  (void)stop();
}

Result<std::unique_ptr<Forwarder>> Forwarder::start(Buffer& buffer, std::unique_ptr<Sink> sink,
                                                    ForwarderOptions options) {
  auto lanes = engine::LaneForwarders::start(*buffer.lanes_, std::move(sink), std::move(options));
  if (!lanes) return lanes.status();
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(*lanes)));
}

Result<std::unique_ptr<Forwarder>> Forwarder::open(const std::string& dir, std::unique_ptr<Sink> sink,
                                                   ForwarderOptions options) {
  auto lanes = engine::LaneForwarders::open(dir, std::move(sink), std::move(options));
  if (!lanes) return lanes.status();
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(*lanes)));
}

Status Forwarder::flush(std::uint32_t timeout_ms) { return lanes_->flush(timeout_ms); }
Status Forwarder::seek(SeekTarget target, std::int64_t value) {
  return lanes_->seek(target, value);
}
Status Forwarder::stop() { return lanes_ ? lanes_->stop() : Status::ok(); }
ForwarderStats Forwarder::stats() const { return lanes_->stats(); }
Accounting Forwarder::accounting() const { return lanes_->accounting(); }
Result<Accounting> Forwarder::accounting(std::string_view lane) const {
  return lanes_->accounting(lane);
}
HealthReport Forwarder::health(const HealthThresholds& thresholds) const {
  return lanes_->health(thresholds);
}
std::vector<std::string> Forwarder::lanes() const { return lanes_->lanes(); }

}  // namespace spool
