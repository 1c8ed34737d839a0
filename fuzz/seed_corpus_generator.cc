// recovery_seed_generator DIR: writes the seed corpus of recovery_fuzzer into DIR, one file
// per scenario (valid logs of 1-3 segments, torn tails, bit flips, missing / garbage /
// forged indexes, clean / unclean / forged checkpoints, leftovers of interrupted work).
// The committed corpus in fuzz/corpus/recovery/ was produced by this program; rerun it after
// changing log_spec.h and commit the result.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "log_spec.h"

namespace {

using namespace spool::fuzz;

constexpr std::uint8_t kOptPwrite = 0;
constexpr std::uint8_t kOptUring = 2;
constexpr std::uint8_t kOptAuto = 3;
constexpr std::uint8_t kOptSmallRecords = 4;
constexpr std::uint8_t kOptInterval64 = 1 << 3;
constexpr std::uint8_t kOptInterval256 = 2 << 3;
constexpr std::uint8_t kOptSmallSegments = 32;
constexpr std::uint8_t kOptBatchDurability = 64;
constexpr std::uint8_t kOptFullScan = 128;

std::uint8_t u8(IndexMode m) { return static_cast<std::uint8_t>(m); }
std::uint8_t u8(CheckpointMode m) { return static_cast<std::uint8_t>(m); }
std::uint8_t u8(TailMode m) { return static_cast<std::uint8_t>(m); }
std::uint8_t u8(HeaderMode m) { return static_cast<std::uint8_t>(m); }
std::uint8_t u8(BaseMode m) { return static_cast<std::uint8_t>(m); }
std::uint8_t u8(OffsetMode m) { return static_cast<std::uint8_t>(m); }

// `count` frames of assorted sizes, consecutive offsets, increasing timestamps.
SegmentSpec frames_segment(std::size_t count, IndexMode index = IndexMode::kGenuine,
                           std::uint8_t size_salt = 0) {
  SegmentSpec s;
  s.base_mode = u8(BaseMode::kContinue);
  s.header_mode = u8(HeaderMode::kValid);
  s.offset_mode = u8(OffsetMode::kConsecutive);
  for (std::size_t i = 0; i < count; ++i) {
    FrameSpec f;
    f.length = static_cast<std::uint8_t>((i * 37 + size_salt) % 180 + 1);
    f.timestamp = static_cast<std::uint8_t>(1 + i % 5);
    f.type = static_cast<std::uint8_t>(i % 3);
    s.frames.push_back(f);
  }
  s.index_mode = u8(index);
  return s;
}

std::vector<AppendSpec> some_appends(std::size_t n, std::uint8_t length = 40) {
  std::vector<AppendSpec> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(AppendSpec{static_cast<std::uint8_t>(length + i * 11), static_cast<std::uint8_t>(i)});
  }
  return out;
}

LogSpec log_of(std::vector<SegmentSpec> segments, CheckpointMode checkpoint,
               std::uint8_t options = kOptPwrite) {
  LogSpec spec;
  spec.options = options;
  spec.segments = std::move(segments);
  spec.checkpoint.mode = u8(checkpoint);
  spec.appends = some_appends(4);
  spec.batch_mode = 0;
  spec.time_probe = 3;
  return spec;
}

// A sealed log of `n` segments that closed cleanly: indexes everywhere, a clean checkpoint,
// the last segment preallocated.
LogSpec clean_log(std::size_t n, std::uint8_t options = kOptPwrite) {
  std::vector<SegmentSpec> segs;
  for (std::size_t i = 0; i < n; ++i) segs.push_back(frames_segment(8 + i * 5, IndexMode::kGenuine, static_cast<std::uint8_t>(i)));
  segs.back().tail_mode = u8(TailMode::kPreallocated);
  return log_of(std::move(segs), CheckpointMode::kClean, options);
}

void write(const std::string& dir, const std::string& name, const LogSpec& spec) {
  const std::vector<std::uint8_t> bytes = encode_log_spec(spec);
  if (decode_log_spec(bytes).segments.size() != spec.segments.size()) {
    std::fprintf(stderr, "seed %s does not round-trip\n", name.c_str());
    std::exit(1);
  }
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];

  {  // A new, empty directory.
    LogSpec s;
    s.appends = some_appends(6);
    write(dir, "empty-dir", s);
  }
  write(dir, "valid-1-segment-clean", clean_log(1));
  write(dir, "valid-2-segments-clean", clean_log(2));
  write(dir, "valid-3-segments-clean", clean_log(3, kOptInterval64));
  write(dir, "valid-3-segments-uring-batch", clean_log(3, kOptUring | kOptBatchDurability));
  write(dir, "valid-2-segments-auto-fullscan", clean_log(2, kOptAuto | kOptFullScan));

  {  // Crash: unclean checkpoint, the active segment ends in a torn frame.
    LogSpec s = clean_log(2);
    s.checkpoint.mode = u8(CheckpointMode::kUnclean);
    s.checkpoint.recovery_segment = 1;
    s.segments.back().tail_mode = u8(TailMode::kTornFrame);
    s.segments.back().tail_arg = 57;
    s.segments.back().index_mode = u8(IndexMode::kNone);
    write(dir, "torn-tail-unclean", s);
  }
  {  // Crash with no checkpoint at all, torn tail then preallocated zeros.
    LogSpec s = clean_log(1);
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    s.segments.back().tail_mode = u8(TailMode::kTornFrame);
    s.segments.back().tail_arg = 200;
    s.segments.back().index_mode = u8(IndexMode::kNone);
    write(dir, "torn-tail-no-checkpoint", s);
  }
  {  // Garbage after the last frame of the active segment.
    LogSpec s = clean_log(1);
    s.checkpoint.mode = u8(CheckpointMode::kUnclean);
    s.segments.back().tail_mode = u8(TailMode::kGarbage);
    s.segments.back().tail_arg = 90;
    write(dir, "garbage-tail", s);
  }
  {  // Bit flips inside a sealed segment (trusted by its index) and the active one.
    LogSpec s = clean_log(3);
    s.checkpoint.mode = u8(CheckpointMode::kUnclean);
    s.checkpoint.recovery_segment = 2;
    s.segments[1].edits = {EditSpec{300, 0, 0x10}, EditSpec{900, 0, 0x01}};
    s.segments[2].edits = {EditSpec{200, 0, 0x80}};
    write(dir, "bit-flips-sealed-and-active", s);
  }
  {  // Bit flips with a full scan (no checkpoint), and a flipped segment header.
    LogSpec s = clean_log(3);
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    s.segments[0].edits = {EditSpec{5, 0, 0x04}};
    s.segments[1].edits = {EditSpec{128, 2, 0}, EditSpec{700, 1, 0x53}};
    write(dir, "bit-flips-header-full-scan", s);
  }
  {  // Indexes missing; no checkpoint.
    LogSpec s = clean_log(3);
    for (auto& seg : s.segments) seg.index_mode = u8(IndexMode::kNone);
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    write(dir, "missing-indexes", s);
  }
  {  // Garbage and edited indexes under an unclean checkpoint.
    LogSpec s = clean_log(3);
    s.checkpoint.mode = u8(CheckpointMode::kUnclean);
    s.checkpoint.recovery_segment = 2;
    s.segments[0].index_mode = u8(IndexMode::kRaw);
    s.segments[0].index_raw = {'S', 'P', 'O', 'O', 'L', 'I', 'D', 'X', 1, 0, 0, 0, 1, 0, 0, 0};
    s.segments[1].index_mode = u8(IndexMode::kGenuineEdited);
    s.segments[1].index_edits = {EditSpec{30, 0, 0x40}};
    write(dir, "garbage-indexes", s);
  }
  {  // Forged (re-checksummed) index fields and checkpoint fields.
    LogSpec s = clean_log(2);
    s.segments[0].index_mode = u8(IndexMode::kForged);
    s.segments[0].index_forgeries = {ForgerySpec{1, 3}, ForgerySpec{0, 4000}};
    s.checkpoint.mode = u8(CheckpointMode::kForged);
    s.checkpoint.forgeries = {ForgerySpec{2, 5}, ForgerySpec{3, 100}};
    write(dir, "forged-index-and-checkpoint", s);
  }
  {  // Clean checkpoint, but the active segment was cut after the close.
    LogSpec s = clean_log(2);
    s.segments.back().truncate = 300;
    write(dir, "clean-checkpoint-truncated-active", s);
  }
  {  // Checkpoint bytes damaged: recovery must fall back to a full scan.
    LogSpec s = clean_log(2);
    s.checkpoint.edits = {EditSpec{20, 0, 0x01}};
    write(dir, "damaged-checkpoint", s);
  }
  {  // Raw checkpoint bytes.
    LogSpec s = clean_log(1);
    s.checkpoint.mode = u8(CheckpointMode::kRaw);
    s.checkpoint.raw = {'S', 'P', 'O', 'O', 'L', 'C', 'K', 'P', 1, 0, 0, 0, 1};
    write(dir, "raw-checkpoint", s);
  }
  {  // A crash during segment creation: the newest segment's header is unwritten.
    LogSpec s = clean_log(2);
    s.checkpoint.mode = u8(CheckpointMode::kUnclean);
    s.checkpoint.recovery_segment = 0;
    SegmentSpec fresh;
    fresh.header_mode = u8(HeaderMode::kZero);
    fresh.tail_mode = u8(TailMode::kPreallocated);
    s.segments.push_back(fresh);
    write(dir, "unwritten-new-segment", s);
  }
  {  // The newest segment file is shorter than a header.
    LogSpec s = clean_log(1);
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    SegmentSpec cut_short;
    cut_short.truncate = 20;
    s.segments.push_back(cut_short);
    write(dir, "short-new-segment", s);
  }
  {  // Headers of another log, with the wrong base, with bad magic.
    LogSpec s = clean_log(3);
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    s.segments[0].header_mode = u8(HeaderMode::kWrongBase);
    s.segments[1].header_mode = u8(HeaderMode::kBadMagic);
    s.segments[2].header_mode = u8(HeaderMode::kOtherLog);
    write(dir, "bad-headers", s);
  }
  {  // Leftovers of interrupted deletions and atomic writes, a stale LOCK.
    LogSpec s = clean_log(2);
    s.strays = 0xFF;
    write(dir, "leftovers", s);
  }
  {  // Offsets with gaps, segments with gaps between them.
    LogSpec s = clean_log(3);
    s.segments[0].offset_mode = u8(OffsetMode::kGaps);
    for (std::size_t i = 0; i < s.segments[0].frames.size(); ++i) {
      s.segments[0].frames[i].offset = static_cast<std::uint8_t>(i * 3);
    }
    s.segments[1].base_mode = u8(BaseMode::kGap);
    s.segments[1].base_arg = 50;
    s.segments[2].base_mode = u8(BaseMode::kAbsolute);
    s.segments[2].base_arg = 1ull << 40;
    write(dir, "offset-gaps", s);
  }
  {  // Offsets that repeat or go backwards; overlapping segments.
    LogSpec s = clean_log(2);
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    s.segments[0].offset_mode = u8(OffsetMode::kSigned);
    for (std::size_t i = 0; i < s.segments[0].frames.size(); ++i) {
      s.segments[0].frames[i].offset = static_cast<std::uint8_t>(i % 3 == 2 ? 0xFF : 1);
    }
    s.segments[1].base_mode = u8(BaseMode::kNearPrevious);
    s.segments[1].base_arg = 3;
    write(dir, "offsets-out-of-order", s);
  }
  {  // Frames larger than max_record_bytes (512), a small index interval.
    LogSpec s = clean_log(2, kOptSmallRecords | kOptInterval64);
    s.segments[0].frames[2].length = 220;  // 800 bytes
    s.segments[1].frames[1].length = 255;  // 2200 bytes
    write(dir, "oversized-frames", s);
  }
  {  // Small segments and batched appends: rotations during the test.
    LogSpec s = clean_log(1, kOptSmallSegments | kOptInterval256);
    s.appends = some_appends(12, 60);
    s.batch_mode = 1;
    write(dir, "rotating-batches", s);
    s.batch_mode = 2;
    s.appends.back() = AppendSpec{255, 1};  // 765 bytes: over max_record_bytes (512)
    s.options |= kOptSmallRecords;
    write(dir, "rotating-batches-oversized", s);
  }
  {  // Raw segment contents.
    LogSpec s;
    SegmentSpec raw;
    raw.raw = 1;
    for (int i = 0; i < 300; ++i) raw.raw_bytes.push_back(static_cast<std::uint8_t>(i * 7));
    s.segments.push_back(raw);
    raw.base_mode = u8(BaseMode::kGap);
    raw.base_arg = 9;
    raw.header_mode = u8(HeaderMode::kZero);
    s.segments.push_back(raw);
    s.appends = some_appends(3);
    write(dir, "raw-segments", s);
  }
  {  // Offsets approaching the end of a segment's 32-bit span; appends must rotate.
    LogSpec s = clean_log(1, kOptSmallSegments | kOptInterval64);
    s.segments[0].offset_mode = u8(OffsetMode::kFar);
    s.segments[0].frames.resize(2);
    s.segments[0].frames[0].offset = 63;  // 63 * 2^26 - 1: 2^26 below the end of the span
    s.segments[0].frames[1].offset = 1;   // 2^32 - 1: the last offset of the span
    s.appends = some_appends(8, 20);
    write(dir, "segment-span-boundary", s);
  }
  {  // The end of the offset space (2^63): the last offsets, then appends that run out.
    LogSpec s = clean_log(1);
    s.segments[0].base_mode = u8(BaseMode::kAbsolute);
    s.segments[0].base_arg = (1ull << 63) - 6;
    s.appends = some_appends(4);
    write(dir, "offset-space-end", s);
    s.segments[0].base_arg = ~0ull;  // a file named beyond the offset space: not a segment
    write(dir, "segment-named-beyond-offset-space", s);
  }
  {  // Damage between the first and second halves of a segment: resync in the middle.
    LogSpec s = clean_log(1, kOptInterval64);
    s.segments[0].frames = frames_segment(30).frames;
    s.segments[0].edits = {EditSpec{1500, 2, 0}, EditSpec{1508, 2, 0}, EditSpec{1516, 2, 0}};
    s.checkpoint.mode = u8(CheckpointMode::kNone);
    write(dir, "resync-mid-segment", s);
  }
  return 0;
}
