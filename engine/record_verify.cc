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

}  // namespace

std::string_view record_kind_name(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kRawFrame: return "raw";
    case RecordKind::kSpan: return "span";
    case RecordKind::kLog: return "log";
    case RecordKind::kMetric: return "metric";
    case RecordKind::kRecord: return "record";
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
      return Status::invalid_argument("record kind " +
                                      std::to_string(static_cast<unsigned>(kind)) +
                                      " has no FlatBuffers table to verify");
  }
  // The verifier needs at least the root offset and must not see a size it cannot index.
  if (bytes.size() >= sizeof(flatbuffers::uoffset_t) &&
      bytes.size() < FLATBUFFERS_MAX_BUFFER_SIZE) {
    switch (kind) {
      case RecordKind::kSpan: ok = verifies<fb::Span>(bytes); break;
      case RecordKind::kLog: ok = verifies<fb::LogRecord>(bytes); break;
      case RecordKind::kMetric: ok = verifies<fb::Metric>(bytes); break;
      case RecordKind::kRecord: ok = verifies<fb::Record>(bytes); break;
      default: break;
    }
  }
  if (ok) return Status::ok();
  std::string message = "malformed ";
  message += record_kind_name(kind);
  message += " record: ";
  message += std::to_string(bytes.size());
  message += " bytes are not a valid FlatBuffers ";
  message += record_kind_name(kind);
  message += " table";
  // The verifier also rejects a valid table at a misaligned address; say so, since the fix
  // is then the caller's copy, not the data.
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    message += " (or they are not 8-byte aligned in memory)";
  }
  return Status::corruption(std::move(message));
}

}  // namespace spool
