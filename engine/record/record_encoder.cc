// RecordEncoder: records.h views -> records.fbs tables.
//
// FlatBuffers builds back to front and forbids nesting, so every string and vector a table
// refers to is created before the table starts. Scalars at their default and empty strings
// are not written at all (readers get the same default back), and fields are added largest
// first (8-byte scalars, then the alignment-1 id structs, offsets, bytes) so a table needs no
// padding between them.
#include "spool/record_encoder.h"

#include <cstring>
#include <memory>
#include <vector>

#include "spool/records_generated.h"

namespace spool {

// The encoder copies enums across by value: records.h and records.fbs must number them alike.
static_assert(static_cast<int>(SpanType::kEvent) == static_cast<int>(fb::SpanType::Event));
static_assert(static_cast<int>(SpanType::kGeneration) ==
              static_cast<int>(fb::SpanType::Generation));
static_assert(static_cast<int>(SpanStatus::kError) == static_cast<int>(fb::SpanStatus::Error));
static_assert(static_cast<int>(SpanStatus::kOk) == static_cast<int>(fb::SpanStatus::Ok));
static_assert(static_cast<int>(AttributeType::kInt) == static_cast<int>(fb::AttributeType::Int));
static_assert(static_cast<int>(AttributeType::kDouble) ==
              static_cast<int>(fb::AttributeType::Double));
static_assert(static_cast<int>(AttributeType::kBool) == static_cast<int>(fb::AttributeType::Bool));
static_assert(static_cast<int>(MetricKind::kCounter) == static_cast<int>(fb::MetricKind::Counter));
static_assert(static_cast<int>(MetricKind::kHistogram) ==
              static_cast<int>(fb::MetricKind::Histogram));

namespace {

using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::uoffset_t;

// Bytes an attribute costs beyond its strings: its table, vtable reference, offset in the
// vector and padding. Only used to bound the size of a record before building it.
constexpr std::size_t kAttributeOverheadBytes = 64;

std::size_t content_bytes(std::span<const Attribute> attributes) noexcept {
  std::size_t n = attributes.size() * kAttributeOverheadBytes;
  for (const Attribute& a : attributes) n += a.key.size() + a.string_value.size();
  return n;
}

fb::TraceId to_fb(const TraceId& id) noexcept {
  return fb::TraceId(flatbuffers::span<const std::uint8_t, 16>(id.bytes.data(), 16));
}
fb::SpanId to_fb(const SpanId& id) noexcept {
  return fb::SpanId(flatbuffers::span<const std::uint8_t, 8>(id.bytes.data(), 8));
}

EncodedRecord refused(RecordKind kind, Priority priority) noexcept {
  return EncodedRecord{kind, priority, {}};
}

// FlatBufferBuilder plus a string writer that reserves once and copies once (CreateString
// makes four separate reservations per string; a span has a dozen strings or more).
class Builder : public flatbuffers::FlatBufferBuilder {
 public:
  using FlatBufferBuilder::FlatBufferBuilder;
  // CreateString's bytes exactly; offset 0 (field left out) for an empty string.
  Offset<String> string(std::string_view s);
  // An Attribute table holding just `key` and `string_value` (both present), written
  // directly: the generic table path (field tracking, vtable build and search) costs
  // several times more, and string attributes are most of every span. All such tables of
  // one record share one vtable; forget_vtables() when starting a new record.
  Offset<fb::Attribute> string_attribute(Offset<String> key, Offset<String> value);
  void forget_vtables() noexcept { string_attribute_vtable_ = 0; }
  std::size_t capacity() const noexcept { return buf_.capacity(); }

 private:
  uoffset_t string_attribute_vtable_ = 0;  // its position; 0: not written yet
};

}  // namespace

// The builder and its scratch arrays live here, so that no public header includes FlatBuffers.
struct RecordEncoder::Impl {
  // The builder allocates its first kInitialBytes on the first record, the scratch arrays on
  // the first record with attributes or events.
  Impl() : fbb_(kInitialBytes) {}

  EncodedRecord encode(const Span& span);
  EncodedRecord encode(const LogRecord& log);
  EncodedRecord encode(const Metric& metric);
  EncodedRecord encode(const RawRecord& record);
  void clear() noexcept;

  // Clears the builder for the next record.
  void begin() noexcept;
  // Vector of Attribute / SpanEvent tables; offset 0 (field left out) when empty.
  Offset<flatbuffers::Vector<Offset<fb::Attribute>>> build_attributes(std::span<const Attribute> attributes);
  Offset<flatbuffers::Vector<Offset<fb::SpanEvent>>> build_events(std::span<const SpanEvent> events);
  template <typename Table>
  EncodedRecord finish(RecordKind kind, Priority priority, Offset<Table> root);

  Builder fbb_;
  std::vector<Offset<fb::Attribute>> attribute_offsets_;
  std::vector<Offset<fb::SpanEvent>> event_offsets_;
};

RecordEncoder::RecordEncoder() : impl_(std::make_unique<Impl>()) {}
RecordEncoder::~RecordEncoder() = default;

EncodedRecord RecordEncoder::encode(const Span& span) { return impl_->encode(span); }
EncodedRecord RecordEncoder::encode(const LogRecord& log) { return impl_->encode(log); }
EncodedRecord RecordEncoder::encode(const Metric& metric) { return impl_->encode(metric); }
EncodedRecord RecordEncoder::encode(const RawRecord& record) { return impl_->encode(record); }
void RecordEncoder::clear() noexcept { impl_->clear(); }

// Empty strings are left out of the table: absent and empty read back the same.
Offset<String> Builder::string(std::string_view s) {
  if (s.empty()) return 0;
  // [uoffset length][bytes][NUL][zeros up to 4-byte alignment of the whole buffer], laid
  // out back to front like everything in the builder.
  const std::size_t pad = flatbuffers::PaddingBytes(buf_.size() + s.size() + 1, sizeof(uoffset_t));
  std::uint8_t* p = buf_.make_space(sizeof(uoffset_t) + s.size() + 1 + pad);
  flatbuffers::WriteScalar(p, static_cast<uoffset_t>(s.size()));
  std::memcpy(p + sizeof(uoffset_t), s.data(), s.size());
  std::uint8_t* tail = p + sizeof(uoffset_t) + s.size();
  for (std::size_t i = 0; i <= pad; ++i) tail[i] = 0;
  if (minalign_ < sizeof(uoffset_t)) minalign_ = sizeof(uoffset_t);
  return Offset<String>(GetSize());
}

// The bytes AttributeBuilder would write for {key, string_value} (type String is the
// default, so not stored), with the vtable shared instead of searched for:
//   table:  [soffset to vtable][uoffset key][uoffset string_value]       12 bytes
//   vtable: [vtable bytes 10][table bytes 12][key at 4][type absent][string_value at 8]
// Positions are the builder's: distances from the end of the buffer, so an object written
// later has a larger one, and a uoffset stored at position P pointing to O holds P - O.
Offset<fb::Attribute> Builder::string_attribute(Offset<String> key,
                                                               Offset<String> value) {
  constexpr std::uint16_t kTableBytes = 12;
  constexpr std::uint16_t kVtable[] = {10, kTableBytes, 4, 0, 8};
  static_assert(fb::Attribute::VT_KEY == 4 && fb::Attribute::VT_TYPE == 6 &&
                fb::Attribute::VT_STRING_VALUE == 8);
  buf_.fill(flatbuffers::PaddingBytes(buf_.size(), sizeof(uoffset_t)));
  std::uint8_t* table = buf_.make_space(kTableBytes);
  const uoffset_t at = GetSize();
  flatbuffers::WriteScalar<uoffset_t>(table + 4, at - 4 - key.o);
  flatbuffers::WriteScalar<uoffset_t>(table + 8, at - 8 - value.o);
  if (string_attribute_vtable_ == 0) {
    std::uint8_t* vtable = buf_.make_space(sizeof(kVtable));
    for (std::size_t i = 0; i < std::size(kVtable); ++i) {
      flatbuffers::WriteScalar<flatbuffers::voffset_t>(vtable + 2 * i, kVtable[i]);
    }
    string_attribute_vtable_ = GetSize();
  }
  // The table finds its vtable at (table address) - soffset. Writing the vtable may have
  // moved the buffer: find the table again by position.
  flatbuffers::WriteScalar<flatbuffers::soffset_t>(
      buf_.data_at(at), static_cast<flatbuffers::soffset_t>(string_attribute_vtable_) -
                            static_cast<flatbuffers::soffset_t>(at));
  return Offset<fb::Attribute>(at);
}

void RecordEncoder::Impl::clear() noexcept {
  fbb_.Clear();
  fbb_.forget_vtables();
}

flatbuffers::Offset<flatbuffers::Vector<Offset<fb::Attribute>>> RecordEncoder::Impl::build_attributes(
    std::span<const Attribute> attributes) {
  if (attributes.empty()) return 0;
  attribute_offsets_.clear();
  for (const Attribute& a : attributes) {
    const Offset<String> key = fbb_.string(a.key);
    const Offset<String> value = a.type == AttributeType::kString ? fbb_.string(a.string_value) : 0;
    if (!key.IsNull() && !value.IsNull()) {
      attribute_offsets_.push_back(fbb_.string_attribute(key, value));
      continue;
    }
    // Only the value field named by the type is written (largest first, as in the tables).
    fb::AttributeBuilder b(fbb_);
    if (a.type == AttributeType::kInt) b.add_int_value(a.int_value);
    if (a.type == AttributeType::kDouble) b.add_double_value(a.double_value);
    b.add_key(key);
    b.add_string_value(value);
    b.add_type(static_cast<fb::AttributeType>(a.type));
    if (a.type == AttributeType::kBool) b.add_bool_value(a.bool_value);
    attribute_offsets_.push_back(b.Finish());
  }
  return fbb_.CreateVector(attribute_offsets_.data(), attribute_offsets_.size());
}

flatbuffers::Offset<flatbuffers::Vector<Offset<fb::SpanEvent>>> RecordEncoder::Impl::build_events(
    std::span<const SpanEvent> events) {
  if (events.empty()) return 0;
  event_offsets_.clear();
  for (const SpanEvent& e : events) {
    const auto attributes = build_attributes(e.attributes);
    const Offset<String> name = fbb_.string(e.name);
    fb::SpanEventBuilder b(fbb_);
    b.add_time_ns(e.time_ns);
    b.add_name(name);
    b.add_attributes(attributes);
    event_offsets_.push_back(b.Finish());
  }
  return fbb_.CreateVector(event_offsets_.data(), event_offsets_.size());
}

void RecordEncoder::Impl::begin() noexcept {
  if (fbb_.capacity() > kRetainedBytes) {
    fbb_.Reset();  // frees the buffer; the next record allocates kInitialBytes again
  }
  constexpr std::size_t kRetainedOffsets = kRetainedBytes / 64;
  if (attribute_offsets_.capacity() > kRetainedOffsets) {
    std::vector<flatbuffers::Offset<fb::Attribute>>().swap(attribute_offsets_);
  }
  if (event_offsets_.capacity() > kRetainedOffsets) {
    std::vector<flatbuffers::Offset<fb::SpanEvent>>().swap(event_offsets_);
  }
  fbb_.Clear();
  fbb_.forget_vtables();
  // FlatBuffers aligns the buffer's start only to the widest scalar written; declaring 8
  // up front (no padding yet: the buffer is empty) makes every record start 8-byte aligned,
  // which readers rely on (verify_encoded) whatever the record holds.
  fbb_.Align(8);
}

template <typename Table>
EncodedRecord RecordEncoder::Impl::finish(RecordKind kind, Priority priority, Offset<Table> root) {
  fbb_.Finish(root);
  return EncodedRecord{kind, priority,
                       std::span<const std::uint8_t>(fbb_.GetBufferPointer(), fbb_.GetSize())};
}

EncodedRecord RecordEncoder::Impl::encode(const Span& s) {
  begin();
  std::size_t content = s.name.size() + s.component_type.size() + s.status_message.size() +
                        s.model.size() + s.input.size() + s.output.size() + s.tool_name.size() +
                        s.tool_input.size() + s.tool_output.size() + content_bytes(s.attributes);
  for (const SpanEvent& e : s.events) {
    content += kAttributeOverheadBytes + e.name.size() + content_bytes(e.attributes);
  }
  if (content > kMaxEncodableContentBytes) return refused(RecordKind::kSpan, s.priority);

  const auto name = fbb_.string(s.name);
  const auto component_type = fbb_.string(s.component_type);
  const auto status_message = fbb_.string(s.status_message);
  const auto attributes = build_attributes(s.attributes);
  const auto model = fbb_.string(s.model);
  const auto input = fbb_.string(s.input);
  const auto output = fbb_.string(s.output);
  const auto tool_name = fbb_.string(s.tool_name);
  const auto tool_input = fbb_.string(s.tool_input);
  const auto tool_output = fbb_.string(s.tool_output);
  const auto events = build_events(s.events);

  const fb::TraceId trace_id = to_fb(s.trace_id);
  const fb::SpanId span_id = to_fb(s.span_id);
  const fb::SpanId parent_span_id = to_fb(s.parent_span_id);
  fb::SpanBuilder b(fbb_);
  b.add_start_ns(s.start_ns);
  b.add_end_ns(s.end_ns);
  b.add_duration_ns(s.end_ns - s.start_ns);
  b.add_input_tokens(s.input_tokens);
  b.add_output_tokens(s.output_tokens);
  if (s.trace_id.valid()) b.add_trace_id(&trace_id);
  if (s.span_id.valid()) b.add_span_id(&span_id);
  if (s.parent_span_id.valid()) b.add_parent_span_id(&parent_span_id);
  b.add_name(name);
  b.add_component_type(component_type);
  b.add_status_message(status_message);
  b.add_attributes(attributes);
  b.add_model(model);
  b.add_input(input);
  b.add_output(output);
  b.add_tool_name(tool_name);
  b.add_tool_input(tool_input);
  b.add_tool_output(tool_output);
  b.add_events(events);
  b.add_type(static_cast<fb::SpanType>(s.type));
  b.add_status(static_cast<fb::SpanStatus>(s.status));
  return finish(RecordKind::kSpan, s.priority, b.Finish());
}

EncodedRecord RecordEncoder::Impl::encode(const LogRecord& l) {
  begin();
  const std::size_t content = l.severity_text.size() + l.body.size() + content_bytes(l.attributes);
  if (content > kMaxEncodableContentBytes) return refused(RecordKind::kLog, l.priority);

  const auto severity_text = fbb_.string(l.severity_text);
  const auto body = fbb_.string(l.body);
  const auto attributes = build_attributes(l.attributes);
  const fb::TraceId trace_id = to_fb(l.trace_id);
  const fb::SpanId span_id = to_fb(l.span_id);
  fb::LogRecordBuilder b(fbb_);
  b.add_time_ns(l.time_ns);
  if (l.trace_id.valid()) b.add_trace_id(&trace_id);
  if (l.span_id.valid()) b.add_span_id(&span_id);
  b.add_severity_number(l.severity_number);
  b.add_severity_text(severity_text);
  b.add_body(body);
  b.add_attributes(attributes);
  return finish(RecordKind::kLog, l.priority, b.Finish());
}

EncodedRecord RecordEncoder::Impl::encode(const Metric& m) {
  begin();
  const std::size_t content = m.name.size() + m.unit.size() + content_bytes(m.attributes) +
                              m.bucket_bounds.size_bytes() + m.bucket_counts.size_bytes();
  if (content > kMaxEncodableContentBytes) return refused(RecordKind::kMetric, m.priority);

  const auto name = fbb_.string(m.name);
  const auto unit = fbb_.string(m.unit);
  Offset<flatbuffers::Vector<double>> bucket_bounds = 0;
  if (!m.bucket_bounds.empty()) {
    bucket_bounds = fbb_.CreateVector(m.bucket_bounds.data(), m.bucket_bounds.size());
  }
  Offset<flatbuffers::Vector<std::uint64_t>> bucket_counts = 0;
  if (!m.bucket_counts.empty()) {
    bucket_counts = fbb_.CreateVector(m.bucket_counts.data(), m.bucket_counts.size());
  }
  const auto attributes = build_attributes(m.attributes);
  fb::MetricBuilder b(fbb_);
  b.add_time_ns(m.time_ns);
  b.add_value(m.value);
  b.add_count(m.count);
  b.add_sum(m.sum);
  b.add_name(name);
  b.add_unit(unit);
  b.add_bucket_bounds(bucket_bounds);
  b.add_bucket_counts(bucket_counts);
  b.add_attributes(attributes);
  b.add_kind(static_cast<fb::MetricKind>(m.kind));
  return finish(RecordKind::kMetric, m.priority, b.Finish());
}

EncodedRecord RecordEncoder::Impl::encode(const RawRecord& r) {
  begin();
  if (r.type_tag.size() + r.data.size() > kMaxEncodableContentBytes) {
    return refused(RecordKind::kRecord, r.priority);
  }
  const auto type_tag = fbb_.string(r.type_tag);
  Offset<flatbuffers::Vector<std::uint8_t>> data = 0;
  if (!r.data.empty()) data = fbb_.CreateVector(r.data.data(), r.data.size());
  fb::RecordBuilder b(fbb_);
  b.add_type_tag(type_tag);
  b.add_data(data);
  return finish(RecordKind::kRecord, r.priority, b.Finish());
}

}  // namespace spool
