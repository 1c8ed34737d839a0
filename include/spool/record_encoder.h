// spool::RecordEncoder: serializes the record views of records.h into the FlatBuffers tables
// of records.fbs, on the producer's hot path.
//
//   spool::RecordEncoder encoder;                 // one per thread; reuse it
//   spool::EncodedRecord r = encoder.encode(span);
//   // r.bytes is valid until the next encode() or clear() on this encoder
//
// The encoder owns one FlatBufferBuilder and a few offset scratch arrays (behind a pointer,
// so this header does not bring FlatBuffers to its users) and reuses them for every record,
// so once they have grown to the working size (records up to kRetainedBytes), encoding
// allocates nothing. Strings are written as they are (never deduplicated: a lookup per
// string costs more than the bytes it would save on records this size). verify_encoded()
// (record_verify.h) checks such bytes when they come from somewhere less trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "spool/records.h"

namespace spool {

// Upper bound of the variable-length content (strings, vectors) of one record. FlatBuffers
// offsets are 32-bit and signed in places, so a buffer must stay below 2 GiB; the margin
// covers tables, vtables and padding. Larger records are refused (see encode()).
inline constexpr std::size_t kMaxEncodableContentBytes = std::size_t{1} << 30;

class RecordEncoder {
 public:
  static constexpr std::size_t kInitialBytes = 1024;

  RecordEncoder();
  ~RecordEncoder();
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
  struct Impl;  // the builder and its scratch arrays (record_encoder.cc)
  std::unique_ptr<Impl> impl_;
};

}  // namespace spool
