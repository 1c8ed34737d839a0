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

std::size_t SharedSink::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

bool SharedSink::first_in_line(const Waiter& me) const {
  return std::none_of(waiting_.begin(), waiting_.end(), [&](const Waiter& w) {
    return w.priority > me.priority || (w.priority == me.priority && w.ticket < me.ticket);
  });
}

FlushResult SharedSink::send(const ForwardBatch& batch) {
  Priority highest = Priority::kLow;
  for (const ForwardRecord& r : batch.records) highest = std::max(highest, r.priority);
  {
    std::unique_lock lock(mu_);
    const Waiter me{highest, next_ticket_++};
    waiting_.push_back(me);
    freed_.wait(lock, [&] { return free_slots_ > 0 && first_in_line(me); });
    std::erase_if(waiting_, [&](const Waiter& w) { return w.ticket == me.ticket; });
    --free_slots_;
    // A slot is left and someone waits: the next in line may go too.
    if (free_slots_ > 0 && !waiting_.empty()) freed_.notify_all();
  }
  struct Release {
    SharedSink* self;
    ~Release() {
      {
        std::lock_guard lock(self->mu_);
        ++self->free_slots_;
      }
      // Every waiter checks whether it is first in line (notify_one could wake another).
      self->freed_.notify_all();
    }
  } release{this};
  return sink_->send(batch);
}

}  // namespace spool::engine
