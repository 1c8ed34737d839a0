// spool's native batch encoding: the bytes a sink receives (zstd-compressed) in
// ForwardBatch::compressed.
//
// Layout, per record in offset order, all integers little-endian, no padding:
//   bytes  0..7   u64 offset
//   bytes  8..15  i64 timestamp_ns   (buffered-at, the frame timestamp)
//   bytes 16..17  u16 kind           (RecordKind: the frame type)
//   bytes 18..19  u16 flags          (frame flags: bits 0-1 priority, others reserved)
//   bytes 20..23  u32 payload bytes  (n)
//   bytes 24..    payload            (n bytes: the FlatBuffers table, or raw bytes)
// The batch is the records back to back; an empty batch is zero bytes. There is no batch
// header: the sink's request carries log id, offsets and count (see spool/sink.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "spool/sink.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr std::size_t kNativeRecordHeaderBytes = 24;

// One record of a decoded batch; payload points into the decoded bytes.
struct NativeRecord {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;
  std::uint16_t kind = 0;   // RecordKind value (kept raw: a receiver may see kinds it predates)
  std::uint16_t flags = 0;  // frame flags (priority_from_flags() reads the priority)
  std::span<const std::uint8_t> payload;
};

// Size of the encoding of `records`.
std::uint64_t native_batch_bytes(std::span<const ForwardRecord> records) noexcept;

// Replaces *out with the encoding of `records` (reusing its capacity). InvalidArgument if a
// payload exceeds 4 GiB - 1 (the u32 length); *out is then left empty.
Status encode_native_batch(std::span<const ForwardRecord> records, std::vector<std::uint8_t>* out);

// Decodes a whole batch. Safe on any input: Corruption (with the byte position) on a
// truncated header, a payload running past the end, or offsets not strictly increasing.
Result<std::vector<NativeRecord>> decode_native_batch(std::span<const std::uint8_t> bytes);

}  // namespace spool::engine
