// ScopedSpan: RAII end-and-append of a span.
#include "spool/scoped_span.h"

namespace spool {

ScopedSpan::ScopedSpan(Buffer& buffer, std::string_view name, SpanType type) : buffer_(buffer) {
  builder_.start(name, type);
}

ScopedSpan::ScopedSpan(Buffer& buffer, std::string_view name, SpanType type,
                       const SpanContext& parent)
    : buffer_(buffer) {
  builder_.start_child(name, parent, type);
}

ScopedSpan::~ScopedSpan() { (void)finish(); }

const Status& ScopedSpan::finish() {
  if (finished_) return status_;
  finished_ = true;
  builder_.end();
  status_ = buffer_.append(builder_.span());
  return status_;
}

}  // namespace spool
