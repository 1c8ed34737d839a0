// ScopedSpan: RAII end-and-append of a span, and the thread's stack of current spans.
#include "spool/scoped_span.h"

#include <array>
#include <cstddef>

namespace spool {

namespace {

constexpr std::size_t kTrackedDepth = 64;

// The current spans of one thread, innermost last. Plain values (no pointer to a span), so a
// span that ends on another thread leaves a stale entry behind, never a dangling one; and
// trivially destructible, so a span ending in a thread_local destructor finds it intact.
struct CurrentSpans {
  struct Entry {
    const ScopedSpan* span = nullptr;
    SpanContext context;
  };
  std::array<Entry, kTrackedDepth> entries{};
  std::size_t depth = 0;
};
constinit thread_local CurrentSpans t_current;

void push_current(const ScopedSpan* span, const SpanContext& context) noexcept {
  if (t_current.depth == kTrackedDepth) return;  // deeper levels are not tracked
  t_current.entries[t_current.depth++] = {span, context};
}

// Normally the innermost entry; a span finished before a span inside it is taken out of
// the middle.
void pop_current(const ScopedSpan* span) noexcept {
  for (std::size_t i = t_current.depth; i-- > 0;) {
    if (t_current.entries[i].span != span) continue;
    for (std::size_t j = i + 1; j < t_current.depth; ++j)
      t_current.entries[j - 1] = t_current.entries[j];
    --t_current.depth;
    return;
  }
}

}  // namespace

ScopedSpan::ScopedSpan(Buffer& buffer, std::string_view name, SpanType type) : buffer_(buffer) {
  builder_.start(name, type);
  push_current(this, builder_.context());
}

ScopedSpan::ScopedSpan(Buffer& buffer, std::string_view name, SpanType type,
                       const SpanContext& parent)
    : buffer_(buffer) {
  builder_.start_child(name, parent, type);
  push_current(this, builder_.context());
}

ScopedSpan::~ScopedSpan() { (void)finish(); }

const Status& ScopedSpan::finish() {
  if (finished_) return status_;
  finished_ = true;
  pop_current(this);
  builder_.end();
  status_ = buffer_.append(builder_.span());
  return status_;
}

SpanContext ScopedSpan::current() noexcept {
  return t_current.depth == 0 ? SpanContext{} : t_current.entries[t_current.depth - 1].context;
}

}  // namespace spool
