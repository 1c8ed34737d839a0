// spool::SpanBuilder: fills a Span field by field, owning copies of everything it is given,
// so the caller's strings need not outlive the call that passed them.
//
//   spool::SpanBuilder b;                                  // reuse one per thread
//   b.start("llm-call", spool::SpanType::kGeneration)      // new trace, start time now
//    .set_model("gpt-4").set_input(prompt).set_tokens(12, 40)
//    .add_attribute(spool::Attribute::string("env", "production"));
//   ... b.set_output(reply).set_status(spool::SpanStatus::kOk).end();
//   buffer.append(b.span());                              // or b.encode()
//
// Strings go into one internal arena that keeps its memory across reset()/start(), as do
// the attribute and event arrays, so a reused builder filling spans of similar size
// allocates nothing. Setting a string field again appends the new text (the old copy is
// released at the next reset), so set each field once per span.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/record_encoder.h"
#include "spool/records.h"
#include "spool/trace_context.h"

namespace spool {

class SpanBuilder {
 public:
  // Bytes of text the arena holds before it first grows (a standard span needs ~700).
  static constexpr std::size_t kInitialArenaBytes = 4096;

  SpanBuilder();
  SpanBuilder(const SpanBuilder&) = delete;
  SpanBuilder& operator=(const SpanBuilder&) = delete;

  // Forgets the current span (keeping the memory) and starts a root span of a new trace,
  // start time now (CLOCK_REALTIME).
  SpanBuilder& start(std::string_view name, SpanType type = SpanType::kSpan);
  // Same, as a child of `parent`: same trace and sampling, parent_span_id = parent.span_id.
  SpanBuilder& start_child(std::string_view name, const SpanContext& parent,
                           SpanType type = SpanType::kSpan);

  SpanBuilder& set_name(std::string_view name);
  SpanBuilder& set_type(SpanType type) noexcept;
  SpanBuilder& set_component_type(std::string_view component_type);
  SpanBuilder& set_start_ns(std::int64_t start_ns) noexcept;
  SpanBuilder& set_end_ns(std::int64_t end_ns) noexcept;
  SpanBuilder& set_status(SpanStatus status, std::string_view message = {});
  SpanBuilder& set_model(std::string_view model);
  SpanBuilder& set_input(std::string_view input);
  SpanBuilder& set_output(std::string_view output);
  SpanBuilder& set_input_tokens(std::int64_t tokens) noexcept;
  SpanBuilder& set_output_tokens(std::int64_t tokens) noexcept;
  SpanBuilder& set_tokens(std::int64_t input_tokens, std::int64_t output_tokens) noexcept;
  SpanBuilder& set_tool_name(std::string_view tool_name);
  SpanBuilder& set_tool_input(std::string_view tool_input);
  SpanBuilder& set_tool_output(std::string_view tool_output);
  SpanBuilder& set_priority(Priority priority) noexcept;
  // Copies the key (and string value).
  SpanBuilder& add_attribute(const Attribute& attribute);
  // An event at `time_ns` (now when 0), with copies of its name and attributes.
  SpanBuilder& add_event(std::string_view name, std::int64_t time_ns = 0,
                         std::span<const Attribute> attributes = {});

  // Stamps the end time: now (CLOCK_REALTIME), never before the start time.
  SpanBuilder& end();

  // The span as built so far. Its views point into the builder and stay valid until the
  // builder is next modified.
  const Span& span() const;
  // Trace and span id of this span, for children and for traceparent().
  SpanContext context() const noexcept;
  // Serializes span() with the builder's own encoder; see RecordEncoder::encode.
  EncodedRecord encode();
  // Forgets the span (empty, zero ids) but keeps every buffer's memory.
  void reset() noexcept;

 private:
  // Text in the arena by position, not by pointer: the arena may move when it grows.
  struct Text {
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  struct StoredAttribute {
    Text key;
    Text string_value;
    Attribute value;  // type and scalar value; its views are filled in by span()
  };
  struct StoredEvent {
    Text name;
    std::int64_t time_ns = 0;
    std::size_t first_attribute = 0;  // into event_attributes_
    std::size_t attribute_count = 0;
  };

  Text copy(std::string_view s);
  // Appends a copy of `attribute` (its text into the arena) to `into`.
  void store(std::vector<StoredAttribute>& into, const Attribute& attribute);
  std::string_view view(Text t) const noexcept { return {arena_.data() + t.offset, t.size}; }
  void begin(std::string_view name, SpanType type);

  std::string arena_;
  std::vector<StoredAttribute> attributes_;
  std::vector<StoredAttribute> event_attributes_;
  std::vector<StoredEvent> events_;
  Text name_, component_type_, status_message_, model_, input_, output_;
  Text tool_name_, tool_input_, tool_output_;
  bool sampled_ = true;

  // Ids, times, enums and numbers live here directly; span() resolves the Texts into its
  // views (mutable: that resolution is a cache of the fields above).
  mutable Span span_;
  mutable std::vector<Attribute> span_attributes_;
  mutable std::vector<Attribute> span_event_attributes_;
  mutable std::vector<SpanEvent> span_events_;

  RecordEncoder encoder_;
};

}  // namespace spool
