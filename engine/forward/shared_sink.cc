#include "engine/forward/shared_sink.h"

#include <algorithm>
#include <utility>

namespace spool::engine {

namespace {

class LaneSink final : public Sink {
 public:
  LaneSink(std::shared_ptr<SharedSink> shared, std::string lane)
      : shared_(std::move(shared)), lane_(std::move(lane)) {}

  FlushResult send(const ForwardBatch& batch) override {
    ForwardBatch tagged = batch;
    tagged.lane = lane_;
    return shared_->send(tagged);
  }
  std::uint32_t max_concurrent_sends() const override {
    return shared_->sink().max_concurrent_sends();
  }
  bool wants_compressed_batch() const override { return shared_->sink().wants_compressed_batch(); }
  std::string name() const override { return shared_->sink().name(); }
  std::vector<HealthWarning> configuration_warnings() const override {
    return shared_->sink().configuration_warnings();
  }

 private:
  const std::shared_ptr<SharedSink> shared_;
  const std::string lane_;
};

}  // namespace

SharedSink::SharedSink(std::unique_ptr<Sink> sink)
    : sink_(std::move(sink)),
      free_slots_(std::max<std::uint32_t>(1, sink_->max_concurrent_sends())) {}

std::unique_ptr<Sink> SharedSink::lane_sink(const std::shared_ptr<SharedSink>& shared,
                                            std::string lane) {
  return std::make_unique<LaneSink>(shared, std::move(lane));
}

FlushResult SharedSink::send(const ForwardBatch& batch) {
  {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [this] { return free_slots_ > 0; });
    --free_slots_;
  }
  struct Release {
    SharedSink* self;
    ~Release() {
      {
        std::lock_guard lock(self->mu_);
        ++self->free_slots_;
      }
      self->freed_.notify_one();
    }
  } release{this};
  return sink_->send(batch);
}

}  // namespace spool::engine
