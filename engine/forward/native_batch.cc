#include "engine/forward/native_batch.h"

#include <cstring>
#include <limits>
#include <string>

namespace spool::engine {
namespace {

// Byte-wise so the encoding is little-endian on any host and needs no alignment.
void put_le(std::uint8_t* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

std::uint64_t native_batch_bytes(std::span<const ForwardRecord> records) noexcept {
  std::uint64_t total = 0;
  for (const ForwardRecord& r : records) total += kNativeRecordHeaderBytes + r.payload.size();
  return total;
}

Status encode_native_batch(std::span<const ForwardRecord> records, std::vector<std::uint8_t>* out) {
  out->clear();
  for (const ForwardRecord& r : records) {
    if (r.payload.size() > std::numeric_limits<std::uint32_t>::max()) {
      return Status::invalid_argument("record at offset " + std::to_string(r.offset) + " has a payload of " +
                                      std::to_string(r.payload.size()) +
                                      " bytes: too large for the native batch encoding (u32 length)");
    }
  }
  out->resize(static_cast<std::size_t>(native_batch_bytes(records)));
  std::uint8_t* p = out->data();
  for (const ForwardRecord& r : records) {
    put_le(p, r.offset, 8);
    put_le(p + 8, static_cast<std::uint64_t>(r.timestamp_ns), 8);
    put_le(p + 16, static_cast<std::uint16_t>(r.kind), 2);
    put_le(p + 18, frame_flags_for(r.priority), 2);
    put_le(p + 20, r.payload.size(), 4);
    if (!r.payload.empty()) std::memcpy(p + kNativeRecordHeaderBytes, r.payload.data(), r.payload.size());
    p += kNativeRecordHeaderBytes + r.payload.size();
  }
  return Status::ok();
}

Result<std::vector<NativeRecord>> decode_native_batch(std::span<const std::uint8_t> bytes) {
  std::vector<NativeRecord> records;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t left = bytes.size() - pos;
    if (left < kNativeRecordHeaderBytes) {
      return Status::corruption("native batch: truncated record header at byte " + std::to_string(pos) + " (" +
                                std::to_string(left) + " of " + std::to_string(kNativeRecordHeaderBytes) +
                                " bytes)");
    }
    const std::uint8_t* p = bytes.data() + pos;
    NativeRecord r;
    r.offset = get_le(p, 8);
    r.timestamp_ns = static_cast<std::int64_t>(get_le(p + 8, 8));
    r.kind = static_cast<std::uint16_t>(get_le(p + 16, 2));
    r.flags = static_cast<std::uint16_t>(get_le(p + 18, 2));
    const std::uint64_t n = get_le(p + 20, 4);
    if (n > left - kNativeRecordHeaderBytes) {
      return Status::corruption("native batch: record at byte " + std::to_string(pos) + " claims " +
                                std::to_string(n) + " payload bytes but only " +
                                std::to_string(left - kNativeRecordHeaderBytes) + " remain");
    }
    if (!records.empty() && r.offset <= records.back().offset) {
      return Status::corruption("native batch: offset " + std::to_string(r.offset) + " at byte " +
                                std::to_string(pos) + " does not follow offset " +
                                std::to_string(records.back().offset));
    }
    r.payload = bytes.subspan(pos + kNativeRecordHeaderBytes, static_cast<std::size_t>(n));
    records.push_back(r);
    pos += kNativeRecordHeaderBytes + static_cast<std::size_t>(n);
  }
  return records;
}

}  // namespace spool::engine
