// What the protobuf and the JSON request decoders have in common: the scalar fields of an
// OTLP span, log record and data point as each decoder collects them (strings are views into
// the request or its parsed JSON), their validation, their priority, and the one place that
// writes them as the records.fbs tables. Each decoder builds the repeated parts (attributes,
// events, links, buckets) itself, into the same builder, before the table that holds them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "spool/records.h"
#include "spool/records_generated.h"

namespace spool::engine {

// AnyValue may nest arrays and kvlists; a hostile request must not exhaust the stack (nor
// the FlatBuffers verifier's depth limit of 64 tables).
inline constexpr int kMaxAnyValueDepth = 32;

// A trace or span id as received: its length, and its bytes when it fits.
struct ReceivedId {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;
  bool not_hex = false;  // OTLP/JSON: the text is not hex digits

  void set_bytes(std::string_view raw);
  // Lowercase or uppercase hex digits; anything else sets not_hex.
  void set_hex(std::string_view text);
  bool all_zero() const noexcept;
};

// "" when `id` is `want` bytes (or empty and `empty_ok`), else why not ("trace_id is 5 bytes,
// want 16"). An all-zero id of the right length is refused unless `zero_ok`.
std::string id_problem(std::string_view name, const ReceivedId& id, std::size_t want, bool empty_ok,
                       bool zero_ok);

struct SpanFields {
  ReceivedId trace_id;
  ReceivedId span_id;
  ReceivedId parent_span_id;
  std::string_view trace_state;
  std::string_view name;
  std::uint32_t kind = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::uint32_t flags = 0;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
  std::uint32_t dropped_links = 0;
  std::uint32_t status_code = 0;  // Status.code: 0 UNSET, 1 OK, 2 ERROR
  std::string_view status_message;
};

struct LinkFields {
  ReceivedId trace_id;
  ReceivedId span_id;
  std::string_view trace_state;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t flags = 0;
};

struct LogFields {
  std::uint64_t time_ns = 0;
  std::uint64_t observed_time_ns = 0;
  std::int32_t severity_number = 0;
  std::string_view severity_text;
  std::string_view event_name;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t flags = 0;
  ReceivedId trace_id;
  ReceivedId span_id;
};

// A data point of any kind, with what its Metric and the Metric's data message say.
struct PointFields {
  std::string_view name;
  std::string_view description;
  std::string_view unit;
  fb::MetricKind kind = fb::MetricKind::Gauge;
  std::uint32_t temporality = 0;
  bool monotonic = false;
  std::uint64_t start_time_ns = 0;
  std::uint64_t time_ns = 0;
  bool value_is_int = false;
  double value = 0;
  std::int64_t int_value = 0;
  std::uint64_t count = 0;
  double sum = 0;
  std::uint32_t flags = 0;
  bool has_min = false;
  bool has_max = false;
  double min = 0;
  double max = 0;
  std::int32_t scale = 0;
  std::uint64_t zero_count = 0;
  double zero_threshold = 0;
  std::int32_t positive_offset = 0;
  std::int32_t negative_offset = 0;
};

// The repeated parts of a record, already in the builder (offset 0: none).
using AttributeList = flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>>;
using DoubleList = flatbuffers::Offset<flatbuffers::Vector<double>>;
using CountList = flatbuffers::Offset<flatbuffers::Vector<std::uint64_t>>;

struct PointLists {
  AttributeList attributes;
  DoubleList bucket_bounds;
  CountList bucket_counts;
  DoubleList quantiles;
  DoubleList quantile_values;
  CountList positive_bucket_counts;
  CountList negative_bucket_counts;
};

// Why a span or log record is not stored; "" when it is fine.
std::string span_problem(const SpanFields& s);
std::string link_problem(const LinkFields& l);
std::string log_problem(const LogFields& l);

Priority span_priority(const SpanFields& s) noexcept;
Priority log_priority(const LogFields& l) noexcept;

// Builder helpers shared by both decoders.
class OtlpTableWriter {
 public:
  explicit OtlpTableWriter(flatbuffers::FlatBufferBuilder& fbb) : fbb_(fbb) {}
  flatbuffers::FlatBufferBuilder& fbb() noexcept { return fbb_; }

  // Offset 0 (field left out) for an empty string: absent and empty read back the same.
  flatbuffers::Offset<flatbuffers::String> string(std::string_view s);

  // Child tables are pushed on one stack while their parent's fields are collected;
  // mark() / take_*() turn the children pushed since the mark into a vector (offset 0 when
  // none). Nested collections use the same stack above their parent's mark.
  std::size_t mark() const noexcept { return stack_.size(); }
  void push(flatbuffers::uoffset_t child) { stack_.push_back(child); }
  template <typename T>
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<T>>> take(std::size_t mark) {
    const std::size_t n = stack_.size() - mark;
    if (n == 0) return 0;
    fbb_.StartVector(n, sizeof(flatbuffers::Offset<T>));
    for (std::size_t i = n; i-- > 0;) fbb_.PushElement(flatbuffers::Offset<T>(stack_[mark + i]));
    stack_.resize(mark);
    return flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<T>>>(fbb_.EndVector(n));
  }
  void drop(std::size_t mark) { stack_.resize(mark); }
  void reset() { stack_.clear(); }

  // An Attribute with a scalar or string value (AnyValue without children); `values` for
  // arrays and kvlists.
  flatbuffers::uoffset_t attribute(std::string_view key, fb::AttributeType type, std::string_view text,
                                   std::int64_t i, double d, bool b, AttributeList values);

  flatbuffers::Offset<fb::Resource> resource(AttributeList attributes, std::uint32_t dropped,
                                             std::string_view schema_url);
  flatbuffers::Offset<fb::Scope> scope(std::string_view name, std::string_view version,
                                       AttributeList attributes, std::uint32_t dropped,
                                       std::string_view schema_url);
  flatbuffers::uoffset_t event(std::string_view name, std::uint64_t time_ns, AttributeList attributes,
                               std::uint32_t dropped);
  flatbuffers::uoffset_t link(const LinkFields& l, AttributeList attributes);

  flatbuffers::Offset<fb::Span> span(const SpanFields& s, AttributeList attributes,
                                     flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SpanEvent>>> events,
                                     flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SpanLink>>> links,
                                     flatbuffers::Offset<fb::Resource> resource,
                                     flatbuffers::Offset<fb::Scope> scope);
  // `body` is a string body (kept in `body`), `body_value` any other (offset 0: none).
  flatbuffers::Offset<fb::LogRecord> log(const LogFields& l, bool has_string_body, std::string_view body,
                                         flatbuffers::Offset<fb::Attribute> body_value,
                                         AttributeList attributes, flatbuffers::Offset<fb::Resource> resource,
                                         flatbuffers::Offset<fb::Scope> scope);
  flatbuffers::Offset<fb::Metric> point(const PointFields& p, const PointLists& lists,
                                        flatbuffers::Offset<fb::Resource> resource,
                                        flatbuffers::Offset<fb::Scope> scope);

 private:
  flatbuffers::FlatBufferBuilder& fbb_;
  std::vector<flatbuffers::uoffset_t> stack_;
};

// The nouns of the items of a signal, for rejection messages.
struct ItemNouns {
  std::string_view one;
  std::string_view many;
};
inline constexpr ItemNouns kSpanNouns{"span", "spans"};
inline constexpr ItemNouns kLogNouns{"log record", "log records"};

}  // namespace spool::engine
