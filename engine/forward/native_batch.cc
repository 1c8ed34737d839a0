#include "engine/forward/native_batch.h"

#include <cstring>
#include <limits>
#include <string>

#include "io/little_endian.h"

namespace spool::engine {

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
    io::store_u64(p, r.offset);
    io::store_u64(p + 8, static_cast<std::uint64_t>(r.timestamp_ns));
    io::store_u16(p + 16, static_cast<std::uint16_t>(r.kind));
    io::store_u16(p + 18, frame_flags_for(r.priority));
    io::store_u32(p + 20, static_cast<std::uint32_t>(r.payload.size()));
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
    r.offset = io::load_u64(p);
    r.timestamp_ns = static_cast<std::int64_t>(io::load_u64(p + 8));
    r.kind = io::load_u16(p + 16);
    r.flags = io::load_u16(p + 18);
    const std::uint64_t n = io::load_u32(p + 20);
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
