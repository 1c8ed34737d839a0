// SpanBuilder: owned copies of a span's text, resolved into a Span view on demand.
#include "spool/span_builder.h"

#include <algorithm>

#include "io/clock.h"

namespace spool {

SpanBuilder::SpanBuilder() {
  arena_.reserve(kInitialArenaBytes);
  attributes_.reserve(8);
  event_attributes_.reserve(8);
  events_.reserve(4);
  span_attributes_.reserve(8);
  span_event_attributes_.reserve(8);
  span_events_.reserve(4);
}

SpanBuilder::Text SpanBuilder::copy(std::string_view s) {
  Text t{arena_.size(), s.size()};
  arena_.append(s);
  return t;
}

void SpanBuilder::reset() noexcept {
  arena_.clear();
  attributes_.clear();
  event_attributes_.clear();
  events_.clear();
  name_ = component_type_ = status_message_ = model_ = input_ = output_ = Text{};
  tool_name_ = tool_input_ = tool_output_ = Text{};
  sampled_ = true;
  span_ = Span{};
}

void SpanBuilder::begin(std::string_view name, SpanType type) {
  reset();
  name_ = copy(name);
  span_.type = type;
  span_.span_id = new_span_id();
  span_.start_ns = io::wall_clock_ns();
}

SpanBuilder& SpanBuilder::start(std::string_view name, SpanType type) {
  begin(name, type);
  span_.trace_id = new_trace_id();
  return *this;
}

SpanBuilder& SpanBuilder::start_child(std::string_view name, const SpanContext& parent,
                                      SpanType type) {
  begin(name, type);
  // A parent without a trace (an invalid context) would orphan the child: start a new
  // trace instead, as W3C asks of an invalid traceparent.
  if (parent.trace_id.valid()) {
    span_.trace_id = parent.trace_id;
    span_.parent_span_id = parent.span_id;
    sampled_ = parent.sampled;
  } else {
    span_.trace_id = new_trace_id();
  }
  return *this;
}

SpanBuilder& SpanBuilder::set_name(std::string_view name) {
  name_ = copy(name);
  return *this;
}
SpanBuilder& SpanBuilder::set_type(SpanType type) noexcept {
  span_.type = type;
  return *this;
}
SpanBuilder& SpanBuilder::set_component_type(std::string_view component_type) {
  component_type_ = copy(component_type);
  return *this;
}
SpanBuilder& SpanBuilder::set_start_ns(std::int64_t start_ns) noexcept {
  span_.start_ns = start_ns;
  return *this;
}
SpanBuilder& SpanBuilder::set_end_ns(std::int64_t end_ns) noexcept {
  span_.end_ns = end_ns;
  return *this;
}
SpanBuilder& SpanBuilder::set_status(SpanStatus status, std::string_view message) {
  span_.status = status;
  status_message_ = copy(message);
  return *this;
}
SpanBuilder& SpanBuilder::set_model(std::string_view model) {
  model_ = copy(model);
  return *this;
}
SpanBuilder& SpanBuilder::set_input(std::string_view input) {
  input_ = copy(input);
  return *this;
}
SpanBuilder& SpanBuilder::set_output(std::string_view output) {
  output_ = copy(output);
  return *this;
}
SpanBuilder& SpanBuilder::set_input_tokens(std::int64_t tokens) noexcept {
  span_.input_tokens = tokens;
  return *this;
}
SpanBuilder& SpanBuilder::set_output_tokens(std::int64_t tokens) noexcept {
  span_.output_tokens = tokens;
  return *this;
}
SpanBuilder& SpanBuilder::set_tokens(std::int64_t input_tokens,
                                     std::int64_t output_tokens) noexcept {
  span_.input_tokens = input_tokens;
  span_.output_tokens = output_tokens;
  return *this;
}
SpanBuilder& SpanBuilder::set_tool_name(std::string_view tool_name) {
  tool_name_ = copy(tool_name);
  return *this;
}
SpanBuilder& SpanBuilder::set_tool_input(std::string_view tool_input) {
  tool_input_ = copy(tool_input);
  return *this;
}
SpanBuilder& SpanBuilder::set_tool_output(std::string_view tool_output) {
  tool_output_ = copy(tool_output);
  return *this;
}
SpanBuilder& SpanBuilder::set_priority(Priority priority) noexcept {
  span_.priority = priority;
  return *this;
}

void SpanBuilder::store(std::vector<StoredAttribute>& into, const Attribute& attribute) {
  StoredAttribute& a = into.emplace_back();
  a.key = copy(attribute.key);
  if (attribute.type == AttributeType::kString) a.string_value = copy(attribute.string_value);
  a.value = attribute;
}

SpanBuilder& SpanBuilder::add_attribute(const Attribute& attribute) {
  store(attributes_, attribute);
  return *this;
}

SpanBuilder& SpanBuilder::add_event(std::string_view name, std::int64_t time_ns,
                                    std::span<const Attribute> attributes) {
  StoredEvent& e = events_.emplace_back();
  e.name = copy(name);
  e.time_ns = time_ns != 0 ? time_ns : io::wall_clock_ns();
  e.first_attribute = event_attributes_.size();
  e.attribute_count = attributes.size();
  for (const Attribute& attribute : attributes) store(event_attributes_, attribute);
  return *this;
}

SpanBuilder& SpanBuilder::end() {
  // The wall clock can step back (NTP); a span must not end before it started.
  span_.end_ns = std::max(io::wall_clock_ns(), span_.start_ns);
  return *this;
}

const Span& SpanBuilder::span() const {
  span_.name = view(name_);
  span_.component_type = view(component_type_);
  span_.status_message = view(status_message_);
  span_.model = view(model_);
  span_.input = view(input_);
  span_.output = view(output_);
  span_.tool_name = view(tool_name_);
  span_.tool_input = view(tool_input_);
  span_.tool_output = view(tool_output_);

  const auto resolve = [this](const StoredAttribute& stored) {
    Attribute a = stored.value;
    a.key = view(stored.key);
    a.string_value = view(stored.string_value);
    return a;
  };
  span_attributes_.clear();
  for (const StoredAttribute& a : attributes_) span_attributes_.push_back(resolve(a));
  span_.attributes = span_attributes_;

  span_event_attributes_.clear();
  for (const StoredAttribute& a : event_attributes_) span_event_attributes_.push_back(resolve(a));
  span_events_.clear();
  for (const StoredEvent& e : events_) {
    SpanEvent event;
    event.name = view(e.name);
    event.time_ns = e.time_ns;
    event.attributes = std::span<const Attribute>(span_event_attributes_)
                           .subspan(e.first_attribute, e.attribute_count);
    span_events_.push_back(event);
  }
  span_.events = span_events_;
  return span_;
}

SpanContext SpanBuilder::context() const noexcept {
  return SpanContext{span_.trace_id, span_.span_id, sampled_};
}

EncodedRecord SpanBuilder::encode() { return encoder_.encode(span()); }

}  // namespace spool
