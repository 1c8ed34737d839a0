// LogSpec: what one recovery-fuzzer input describes, and its byte encoding.
//
// A fuzz input is not a raw log directory: it is a small program that says how to build
// one. Segments start either as raw bytes or as valid frames that are then damaged (byte
// edits, a torn or garbage tail, truncation); index files and the checkpoint are either
// missing, raw bytes, genuine (computed from the frames, as the writer would have written
// them), genuine-then-edited, or genuine with fields forged under a correct checksum. This
// lets the fuzzer reach deep recovery states (trusted indexes, clean checkpoints) that a
// byte-level mutator could never reach by guessing XXH3 checksums.
//
// Encoding: fields are read front to back in the order of visit_log_spec(); a missing byte
// reads as zero, so every byte string is a valid input. Counts are taken modulo their
// maximum. The same visitor writes the bytes for the seed corpus generator, so the two can
// never disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace spool::fuzz {

inline constexpr std::size_t kMaxSegments = 5;
inline constexpr std::size_t kMaxFrames = 40;
inline constexpr std::size_t kMaxEdits = 8;
inline constexpr std::size_t kMaxForgeries = 4;
inline constexpr std::size_t kMaxRawSegmentBytes = 6144;
inline constexpr std::size_t kMaxRawIndexBytes = 2048;
inline constexpr std::size_t kMaxRawCheckpointBytes = 96;
inline constexpr std::size_t kMaxAppends = 12;

// One byte-level change to a file image; `position` is taken modulo the file size.
struct EditSpec {
  std::uint16_t position = 0;
  std::uint8_t op = 0;  // % 3: 0 xor (value | 1), 1 set to value, 2 zero 8 bytes
  std::uint8_t value = 0;
};

// One forged field of an index or checkpoint, re-checksummed so the file still decodes.
struct ForgerySpec {
  std::uint8_t field = 0;
  std::uint64_t value = 0;
};

struct FrameSpec {
  std::uint8_t length = 0;  // payload length: < 200 as is, else (v - 200) * 40 (up to 2200)
  std::uint8_t offset = 0;  // per SegmentSpec::offset_mode
  std::uint8_t timestamp = 0;  // signed delta in ms from the previous frame's timestamp
  std::uint8_t type = 0;
};

enum class BaseMode : std::uint8_t {
  kContinue = 0,  // the offset after the previous segment's last frame
  kGap = 1,       // that plus base_arg
  kNearPrevious = 2,  // the previous segment's base plus base_arg (may overlap it)
  kAbsolute = 3,  // base_arg as is (any u64)
};
enum class HeaderMode : std::uint8_t {
  kValid = 0, kZero = 1, kOtherLog = 2, kWrongBase = 3, kBadMagic = 4,
};
enum class OffsetMode : std::uint8_t {
  kConsecutive = 0,  // previous + 1
  kGaps = 1,         // previous + 1 + arg
  kSigned = 2,       // previous + (int8)arg: may repeat or go backwards
  kFar = 3,          // previous + arg * 2^26: reaches 2^32 above the base in a few frames
};
enum class TailMode : std::uint8_t {
  kNone = 0,       // the file ends after the last frame
  kZeros = 1,      // arg * 16 zero bytes (unwritten preallocated space)
  kTornFrame = 2,  // a valid next frame cut short
  kGarbage = 3,    // arg non-zero bytes
  kPreallocated = 4,  // zeros up to 4096 bytes, as a fresh preallocated segment
};
enum class IndexMode : std::uint8_t {
  kNone = 0, kRaw = 1, kGenuine = 2, kGenuineEdited = 3, kForged = 4,
};
enum class CheckpointMode : std::uint8_t {
  kNone = 0, kRaw = 1, kClean = 2, kUnclean = 3, kForged = 4,
};

struct SegmentSpec {
  std::uint8_t base_mode = 0;
  std::uint64_t base_arg = 0;  // u8 for kGap / kNearPrevious, u64 for kAbsolute
  std::uint8_t header_mode = 0;
  std::uint8_t raw = 0;  // % 2: 1 = raw bytes after the header instead of frames
  std::vector<std::uint8_t> raw_bytes;
  std::uint8_t offset_mode = 0;
  std::vector<FrameSpec> frames;
  std::uint8_t tail_mode = 0;
  std::uint8_t tail_arg = 0;
  std::vector<EditSpec> edits;
  std::uint16_t truncate = 0;  // 0: none; else the file is cut to (truncate - 1) bytes at most

  std::uint8_t index_mode = 0;
  std::vector<std::uint8_t> index_raw;
  std::vector<EditSpec> index_edits;
  std::vector<ForgerySpec> index_forgeries;
};

struct CheckpointSpec {
  std::uint8_t mode = 0;
  std::vector<std::uint8_t> raw;
  std::uint8_t recovery_segment = 0;  // kUnclean: index of the segment at the recovery point
  std::vector<ForgerySpec> forgeries;
  std::vector<EditSpec> edits;
};

// Stray files a crash or an operator may leave in the directory.
enum StrayBits : std::uint8_t {
  kStrayDeletedSegment = 1 << 0,  // <base>.seg.deleted (a copy of the first segment)
  kStrayDeletedIndex = 1 << 1,    // <base>.idx.deleted
  kStrayCheckpointTmp = 1 << 2,   // checkpoint.tmp (a half-written checkpoint)
  kStrayOrphanIndex = 1 << 3,     // an .idx without its .seg
  kStrayUnrelated = 1 << 4,       // notes.txt, 123.seg (not a segment name)
  kStrayIndexTmp = 1 << 5,        // <base>.idx.tmp
  kStrayDirectory = 1 << 6,       // a directory named old.deleted
  kStrayLockFile = 1 << 7,        // a stale LOCK file with a dead pid
};

struct AppendSpec {
  std::uint8_t length = 0;  // payload bytes: v * 3
  std::uint8_t type = 0;
};

// Option bits: 0-1 io backend (0,1 pwrite, 2 io_uring, 3 auto); 2 max_record_bytes 512
// (else what a segment holds: 3992, or 920 with 1024-byte segments); 3-4 index interval (4096, 64, 256, 1024); 5 segment_bytes 1024 (else 4096);
// 6 durability batch (else none); 7 full_recovery_scan on the first read-write open.
struct LogSpec {
  std::uint8_t options = 0;
  std::vector<SegmentSpec> segments;
  CheckpointSpec checkpoint;
  std::uint8_t strays = 0;
  std::uint8_t batch_mode = 0;  // % 3: one call per record, one batch, two batches
  std::vector<AppendSpec> appends;
  std::uint8_t time_probe = 0;
};

LogSpec decode_log_spec(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> encode_log_spec(const LogSpec& spec);

}  // namespace spool::fuzz
