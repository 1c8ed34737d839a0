// CallbackSink: a Sink that is a function (see spool/callback_sink.h).
#include "spool/callback_sink.h"

#include <utility>

namespace spool {

namespace {

class CallbackSink final : public Sink {
 public:
  CallbackSink(std::function<FlushResult(const ForwardBatch&)> fn, bool wants_compressed)
      : fn_(std::move(fn)), wants_compressed_(wants_compressed) {}

  FlushResult send(const ForwardBatch& batch) override {
    // An empty function is a programming error, but it should not take the forwarder down.
    if (!fn_) return FlushResult::failed("callback sink has no function", /*retryable=*/true);
    return fn_(batch);
  }
  bool wants_compressed_batch() const override { return wants_compressed_; }
  std::string name() const override { return "callback"; }

 private:
  std::function<FlushResult(const ForwardBatch&)> fn_;
  bool wants_compressed_;
};

}  // namespace

std::unique_ptr<Sink> make_callback_sink(std::function<FlushResult(const ForwardBatch&)> fn,
                                         bool wants_compressed) {
  return std::make_unique<CallbackSink>(std::move(fn), wants_compressed);
}

}  // namespace spool
