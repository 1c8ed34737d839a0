// spool::ScopedSpan: a span that covers a C++ scope and is appended to a Buffer when the
// scope ends, however it ends.
//
//   {
//     spool::ScopedSpan span(buffer, "retrieve", spool::SpanType::kRetrieval, parent_ctx);
//     span.builder().set_component_type("vector-db");
//     ...                                   // an early return or an exception still ends it
//   }                                       // end time stamped, buffer.append(span)
//
// Each ScopedSpan owns a SpanBuilder, whose buffers are allocated when it is constructed;
// a loop that must not allocate reuses one SpanBuilder and appends its span() instead.
//
// The current span: from construction until it ends, a ScopedSpan is its thread's current
// span (the innermost one, when they nest); ScopedSpan::current() returns its context, so
// that a log line written inside it carries its ids (spool/spdlog_sink.h). A ScopedSpan
// ends on the thread that made it (it covers a scope); one ended elsewhere stays current on
// its thread. Only the 64 innermost levels of nesting are tracked.
#pragma once

#include <optional>
#include <string_view>

#include "spool/buffer.h"
#include "spool/span_builder.h"
#include "spool/status.h"
#include "spool/trace_context.h"

namespace spool {

class ScopedSpan {
 public:
  // A root span (new trace).
  ScopedSpan(Buffer& buffer, std::string_view name, SpanType type = SpanType::kSpan);
  // A child of `parent` (same trace).
  ScopedSpan(Buffer& buffer, std::string_view name, SpanType type, const SpanContext& parent);
  // Ends the span and appends it. The append's status is kept for status(); a destructor
  // cannot report it otherwise, and must not throw.
  ~ScopedSpan();
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;

  SpanBuilder& builder() noexcept { return builder_; }
  SpanContext context() const noexcept { return builder_.context(); }

  // Ends and appends now instead of at the end of the scope; later calls (and the
  // destructor) do nothing. Returns the append's status.
  const Status& finish();
  // The append's status once finished; OK before.
  const Status& status() const noexcept { return status_; }

  // The context of the calling thread's innermost ScopedSpan that has not ended; an invalid
  // (all-zero) context when there is none. A thread-local read: no lock, no allocation.
  static SpanContext current() noexcept;

 private:
  Buffer& buffer_;
  SpanBuilder builder_;
  bool finished_ = false;
  Status status_;
};

}  // namespace spool
