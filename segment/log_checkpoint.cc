#include "segment/log_checkpoint.h"

#include <xxhash.h>

#include <cstring>

#include "io/boot_id.h"
#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "segment/segment_header.h"

namespace spool::segment {

namespace {
constexpr char kMagic[8] = {'S', 'P', 'O', 'O', 'L', 'C', 'K', 'P'};
constexpr std::uint32_t kVersion = 1;
}  // namespace

void LogCheckpoint::encode(std::uint8_t out[kBytes]) const {
  std::memset(out, 0, kBytes);
  std::memcpy(out, kMagic, 8);
  io::store_u32(out + 8, kVersion);
  io::store_u32(out + 12, clean ? 1u : 0u);
  io::store_u64(out + 16, log_id);
  io::store_u64(out + 24, recovery_point);
  io::store_u64(out + 32, next_offset);
  io::store_u64(out + 40, active_data_end);
  io::store_u64(out + 48, boot);
  io::store_u64(out + 56, XXH3_64bits(out, 56));
}

std::uint64_t LogCheckpoint::current_boot() {
  static const std::uint64_t boot = [] {
    const std::string id = io::boot_id();
    return id.empty() ? std::uint64_t{0} : XXH3_64bits(id.data(), id.size());
  }();
  return boot;
}

std::optional<LogCheckpoint> LogCheckpoint::decode(const std::uint8_t* data, std::size_t len) {
  if (len != kBytes || std::memcmp(data, kMagic, 8) != 0) return std::nullopt;
  if (XXH3_64bits(data, 56) != io::load_u64(data + 56)) return std::nullopt;
  if (io::load_u32(data + 8) != kVersion) return std::nullopt;
  LogCheckpoint c;
  c.clean = (io::load_u32(data + 12) & 1u) != 0;
  c.log_id = io::load_u64(data + 16);
  c.recovery_point = io::load_u64(data + 24);
  c.next_offset = io::load_u64(data + 32);
  c.active_data_end = io::load_u64(data + 40);
  c.boot = io::load_u64(data + 48);
  if (c.next_offset > kOffsetLimit || c.recovery_point >= kOffsetLimit) return std::nullopt;
  return c;
}

}  // namespace spool::segment
