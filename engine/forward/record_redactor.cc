// RecordRedactor: the walk over a record's fields and attributes, first to see whether any
// rule applies (touches_*), then to rebuild the table with the rules applied (copy_*).
//
// FlatBuffers builds back to front and forbids nesting, so every string, vector and child
// table is created before the table that refers to it starts; child tables wait on one
// offset stack (a list's children above its mark) until their vector is written.
#include "engine/forward/record_redactor.h"

#include <flatbuffers/flatbuffers.h>

#include <charconv>
#include <cstring>

#include "engine/forward/utf8_cut.h"
#include "spool/record_verify.h"
#include "spool/records_generated.h"

namespace spool::engine {

namespace {

using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::uoffset_t;
using flatbuffers::Vector;
using AttributeVector = Vector<Offset<fb::Attribute>>;

constexpr std::size_t kInitialBuilderBytes = 1024;

std::string_view view(const String* s) noexcept {
  return s == nullptr ? std::string_view() : s->string_view();
}

bool is_table_kind(RecordKind kind) noexcept {
  return kind == RecordKind::kSpan || kind == RecordKind::kLog || kind == RecordKind::kMetric ||
         kind == RecordKind::kRecord;
}

}  // namespace

struct RecordRedactor::Impl {
  Impl(const RedactionPlan& p, HmacSha256* h) : plan(p), hash(h), fbb(kInitialBuilderBytes) {}

  const RedactionPlan& plan;
  HmacSha256* hash;
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uoffset_t> stack;        // child tables waiting for their vector
  std::string name;                    // the dotted name of the attribute being looked at
  std::string hashed;                  // scratch for hash text
  std::vector<std::uint64_t> aligned;  // a misaligned payload's aligned copy

  // ---- does any rule apply? ------------------------------------------------------------

  bool touches(RedactedField f, bool present) const noexcept {
    return present && plan.field(f) != nullptr;
  }

  // `name` holds the attribute's name on entry (and again on return).
  bool touches(const fb::Attribute& a) {
    if (plan.attribute(name) != nullptr) return true;
    const AttributeVector* values = a.values();
    if (values == nullptr) return false;
    const bool kvlist = a.type() == fb::AttributeType::KvList;
    for (const fb::Attribute* child : *values) {
      const std::size_t mark = name.size();
      if (kvlist) (name += '.') += view(child->key());
      const bool hit = touches(*child);
      name.resize(mark);
      if (hit) return true;
    }
    return false;
  }

  bool touches(const AttributeVector* list) {
    if (list == nullptr || !plan.has_attribute_rules()) return false;
    for (const fb::Attribute* a : *list) {
      name.assign(view(a->key()));
      if (touches(*a)) return true;
    }
    return false;
  }

  template <typename Origin>  // Resource, Scope
  bool touches_origin(const Origin* o) {
    return o != nullptr && touches(o->attributes());
  }

  bool touches(const fb::Span& s) {
    if (touches(RedactedField::kInput, s.input() != nullptr) ||
        touches(RedactedField::kOutput, s.output() != nullptr) ||
        touches(RedactedField::kToolInput, s.tool_input() != nullptr) ||
        touches(RedactedField::kToolOutput, s.tool_output() != nullptr) ||
        touches(s.attributes()) || touches_origin(s.resource()) || touches_origin(s.scope())) {
      return true;
    }
    if (s.events() != nullptr) {
      for (const fb::SpanEvent* e : *s.events())
        if (touches(e->attributes())) return true;
    }
    if (s.links() != nullptr) {
      for (const fb::SpanLink* l : *s.links())
        if (touches(l->attributes())) return true;
    }
    return false;
  }

  bool touches(const fb::LogRecord& l) {
    return touches(RedactedField::kBody, l.body() != nullptr || l.body_value() != nullptr) ||
           touches(l.attributes()) || touches_origin(l.resource()) || touches_origin(l.scope());
  }

  bool touches(const fb::Metric& m) {
    return touches(m.attributes()) || touches_origin(m.resource()) || touches_origin(m.scope());
  }

  // ---- values --------------------------------------------------------------------------

  // The hash text of `bytes` in `hashed`; false if libcrypto failed (the value is then left out).
  bool hash_into(std::span<const std::uint8_t> bytes) {
    return hash != nullptr && hash->text(bytes, &hashed);
  }
  bool hash_into(std::string_view text) {
    return hash_into(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }

  // A string field under `rule` (nullptr: copied). Offset 0: left out.
  Offset<String> string(const String* s, const RedactionRule* rule) {
    if (s == nullptr) return 0;
    if (rule == nullptr) return fbb.CreateString(s);
    switch (rule->action) {
      case RedactAction::kDrop:
        return 0;
      case RedactAction::kHash:
        if (s->size() == 0) return fbb.CreateString(s);
        if (!hash_into(s->string_view())) return 0;
        return fbb.CreateString(hashed);
      case RedactAction::kTruncate:
        return fbb.CreateString(s->c_str(), utf8_cut(s->string_view(), rule->truncate_bytes));
    }
    return 0;
  }

  // A byte vector under `rule`: hashed, its hash text's bytes.
  Offset<Vector<std::uint8_t>> bytes(const Vector<std::uint8_t>* v, const RedactionRule* rule) {
    if (v == nullptr) return 0;
    std::size_t n = v->size();
    if (rule != nullptr) {
      switch (rule->action) {
        case RedactAction::kDrop:
          return 0;
        case RedactAction::kHash:
          if (n == 0) break;
          if (!hash_into(std::span(v->data(), n))) return 0;
          return fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(hashed.data()),
                                  hashed.size());
        case RedactAction::kTruncate:
          n = std::min<std::size_t>(n, rule->truncate_bytes);
          break;
      }
    }
    return fbb.CreateVector(v->data(), n);
  }

  // The hash text of a number or bool, as redaction.h defines it; false if not one.
  bool hash_scalar(const fb::Attribute& a) {
    char text[32];
    std::to_chars_result r{text, std::errc()};
    switch (a.type()) {
      case fb::AttributeType::Int:
        r = std::to_chars(text, text + sizeof text, a.int_value());
        break;
      case fb::AttributeType::Double:
        r = std::to_chars(text, text + sizeof text, a.double_value());
        break;
      case fb::AttributeType::Bool:
        return hash_into(a.bool_value() ? std::string_view("true") : std::string_view("false"));
      default:
        return false;
    }
    return r.ec == std::errc() &&
           hash_into(std::string_view(text, static_cast<std::size_t>(r.ptr - text)));
  }

  // ---- attributes ----------------------------------------------------------------------

  // The vector of the children pushed since `mark`; offset 0 when none, unless `keep_empty`.
  Offset<AttributeVector> take(std::size_t mark, bool keep_empty = false) {
    const std::size_t n = stack.size() - mark;
    if (n == 0 && !keep_empty) return 0;
    fbb.StartVector(n, sizeof(Offset<fb::Attribute>));
    for (std::size_t i = n; i-- > 0;) fbb.PushElement(Offset<fb::Attribute>(stack[mark + i]));
    stack.resize(mark);
    return Offset<AttributeVector>(fbb.EndVector(n));
  }

  // The copy of one attribute (offset 0: dropped). `inherited`: the rule of its parent (or
  // the body's); `by_name`: whether attribute rules apply (not inside a log body). `name`
  // holds its dotted name on entry and again on return.
  Offset<fb::Attribute> attribute(const fb::Attribute& a, const RedactionRule* inherited,
                                  bool by_name) {
    const RedactionRule* rule = inherited;
    if (by_name) {
      if (const RedactionRule* own = plan.attribute(name)) rule = own;
    }
    if (rule != nullptr && rule->action == RedactAction::kDrop) return 0;
    Offset<AttributeVector> values = 0;
    if (a.values() != nullptr) {
      const bool kvlist = a.type() == fb::AttributeType::KvList;
      const std::size_t mark = stack.size();
      for (const fb::Attribute* child : *a.values()) {
        const std::size_t name_mark = name.size();
        if (kvlist && by_name) (name += '.') += view(child->key());
        const Offset<fb::Attribute> copy = attribute(*child, rule, by_name);
        name.resize(name_mark);
        if (!copy.IsNull()) stack.push_back(copy.o);
      }
      // An array or list whose elements were all dropped stays, empty.
      values = take(mark, true);
    }
    fb::AttributeType type = a.type();
    const bool known = type <= fb::AttributeType::Empty;
    const bool hashes = rule != nullptr && rule->action == RedactAction::kHash;
    const bool truncates = rule != nullptr && rule->action == RedactAction::kTruncate;
    // A type this version does not know cannot be hashed: it is left out.
    if (hashes && !known) return 0;
    Offset<String> text = 0;
    Offset<Vector<std::uint8_t>> raw = 0;
    bool scalars = true;  // int, double and bool copied
    if (hashes && (type == fb::AttributeType::Int || type == fb::AttributeType::Double ||
                   type == fb::AttributeType::Bool)) {
      if (!hash_scalar(a)) return 0;
      text = fbb.CreateString(hashed);
      type = fb::AttributeType::String;
      scalars = false;
    } else if (hashes && type == fb::AttributeType::Bytes && a.bytes_value() != nullptr &&
               a.bytes_value()->size() > 0) {
      if (!hash_into(std::span(a.bytes_value()->data(), a.bytes_value()->size()))) return 0;
      text = fbb.CreateString(hashed);
      type = fb::AttributeType::String;
    } else {
      text = string(a.string_value(), hashes || truncates ? rule : nullptr);
      if (hashes && a.string_value() != nullptr && text.IsNull()) return 0;  // hash failed
      raw = bytes(a.bytes_value(), truncates ? rule : nullptr);
    }
    const Offset<String> key = fbb.CreateString(a.key());
    fb::AttributeBuilder b(fbb);
    b.add_key(key);
    b.add_type(type);
    b.add_string_value(text);
    if (scalars) {
      b.add_int_value(a.int_value());
      b.add_double_value(a.double_value());
      b.add_bool_value(a.bool_value());
    }
    b.add_bytes_value(raw);
    b.add_values(values);
    return b.Finish();
  }

  // A record's (event's, link's, resource's, scope's) attributes; offset 0 when none is left
  // (absent and empty read the same).
  Offset<AttributeVector> attributes(const AttributeVector* list) {
    if (list == nullptr) return 0;
    const std::size_t mark = stack.size();
    for (const fb::Attribute* a : *list) {
      name.assign(view(a->key()));
      const Offset<fb::Attribute> copy = attribute(*a, nullptr, true);
      if (!copy.IsNull()) stack.push_back(copy.o);
    }
    return take(mark);
  }

  // ---- tables --------------------------------------------------------------------------

  Offset<fb::Resource> resource(const fb::Resource* r) {
    if (r == nullptr) return 0;
    const auto attrs = attributes(r->attributes());
    const auto url = fbb.CreateString(r->schema_url());
    fb::ResourceBuilder b(fbb);
    b.add_attributes(attrs);
    b.add_dropped_attributes_count(r->dropped_attributes_count());
    b.add_schema_url(url);
    return b.Finish();
  }

  Offset<fb::Scope> scope(const fb::Scope* s) {
    if (s == nullptr) return 0;
    const auto name_ = fbb.CreateString(s->name());
    const auto version = fbb.CreateString(s->version());
    const auto attrs = attributes(s->attributes());
    const auto url = fbb.CreateString(s->schema_url());
    fb::ScopeBuilder b(fbb);
    b.add_name(name_);
    b.add_version(version);
    b.add_attributes(attrs);
    b.add_dropped_attributes_count(s->dropped_attributes_count());
    b.add_schema_url(url);
    return b.Finish();
  }

  Offset<Vector<Offset<fb::SpanEvent>>> events(const Vector<Offset<fb::SpanEvent>>* list) {
    if (list == nullptr) return 0;
    std::vector<Offset<fb::SpanEvent>> copies;
    copies.reserve(list->size());
    for (const fb::SpanEvent* e : *list) {
      const auto n = fbb.CreateString(e->name());
      const auto attrs = attributes(e->attributes());
      fb::SpanEventBuilder b(fbb);
      b.add_name(n);
      b.add_time_ns(e->time_ns());
      b.add_attributes(attrs);
      b.add_dropped_attributes_count(e->dropped_attributes_count());
      copies.push_back(b.Finish());
    }
    return fbb.CreateVector(copies);
  }

  Offset<Vector<Offset<fb::SpanLink>>> links(const Vector<Offset<fb::SpanLink>>* list) {
    if (list == nullptr) return 0;
    std::vector<Offset<fb::SpanLink>> copies;
    copies.reserve(list->size());
    for (const fb::SpanLink* l : *list) {
      const auto state = fbb.CreateString(l->trace_state());
      const auto attrs = attributes(l->attributes());
      fb::SpanLinkBuilder b(fbb);
      b.add_trace_id(l->trace_id());
      b.add_span_id(l->span_id());
      b.add_trace_state(state);
      b.add_attributes(attrs);
      b.add_dropped_attributes_count(l->dropped_attributes_count());
      b.add_flags(l->flags());
      copies.push_back(b.Finish());
    }
    return fbb.CreateVector(copies);
  }

  Offset<fb::Span> span(const fb::Span& s) {
    const auto name_ = fbb.CreateString(s.name());
    const auto component_type = fbb.CreateString(s.component_type());
    const auto status_message = fbb.CreateString(s.status_message());
    const auto attrs = attributes(s.attributes());
    const auto model = fbb.CreateString(s.model());
    const auto input = string(s.input(), plan.field(RedactedField::kInput));
    const auto output = string(s.output(), plan.field(RedactedField::kOutput));
    const auto tool_name = fbb.CreateString(s.tool_name());
    const auto tool_input = string(s.tool_input(), plan.field(RedactedField::kToolInput));
    const auto tool_output = string(s.tool_output(), plan.field(RedactedField::kToolOutput));
    const auto events_ = events(s.events());
    const auto trace_state = fbb.CreateString(s.trace_state());
    const auto links_ = links(s.links());
    const auto resource_ = resource(s.resource());
    const auto scope_ = scope(s.scope());
    fb::SpanBuilder b(fbb);
    b.add_trace_id(s.trace_id());
    b.add_span_id(s.span_id());
    b.add_parent_span_id(s.parent_span_id());
    b.add_name(name_);
    b.add_type(s.type());
    b.add_component_type(component_type);
    b.add_start_ns(s.start_ns());
    b.add_end_ns(s.end_ns());
    b.add_duration_ns(s.duration_ns());
    b.add_status(s.status());
    b.add_status_message(status_message);
    b.add_attributes(attrs);
    b.add_model(model);
    b.add_input(input);
    b.add_output(output);
    b.add_input_tokens(s.input_tokens());
    b.add_output_tokens(s.output_tokens());
    b.add_tool_name(tool_name);
    b.add_tool_input(tool_input);
    b.add_tool_output(tool_output);
    b.add_events(events_);
    b.add_kind(s.kind());
    b.add_trace_state(trace_state);
    b.add_flags(s.flags());
    b.add_links(links_);
    b.add_dropped_attributes_count(s.dropped_attributes_count());
    b.add_dropped_events_count(s.dropped_events_count());
    b.add_dropped_links_count(s.dropped_links_count());
    b.add_resource(resource_);
    b.add_scope(scope_);
    return b.Finish();
  }

  Offset<fb::LogRecord> log(const fb::LogRecord& l) {
    const RedactionRule* body_rule = plan.field(RedactedField::kBody);
    const auto severity_text = fbb.CreateString(l.severity_text());
    const auto body = string(l.body(), body_rule);
    const auto attrs = attributes(l.attributes());
    const auto event_name = fbb.CreateString(l.event_name());
    Offset<fb::Attribute> body_value = 0;
    if (l.body_value() != nullptr) {
      name.clear();
      body_value = attribute(*l.body_value(), body_rule, false);
    }
    const auto resource_ = resource(l.resource());
    const auto scope_ = scope(l.scope());
    fb::LogRecordBuilder b(fbb);
    b.add_time_ns(l.time_ns());
    b.add_severity_number(l.severity_number());
    b.add_severity_text(severity_text);
    b.add_body(body);
    b.add_attributes(attrs);
    b.add_trace_id(l.trace_id());
    b.add_span_id(l.span_id());
    b.add_observed_time_ns(l.observed_time_ns());
    b.add_flags(l.flags());
    b.add_dropped_attributes_count(l.dropped_attributes_count());
    b.add_event_name(event_name);
    b.add_body_value(body_value);
    b.add_resource(resource_);
    b.add_scope(scope_);
    return b.Finish();
  }

  template <typename T>
  Offset<Vector<T>> numbers(const Vector<T>* v) {
    return v == nullptr ? 0 : fbb.CreateVector(v->data(), v->size());
  }

  Offset<fb::Metric> metric(const fb::Metric& m) {
    const auto name_ = fbb.CreateString(m.name());
    const auto unit = fbb.CreateString(m.unit());
    const auto bucket_bounds = numbers(m.bucket_bounds());
    const auto bucket_counts = numbers(m.bucket_counts());
    const auto attrs = attributes(m.attributes());
    const auto description = fbb.CreateString(m.description());
    const auto quantiles = numbers(m.quantiles());
    const auto quantile_values = numbers(m.quantile_values());
    const auto positive = numbers(m.positive_bucket_counts());
    const auto negative = numbers(m.negative_bucket_counts());
    const auto resource_ = resource(m.resource());
    const auto scope_ = scope(m.scope());
    fb::MetricBuilder b(fbb);
    b.add_name(name_);
    b.add_unit(unit);
    b.add_kind(m.kind());
    b.add_time_ns(m.time_ns());
    b.add_value(m.value());
    b.add_count(m.count());
    b.add_sum(m.sum());
    b.add_bucket_bounds(bucket_bounds);
    b.add_bucket_counts(bucket_counts);
    b.add_attributes(attrs);
    b.add_description(description);
    b.add_start_time_ns(m.start_time_ns());
    b.add_temporality(m.temporality());
    b.add_not_monotonic(m.not_monotonic());
    b.add_value_is_int(m.value_is_int());
    b.add_int_value(m.int_value());
    b.add_flags(m.flags());
    b.add_min(m.min());
    b.add_max(m.max());
    b.add_has_min(m.has_min());
    b.add_has_max(m.has_max());
    b.add_quantiles(quantiles);
    b.add_quantile_values(quantile_values);
    b.add_scale(m.scale());
    b.add_zero_count(m.zero_count());
    b.add_zero_threshold(m.zero_threshold());
    b.add_positive_offset(m.positive_offset());
    b.add_positive_bucket_counts(positive);
    b.add_negative_offset(m.negative_offset());
    b.add_negative_bucket_counts(negative);
    b.add_resource(resource_);
    b.add_scope(scope_);
    return b.Finish();
  }

  Offset<fb::Record> record(const fb::Record& r) {
    const auto tag = fbb.CreateString(r.type_tag());
    const auto data = bytes(r.data(), plan.field(RedactedField::kData));
    fb::RecordBuilder b(fbb);
    b.add_type_tag(tag);
    b.add_data(data);
    return b.Finish();
  }

  // ---- one record ----------------------------------------------------------------------

  template <typename Table, typename Copy>
  Outcome rebuild(const std::uint8_t* bytes, bool touched, Copy copy) {
    if (!touched) return Outcome::kUnchanged;
    fbb.Clear();
    stack.clear();
    fbb.Finish(copy(*flatbuffers::GetRoot<Table>(bytes)));
    return Outcome::kRedacted;
  }

  Outcome redact(RecordKind kind, std::span<const std::uint8_t> payload) {
    if (!is_table_kind(kind)) return Outcome::kUnchanged;  // raw bytes: no fields to name
    // The verifier (and the accessors) need the table 8-byte aligned.
    if (!payload.empty() && reinterpret_cast<std::uintptr_t>(payload.data()) % 8 != 0) {
      aligned.resize((payload.size() + 7) / 8);
      std::memcpy(aligned.data(), payload.data(), payload.size());
      payload = {reinterpret_cast<const std::uint8_t*>(aligned.data()), payload.size()};
    }
    if (!verify_encoded(kind, payload)) return Outcome::kWithheld;
    const std::uint8_t* p = payload.data();
    switch (kind) {
      case RecordKind::kSpan: {
        const auto& s = *flatbuffers::GetRoot<fb::Span>(p);
        return rebuild<fb::Span>(p, touches(s), [this](const fb::Span& t) { return span(t); });
      }
      case RecordKind::kLog: {
        const auto& l = *flatbuffers::GetRoot<fb::LogRecord>(p);
        return rebuild<fb::LogRecord>(p, touches(l),
                                      [this](const fb::LogRecord& t) { return log(t); });
      }
      case RecordKind::kMetric: {
        const auto& m = *flatbuffers::GetRoot<fb::Metric>(p);
        return rebuild<fb::Metric>(p, touches(m),
                                   [this](const fb::Metric& t) { return metric(t); });
      }
      case RecordKind::kRecord: {
        const auto& r = *flatbuffers::GetRoot<fb::Record>(p);
        return rebuild<fb::Record>(p, touches(RedactedField::kData, r.data() != nullptr),
                                   [this](const fb::Record& t) { return record(t); });
      }
      default:
        return Outcome::kUnchanged;
    }
  }
};

RecordRedactor::RecordRedactor(const RedactionPlan& plan, HmacSha256* hash)
    : impl_(std::make_unique<Impl>(plan, hash)) {}
RecordRedactor::~RecordRedactor() = default;

RecordRedactor::Outcome RecordRedactor::redact(RecordKind kind,
                                               std::span<const std::uint8_t> payload) {
  return impl_->redact(kind, payload);
}

std::span<const std::uint8_t> RecordRedactor::redacted() const noexcept {
  return {impl_->fbb.GetBufferPointer(), impl_->fbb.GetSize()};
}

}  // namespace spool::engine
