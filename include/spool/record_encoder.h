// spool::RecordEncoder: serializes the record views of records.h into the FlatBuffers tables
// of records.fbs, on the producer's hot path.
//
//   spool::RecordEncoder encoder;                 // one per thread; reuse it
//   spool::EncodedRecord r = encoder.encode(span);
//   // r.bytes is valid until the next encode() or clear() on this encoder
//
// The encoder owns one FlatBufferBuilder and a few offset scratch arrays and reuses them for
// every record, so once they have grown to the working size (records up to kRetainedBytes),
// encoding allocates nothing. Strings are written as they are (never deduplicated: a lookup per
// string costs more than the bytes it would save on records this size). verify_encoded()
// (record_verify.h) checks such bytes when they come from somewhere less trusted.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "spool/records.h"

namespace spool {

namespace fb {
struct Attribute;
struct SpanEvent;
}  // namespace fb

// Upper bound of the variable-length content (strings, vectors) of one record. FlatBuffers
// offsets are 32-bit and signed in places, so a buffer must stay below 2 GiB; the margin
// covers tables, vtables and padding. Larger records are refused (see encode()).
inline constexpr std::size_t kMaxEncodableContentBytes = std::size_t{1} << 30;

class RecordEncoder {
 public:
  static constexpr std::size_t kInitialBytes = 1024;

  RecordEncoder();
  RecordEncoder(const RecordEncoder&) = delete;
  RecordEncoder& operator=(const RecordEncoder&) = delete;

  // Each returns the record's kind, priority and bytes (a FlatBuffers table of that kind,
  // 8-byte aligned). The bytes stay valid until the next encode() or clear(). A record whose
  // content exceeds kMaxEncodableContentBytes is refused: the result's bytes are empty.
  EncodedRecord encode(const Span& span);
  EncodedRecord encode(const LogRecord& log);
  EncodedRecord encode(const Metric& metric);
  EncodedRecord encode(const RawRecord& record);

  // Memory kept between records. A record that needed more grows the encoder for as long as
  // it is being encoded; the next encode() gives the excess back, so one odd record does not
  // pin megabytes to a producer thread for good.
  static constexpr std::size_t kRetainedBytes = std::size_t{1} << 20;

  // Forgets the last record (its bytes become invalid); the memory is kept for the next.
  void clear() noexcept;

 private:
  // Clears the builder for the next record.
  void begin() noexcept;
  // Vector of Attribute / SpanEvent tables; offset 0 (field left out) when empty.
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>> build_attributes(
      std::span<const Attribute> attributes);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SpanEvent>>> build_events(
      std::span<const SpanEvent> events);
  template <typename Table>
  EncodedRecord finish(RecordKind kind, Priority priority, flatbuffers::Offset<Table> root);

  // FlatBufferBuilder plus a string writer that reserves once and copies once (CreateString
  // makes four separate reservations per string; a span has a dozen strings or more).
  class Builder : public flatbuffers::FlatBufferBuilder {
   public:
    using FlatBufferBuilder::FlatBufferBuilder;
    // CreateString's bytes exactly; offset 0 (field left out) for an empty string.
    flatbuffers::Offset<flatbuffers::String> string(std::string_view s);
    // An Attribute table holding just `key` and `string_value` (both present), written
    // directly: the generic table path (field tracking, vtable build and search) costs
    // several times more, and string attributes are most of every span. All such tables of
    // one record share one vtable; forget_vtables() when starting a new record.
    flatbuffers::Offset<fb::Attribute> string_attribute(
        flatbuffers::Offset<flatbuffers::String> key,
        flatbuffers::Offset<flatbuffers::String> value);
    void forget_vtables() noexcept { string_attribute_vtable_ = 0; }
    std::size_t capacity() const noexcept { return buf_.capacity(); }

   private:
    flatbuffers::uoffset_t string_attribute_vtable_ = 0;  // its position; 0: not written yet
  };

  Builder fbb_;
  std::vector<flatbuffers::Offset<fb::Attribute>> attribute_offsets_;
  std::vector<flatbuffers::Offset<fb::SpanEvent>> event_offsets_;
};

}  // namespace spool
