// Verification of serialized records before anything reads them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "spool/records.h"
#include "spool/status.h"

namespace spool {

// "span", "log", "metric", "record", "raw"; "unknown" for any other value.
std::string_view record_kind_name(RecordKind kind) noexcept;
// "low", "normal", "high", "critical".
std::string_view priority_name(Priority priority) noexcept;

// Checks that `bytes` is a well-formed FlatBuffers table of `kind` (records.fbs): every
// offset, string and vector inside the buffer and aligned, nesting bounded. That must hold
// before the accessors of records_generated.h touch untrusted bytes (a payload read back
// from disk, a record handed over by another process). Enum fields are not range-checked:
// readers must accept values that later versions append. Returns Corruption naming the kind
// when the bytes are not such a table; InvalidArgument for a kind without a table
// (kRawFrame or an unknown value) and for bytes not 8-byte aligned in memory (the accessors
// read scalars in place; log payloads and RecordEncoder output always are aligned).
Status verify_encoded(RecordKind kind, std::span<const std::uint8_t> bytes);

}  // namespace spool
