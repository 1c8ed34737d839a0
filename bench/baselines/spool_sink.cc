// spool as the end-to-end driver sees it: Buffer::append per span, flush() to wait until
// everything is in the log. The driver passes default options (durability none: the log is
// in the page cache, like every baseline's file) except the full-queue policy: block, as the
// baselines do, unless --spool-policy says otherwise.
#include <memory>

#include "bench/baselines/span_sink.h"
#include "spool/buffer.h"

namespace spool::bench {

namespace {

class SpoolSink final : public SpanSink {
 public:
  explicit SpoolSink(std::unique_ptr<Buffer> buffer) : buffer_(std::move(buffer)) {}
  ~SpoolSink() override { (void)buffer_->shutdown(); }

  bool append(const Span& span) override { return buffer_->append(span).is_ok(); }
  Status flush_and_wait() override { return buffer_->flush(); }
  std::uint64_t dropped() const override { return buffer_->stats().dropped_total(); }

 private:
  std::unique_ptr<Buffer> buffer_;
};

}  // namespace

Result<std::unique_ptr<SpanSink>> open_spool_sink(const std::string& dir, const Options& options) {
  auto buffer = Buffer::open(dir, options);
  if (!buffer) return buffer.status();
  return std::unique_ptr<SpanSink>(std::make_unique<SpoolSink>(std::move(buffer.value())));
}

}  // namespace spool::bench
