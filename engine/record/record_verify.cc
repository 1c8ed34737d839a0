// verify_encoded: the FlatBuffers verifier, per record kind, with errors a reader can act on.
#include "spool/record_verify.h"

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string>

#include "spool/records_generated.h"

namespace spool {

namespace {

// Deeper nesting than a span's events' attributes (3 tables) is never written; the bound
// keeps a crafted buffer from recursing far.
constexpr flatbuffers::uoffset_t kMaxDepth = 16;
// A table per attribute: a span with 100k attributes is already absurd.
constexpr flatbuffers::uoffset_t kMaxTables = 1'000'000;

template <typename Table>
bool verifies(std::span<const std::uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), kMaxDepth, kMaxTables);
  return verifier.VerifyBuffer<Table>(nullptr);
}

// The verifier checks a vector's length prefix for 4-byte alignment but not its elements
// for theirs, so a crafted buffer can place 8-byte numbers 4 bytes off, and the accessors
// would read them misaligned (undefined behaviour). RecordEncoder always aligns them.
template <typename T>
bool elements_aligned(const flatbuffers::Vector<T>* v) {
  return v == nullptr || reinterpret_cast<std::uintptr_t>(v->data()) % alignof(T) == 0;
}

bool metric_verifies(std::span<const std::uint8_t> bytes) {
  if (!verifies<fb::Metric>(bytes)) return false;
  const fb::Metric* m = flatbuffers::GetRoot<fb::Metric>(bytes.data());
  return elements_aligned(m->bucket_bounds()) && elements_aligned(m->bucket_counts());
}

}  // namespace

std::string_view priority_name(Priority priority) noexcept {
  switch (priority) {
    case Priority::kLow: return "low";
    case Priority::kNormal: return "normal";
    case Priority::kHigh: return "high";
    case Priority::kCritical: return "critical";
  }
  return "normal";  // unreachable: priority_from_flags() keeps two bits
}

std::string_view record_kind_name(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kRawFrame:
      return "raw";
    case RecordKind::kSpan:
      return "span";
    case RecordKind::kLog:
      return "log";
    case RecordKind::kMetric:
      return "metric";
    case RecordKind::kRecord:
      return "record";
  }
  return "unknown";
}

Status verify_encoded(RecordKind kind, std::span<const std::uint8_t> bytes) {
  bool ok = false;
  switch (kind) {
    case RecordKind::kSpan:
    case RecordKind::kLog:
    case RecordKind::kMetric:
    case RecordKind::kRecord:
      break;
    default:
      return Status::invalid_argument("record kind " + std::to_string(static_cast<unsigned>(kind)) +
                                      " has no FlatBuffers table to verify");
  }
  if (bytes.size() < sizeof(flatbuffers::uoffset_t)) {
    return Status::corruption("malformed " + std::string(record_kind_name(kind)) +
                              " record: " + std::to_string(bytes.size()) +
                              " bytes cannot hold a FlatBuffers table");
  }
  // The verifier checks alignment relative to the start of the buffer, and the accessors
  // read scalars in place, so the start itself must be aligned for the widest scalar (8).
  // Log payloads and RecordEncoder output are; a caller's copy may not be.
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    return Status::invalid_argument(std::string(record_kind_name(kind)) +
                                    " record bytes are not 8-byte aligned in memory; "
                                    "copy them to aligned memory before verifying");
  }
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return Status::corruption("malformed " + std::string(record_kind_name(kind)) + " record: " +
                              std::to_string(bytes.size()) + " bytes exceed the 2 GiB limit");
  }
  switch (kind) {
    case RecordKind::kSpan:
      ok = verifies<fb::Span>(bytes);
      break;
    case RecordKind::kLog:
      ok = verifies<fb::LogRecord>(bytes);
      break;
    case RecordKind::kMetric:
      ok = metric_verifies(bytes);
      break;
    case RecordKind::kRecord:
      ok = verifies<fb::Record>(bytes);
      break;
    default:
      break;
  }
  if (ok) return Status::ok();
  std::string message = "malformed ";
  message += record_kind_name(kind);
  message += " record: ";
  message += std::to_string(bytes.size());
  message += " bytes are not a valid FlatBuffers ";
  message += record_kind_name(kind);
  message +=
      " table (an offset, string or vector points outside them or is misaligned, or nesting is "
      "too deep)";
  return Status::corruption(std::move(message));
}

}  // namespace spool
