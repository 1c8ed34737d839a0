// LogImage: the files of a log directory built from a LogSpec, and what recovery of that
// directory must find.
//
// Besides the bytes, the builder works out an oracle:
//   - `reference`: every frame that is intact in the final files (found by probing every
//     8-byte-aligned position with check_frame) and inside its segment's offset span, in
//     log order;
//   - `honest`: whether the directory's metadata tells the truth and its offsets are in
//     order. An index or checkpoint that decodes but is not byte-for-byte what the writer
//     would have written (forged fields under a valid checksum, or raw fuzzer bytes that
//     happen to validate), a segment header of another log, frames whose offsets go
//     backwards or overlap the next segment, or intact frames the generator did not write
//     (a checksum the fuzzer forged through comparison feedback) all make it dishonest.
//     Recovery trusts checksummed metadata by design (that is what makes a clean restart
//     skip scanning), so on a dishonest directory only the invariants that hold whatever
//     the metadata says are checked: no crash, no read outside a mapping, offsets handed
//     out in order, a log that reopens.
//   - `log_id_known`: recovery can learn the log id (from a checkpoint or a segment
//     header); otherwise it picks a fresh one and no old frame validates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "log_spec.h"
#include "spool/options.h"

namespace spool::fuzz {

// The log id every generated frame and header carries.
inline constexpr std::uint64_t kFuzzLogId = 0x5EEDF00D0DDBA11ull;
// Timestamp of the first generated frame (2023-11-14, in ns).
inline constexpr std::int64_t kFirstTimestampNs = 1'700'000'000'000'000'000;

struct ImageFile {
  std::string name;
  std::vector<std::uint8_t> bytes;
  bool directory = false;  // an empty directory named `name` with one file inside
};

// One record as the log hands it out, for comparisons.
struct Record {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::string payload;
  bool operator==(const Record&) const = default;
};

struct LogImage {
  LogOptions options;  // for the first read-write open
  std::vector<ImageFile> files;
  std::vector<Record> reference;
  bool honest = true;
  bool log_id_known = false;
  std::string relaxed_because;  // why `honest` is false (for crash reports)
};

// The format's offset rules as the oracle states them (independently of segment/, which
// documents them in segment_header.h): offsets live in [0, kOffsetSpaceEnd), so
// `offset + 1` never wraps and a segment file named beyond it is not part of the log; a
// segment holds offsets [base, base + kSegmentOffsetSpan), because its index keeps them
// relative to the base in 32 bits. Frames outside those ranges are damage.
inline constexpr std::uint64_t kOffsetSpaceEnd = 1ull << 63;
inline constexpr std::uint64_t kSegmentOffsetSpan = 1ull << 32;

LogImage build_log_image(const LogSpec& spec);

// Writes the image into `dir` (which must exist and be empty). Returns false on an OS error.
bool write_log_image(const std::string& dir, const LogImage& image);

// The payload bytes the generator uses for a record: printable, deterministic.
std::string generated_payload(std::uint64_t seed, std::size_t length);

}  // namespace spool::fuzz
