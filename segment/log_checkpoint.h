// The checkpoint file: where recovery may start and whether the last close was clean.
// Written atomically (temp file, fsync, rename, fsync dir). 64 bytes, little-endian:
//
//   byte  size  field
//   0     8     magic            "SPOOLCKP"
//   8     4     version          1
//   12    4     flags            bit 0: clean shutdown
//   16    8     log_id
//   24    8     recovery_point   base offset of the first segment that may need a scan;
//                                every segment below it was synced, sealed and indexed
//   32    8     next_offset      next offset to assign (meaningful when clean)
//   40    8     active_data_end  end of the last frame in the active segment (when clean)
//   48    8     boot             XXH3-64 of the kernel boot id when written (0: unknown);
//                                an unclean checkpoint from another boot means the machine
//                                went down, so nothing unsynced can be trusted
//   56    8     checksum         XXH3-64 of bytes 0..55
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace spool::segment {

struct LogCheckpoint {
  static constexpr const char* kFileName = "checkpoint";
  static constexpr std::size_t kBytes = 64;

  std::uint64_t log_id = 0;
  std::uint64_t recovery_point = 0;
  std::uint64_t next_offset = 0;
  std::uint64_t active_data_end = 0;
  std::uint64_t boot = 0;
  bool clean = false;

  // XXH3-64 of the current boot id (0 when it cannot be read).
  static std::uint64_t current_boot();

  void encode(std::uint8_t out[kBytes]) const;
  // nullopt when the bytes are not a valid checkpoint.
  static std::optional<LogCheckpoint> decode(const std::uint8_t* data, std::size_t len);
};

}  // namespace spool::segment
