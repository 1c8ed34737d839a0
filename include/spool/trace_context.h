// W3C Trace Context (https://www.w3.org/TR/trace-context/): the ids that tie spans into a
// trace, new ids, and the `traceparent` header that carries them between processes.
//
//   spool::SpanContext ctx = builder.context();
//   request.set_header("traceparent", spool::traceparent(ctx));   // 00-<trace>-<span>-01
//   auto parent = spool::parse_traceparent(header);               // Result<SpanContext>
#pragma once

#include <string>
#include <string_view>

#include "spool/records.h"
#include "spool/status.h"

namespace spool {

// Where a span sits: its trace, itself, and whether the trace is sampled (the W3C
// trace-flags bit 0). A child span keeps trace_id and takes span_id as its parent.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  bool sampled = true;
  bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  friend bool operator==(const SpanContext&, const SpanContext&) = default;
};

// Random, never zero, distinct with overwhelming probability. Drawn from a per-thread PRNG
// seeded from the OS once per thread (and again in a forked child, so parent and child never
// hand out the same ids): no lock, no syscall, no allocation per id. Not for secrets.
TraceId new_trace_id() noexcept;
SpanId new_span_id() noexcept;

// "00-<32 hex trace id>-<16 hex span id>-<flags>", flags "01" when sampled, else "00".
std::string traceparent(const SpanContext& context);

// Parses a traceparent header value strictly: two-digit lowercase hex version other than
// "ff"; version 00 is exactly 55 characters; a later version may carry more after a '-' at
// position 55 (ignored, as the specification asks of version-00 parsers); lowercase hex ids,
// neither all zeros; dashes where they belong. InvalidArgument saying what is wrong.
Result<SpanContext> parse_traceparent(std::string_view header);

}  // namespace spool
