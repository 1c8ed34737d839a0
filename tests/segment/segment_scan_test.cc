// segment/segment_scan.h: walking a segment image, keeping every intact frame, and
// reporting damage precisely.
#include "segment/segment_scan.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "segment/frame_format.h"
#include "segment/segment_header.h"
#include "support/frames.h"

namespace spool::segment {
namespace {

using spool::testing::build_segment_image;
using spool::testing::encode_test_frame;
using spool::testing::SegmentImage;
using spool::testing::sequential_frames;
using spool::testing::TestFrame;

constexpr std::uint64_t kLogId = 0x5EED5EED5EED5EEDull;
constexpr std::uint64_t kBase = 1000;
constexpr std::uint32_t kMaxPayload = 1 << 16;

struct ScanResult {
  SegmentScan scan;
  std::vector<FrameAt> frames;
};

// Scans an exact-size copy of `bytes` (so ASan catches any read past the end).
ScanResult scan(const std::vector<std::uint8_t>& bytes, std::uint64_t start = kSegmentHeaderBytes,
                std::uint64_t base = kBase, std::uint64_t log_id = kLogId,
                std::uint32_t max_payload = kMaxPayload) {
  std::vector<std::uint8_t> copy = bytes;
  ScanResult r;
  r.scan = scan_frames(copy.data(), copy.size(), start, base, log_id, max_payload,
                       [&](const FrameAt& f) { r.frames.push_back(f); });
  return r;
}

std::vector<std::uint64_t> offsets_of(const ScanResult& r) {
  std::vector<std::uint64_t> out;
  for (const FrameAt& f : r.frames) out.push_back(f.header.offset);
  return out;
}

std::vector<std::uint64_t> offsets_except(std::size_t count, const std::set<std::size_t>& lost) {
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < count; ++i) {
    if (!lost.count(i)) out.push_back(kBase + i);
  }
  return out;
}

// ---------------------------------------------------------------- intact segments

TEST(ScanFrames, VisitsEveryValidFrameInOrder) {
  const auto frames = sequential_frames(kBase, 50);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 4096);
  const ScanResult r = scan(img.bytes);
  ASSERT_EQ(r.frames.size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(r.frames[i].position, img.positions[i]);
    EXPECT_EQ(r.frames[i].header.offset, frames[i].offset);
    EXPECT_EQ(r.frames[i].header.timestamp_ns, frames[i].timestamp_ns);
    EXPECT_EQ(r.frames[i].header.record_type, frames[i].record_type);
    EXPECT_EQ(r.frames[i].header.flags, frames[i].flags);
    EXPECT_EQ(r.frames[i].header.payload_length, frames[i].payload.size());
  }
  EXPECT_EQ(r.scan.summary.record_count, 50u);
  EXPECT_EQ(r.scan.summary.first_offset, kBase);
  EXPECT_EQ(r.scan.summary.last_offset, kBase + 49);
  EXPECT_EQ(r.scan.summary.data_end, img.data_end);
  EXPECT_EQ(r.scan.summary.max_timestamp, frames.back().timestamp_ns);
  EXPECT_TRUE(r.scan.damaged.empty());
  EXPECT_FALSE(r.scan.tail.has_value());
}

TEST(ScanFrames, SegmentFilledToTheLastByteHasNoTail) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 20), 0);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(r.frames.size(), 20u);
  EXPECT_EQ(r.scan.summary.data_end, img.bytes.size());
  EXPECT_TRUE(r.scan.damaged.empty());
  EXPECT_FALSE(r.scan.tail.has_value());
}

TEST(ScanFrames, EmptySegment) {
  const SegmentImage img = build_segment_image(kLogId, kBase, {}, 8192);
  const ScanResult r = scan(img.bytes);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.scan.summary.record_count, 0u);
  EXPECT_EQ(r.scan.summary.data_end, kSegmentHeaderBytes);
  EXPECT_TRUE(r.scan.damaged.empty());
  EXPECT_FALSE(r.scan.tail.has_value());

  const SegmentImage header_only = build_segment_image(kLogId, kBase, {}, 0);
  const ScanResult r2 = scan(header_only.bytes);
  EXPECT_TRUE(r2.frames.empty());
  EXPECT_EQ(r2.scan.summary.data_end, kSegmentHeaderBytes);
  EXPECT_FALSE(r2.scan.tail.has_value());
}

TEST(ScanFrames, StartsWhereAsked) {
  const auto frames = sequential_frames(kBase, 30);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes, img.positions[10]);
  ASSERT_EQ(r.frames.size(), 20u);
  EXPECT_EQ(r.frames.front().header.offset, kBase + 10);
  EXPECT_EQ(r.scan.summary.first_offset, kBase + 10);
  EXPECT_EQ(r.scan.summary.record_count, 20u);
  EXPECT_EQ(r.scan.summary.data_end, img.data_end);
}

TEST(ScanFrames, WorksWithoutACallback) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 10), 64);
  const SegmentScan s = scan_frames(img.bytes.data(), img.bytes.size(), kSegmentHeaderBytes, kBase,
                                    kLogId, kMaxPayload, nullptr);
  EXPECT_EQ(s.summary.record_count, 10u);
}

TEST(ScanFrames, SummaryTakesTheLargestTimestampNotTheLast) {
  auto frames = sequential_frames(kBase, 5);
  frames[1].timestamp_ns = 9'000'000;
  frames[4].timestamp_ns = -7;
  const ScanResult r = scan(build_segment_image(kLogId, kBase, frames, 128).bytes);
  EXPECT_EQ(r.scan.summary.max_timestamp, 9'000'000);
}

TEST(ScanFrames, OffsetGapsAreAllowed) {
  // Offsets must increase, not be dense (records before a gap may have been damaged).
  std::vector<TestFrame> frames = sequential_frames(kBase, 4);
  frames[2].offset = kBase + 100;
  frames[3].offset = kBase + 101;
  const ScanResult r = scan(build_segment_image(kLogId, kBase, frames, 128).bytes);
  EXPECT_EQ(offsets_of(r), (std::vector<std::uint64_t>{kBase, kBase + 1, kBase + 100, kBase + 101}));
  EXPECT_TRUE(r.scan.damaged.empty());
}

// ---------------------------------------------------------------- damage between frames

TEST(ScanFrames, AFlipInAMiddleFrameCostsExactlyThatFrame) {
  const auto frames = sequential_frames(kBase, 40);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 1024);
  for (std::size_t k : {1u, 17u, 38u}) {
    const std::uint64_t from = img.positions[k];
    const std::uint64_t to = img.positions[k + 1];
    const std::uint64_t covered = kFrameHeaderBytes + frames[k].payload.size();
    for (std::uint64_t byte = from; byte < from + covered; ++byte) {
      std::vector<std::uint8_t> bad = img.bytes;
      bad[byte] ^= 0x04;
      const ScanResult r = scan(bad);
      ASSERT_EQ(offsets_of(r), offsets_except(40, {k})) << "frame " << k << ", byte " << byte;
      ASSERT_EQ(r.scan.damaged.size(), 1u) << "frame " << k << ", byte " << byte;
      EXPECT_EQ(r.scan.damaged[0].segment_base, kBase);
      EXPECT_EQ(r.scan.damaged[0].from_byte, from) << "byte " << byte;
      EXPECT_EQ(r.scan.damaged[0].to_byte, to) << "byte " << byte;
      EXPECT_EQ(r.scan.damaged[0].bytes(), to - from);
      EXPECT_FALSE(r.scan.damaged[0].reason.empty());
      EXPECT_FALSE(r.scan.tail.has_value());
      EXPECT_EQ(r.scan.summary.record_count, 39u);
      EXPECT_EQ(r.scan.summary.data_end, img.data_end);
    }
  }
}

TEST(ScanFrames, DamageToTheFirstFrameIsSkipped) {
  const auto frames = sequential_frames(kBase, 10);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 512);
  std::vector<std::uint8_t> bad = img.bytes;
  bad[img.positions[0] + 2] ^= 0xFF;  // its magic
  const ScanResult r = scan(bad);
  EXPECT_EQ(offsets_of(r), offsets_except(10, {0}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, kSegmentHeaderBytes);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[1]);
  EXPECT_EQ(r.scan.summary.first_offset, kBase + 1);
}

TEST(ScanFrames, AdjacentDamagedFramesFormOneRange) {
  const auto frames = sequential_frames(kBase, 20);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 512);
  std::vector<std::uint8_t> bad = img.bytes;
  bad[img.positions[5] + 45] ^= 1;   // payload of frame 5
  bad[img.positions[6] + 12] ^= 1;   // header of frame 6
  const ScanResult r = scan(bad);
  EXPECT_EQ(offsets_of(r), offsets_except(20, {5, 6}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[5]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[7]);
}

TEST(ScanFrames, SeparateDamageGivesSeparateRanges) {
  const auto frames = sequential_frames(kBase, 30);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 512);
  std::vector<std::uint8_t> bad = img.bytes;
  for (std::size_t k : {3u, 12u, 25u}) bad[img.positions[k] + 20] ^= 0x10;  // timestamps
  const ScanResult r = scan(bad);
  EXPECT_EQ(offsets_of(r), offsets_except(30, {3, 12, 25}));
  ASSERT_EQ(r.scan.damaged.size(), 3u);
  std::size_t i = 0;
  for (std::size_t k : {3u, 12u, 25u}) {
    EXPECT_EQ(r.scan.damaged[i].from_byte, img.positions[k]);
    EXPECT_EQ(r.scan.damaged[i].to_byte, img.positions[k + 1]);
    ++i;
  }
}

TEST(ScanFrames, ZeroedHoleInTheMiddleIsReportedAndSkipped) {
  // A run of zero bytes between valid frames (e.g. a lost page) is damage, not the end.
  const auto frames = sequential_frames(kBase, 20);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 512);
  std::vector<std::uint8_t> bad = img.bytes;
  std::memset(bad.data() + img.positions[8], 0, img.positions[11] - img.positions[8]);
  const ScanResult r = scan(bad);
  EXPECT_EQ(offsets_of(r), offsets_except(20, {8, 9, 10}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[8]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[11]);
}

TEST(ScanFrames, FrameFromAnotherLogIsDamage) {
  const auto frames = sequential_frames(kBase, 6);
  SegmentImage img = build_segment_image(kLogId, kBase, frames, 512);
  // Replace frame 2 by the same record checksummed for another log.
  const std::vector<std::uint8_t> foreign = encode_test_frame(kLogId ^ 1, frames[2]);
  std::memcpy(img.bytes.data() + img.positions[2], foreign.data(), foreign.size());
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(offsets_of(r), offsets_except(6, {2}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[2]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[3]);
}

TEST(ScanFrames, OversizedLengthIsDamage) {
  auto frames = sequential_frames(kBase, 6);
  frames[3].payload = std::string(200, 'L');
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes, kSegmentHeaderBytes, kBase, kLogId, /*max_payload=*/100);
  EXPECT_EQ(offsets_of(r), offsets_except(6, {3}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[3]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[4]);
}

// ---------------------------------------------------------------- offset order

TEST(ScanFrames, OutOfOrderOffsetIsDamage) {
  auto frames = sequential_frames(kBase, 8);
  frames[4].offset = kBase + 1;  // a valid frame whose offset goes backwards
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(offsets_of(r), offsets_except(8, {4}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[4]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[5]);
}

TEST(ScanFrames, RepeatedOffsetIsDamage) {
  auto frames = sequential_frames(kBase, 8);
  frames[5].offset = frames[4].offset;
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(offsets_of(r), offsets_except(8, {5}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[5]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[6]);
}

TEST(ScanFrames, OffsetBelowTheSegmentBaseIsDamage) {
  auto frames = sequential_frames(kBase, 5);
  frames[0].offset = kBase - 1;
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(offsets_of(r), offsets_except(5, {0}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, kSegmentHeaderBytes);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[1]);
}

// Regression (fuzzing): the sparse index keeps offsets relative to the base in 32 bits, and
// offset + 1 must never wrap, so frames outside [base, base + 2^32) are damage.
TEST(ScanFrames, OffsetBeyondTheSegmentSpanIsDamage) {
  auto frames = sequential_frames(kBase, 6);
  frames[2].offset = kBase + kSegmentOffsetSpan;
  frames[3].offset = kBase + kSegmentOffsetSpan + 1;
  frames[4].offset = kBase + 2;  // the scan picks up again with the next in-span frame
  frames[5].offset = kBase + 3;
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(offsets_of(r), (std::vector<std::uint64_t>{kBase, kBase + 1, kBase + 2, kBase + 3}));
  ASSERT_EQ(r.scan.damaged.size(), 1u);
  EXPECT_EQ(r.scan.damaged[0].from_byte, img.positions[2]);
  EXPECT_EQ(r.scan.damaged[0].to_byte, img.positions[4]);
  EXPECT_EQ(r.scan.damaged[0].reason, "offset out of order");
}

TEST(ScanFrames, OffsetsAtTheTopOfTheOffsetSpaceAreDamage) {
  const std::uint64_t base = kOffsetLimit - 2;
  auto frames = sequential_frames(base, 2);  // base and kOffsetLimit - 1: both in the space
  frames.push_back(frames.back());
  frames.back().offset = kOffsetLimit;  // outside it
  const SegmentImage img = build_segment_image(kLogId, base, frames, 64);
  const SegmentScan s = scan_frames(img.bytes.data(), img.bytes.size(), kSegmentHeaderBytes, base,
                                    kLogId, 1 << 20, nullptr);
  EXPECT_EQ(s.summary.record_count, 2u);
  EXPECT_EQ(s.summary.last_offset, kOffsetLimit - 1);
  ASSERT_TRUE(s.tail.has_value());
  EXPECT_EQ(s.tail->from_byte, img.positions[2]);
}

TEST(ScanFrames, OutOfOrderFramesAtTheEndAreATail) {
  auto frames = sequential_frames(kBase, 6);
  frames[5].offset = kBase + 2;
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 256);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(offsets_of(r), offsets_except(6, {5}));
  EXPECT_TRUE(r.scan.damaged.empty());
  ASSERT_TRUE(r.scan.tail.has_value());
  EXPECT_EQ(r.scan.tail->from_byte, img.positions[5]);
  EXPECT_EQ(r.scan.summary.data_end, img.positions[5]);
}

// ---------------------------------------------------------------- the tail

TEST(ScanFrames, ZeroTailIsNotDamage) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 7), 100000);
  const ScanResult r = scan(img.bytes);
  EXPECT_EQ(r.frames.size(), 7u);
  EXPECT_TRUE(r.scan.damaged.empty());
  EXPECT_FALSE(r.scan.tail.has_value());
  EXPECT_EQ(r.scan.summary.data_end, img.data_end);
}

TEST(ScanFrames, GarbageTailIsReportedUpToItsLastNonZeroByte) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 7), 4096);
  for (std::size_t garbage : {1u, 7u, 8u, 9u, 100u, 1000u}) {
    SCOPED_TRACE(garbage);
    std::vector<std::uint8_t> bad = img.bytes;
    for (std::size_t i = 0; i < garbage; ++i) bad[img.data_end + i] = static_cast<std::uint8_t>(0x5A + i);
    bad[img.data_end + garbage - 1] = 0xEE;  // never zero, so the range end is exact
    const ScanResult r = scan(bad);
    EXPECT_EQ(r.frames.size(), 7u);
    EXPECT_TRUE(r.scan.damaged.empty());
    ASSERT_TRUE(r.scan.tail.has_value());
    EXPECT_EQ(r.scan.tail->segment_base, kBase);
    EXPECT_EQ(r.scan.tail->from_byte, img.data_end);
    EXPECT_EQ(r.scan.tail->to_byte, img.data_end + garbage);
    EXPECT_FALSE(r.scan.tail->reason.empty());
    EXPECT_EQ(r.scan.summary.data_end, img.data_end);
  }
}

TEST(ScanFrames, GarbageRunningToTheEndOfTheFile) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 3), 0);
  std::vector<std::uint8_t> bad = img.bytes;
  bad.insert(bad.end(), 13, 0xC3);  // unaligned end
  const ScanResult r = scan(bad);
  ASSERT_TRUE(r.scan.tail.has_value());
  EXPECT_EQ(r.scan.tail->from_byte, img.data_end);
  EXPECT_EQ(r.scan.tail->to_byte, bad.size());
}

TEST(ScanFrames, TornLastFrameIsATailAtEveryCut) {
  // Cut the image (as a crash during the last write would) at every byte of the last frame.
  const auto frames = sequential_frames(kBase, 6);  // frame 5 has a 35-byte payload
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 0);
  const std::uint64_t last = img.positions[5];
  for (std::uint64_t cut = last; cut <= img.data_end; ++cut) {
    std::vector<std::uint8_t> torn(img.bytes.begin(), img.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    const ScanResult r = scan(torn);
    if (cut == img.data_end) {
      EXPECT_EQ(r.frames.size(), 6u);
      EXPECT_FALSE(r.scan.tail.has_value());
      continue;
    }
    EXPECT_EQ(offsets_of(r), offsets_except(5, {})) << "cut " << cut;
    EXPECT_TRUE(r.scan.damaged.empty()) << "cut " << cut;
    EXPECT_EQ(r.scan.summary.data_end, last) << "cut " << cut;
    if (cut == last) {
      EXPECT_FALSE(r.scan.tail.has_value());
    } else {
      ASSERT_TRUE(r.scan.tail.has_value()) << "cut " << cut;
      EXPECT_EQ(r.scan.tail->from_byte, last);
      EXPECT_LE(r.scan.tail->to_byte, cut);
      EXPECT_GT(r.scan.tail->to_byte, last);
    }
  }
}

TEST(ScanFrames, TornLastFrameFollowedByZerosIsATail) {
  // The same crash inside a preallocated segment: the unwritten part reads as zeros.
  const auto frames = sequential_frames(kBase, 6);
  const SegmentImage img = build_segment_image(kLogId, kBase, frames, 4096);
  std::vector<std::uint8_t> bad = img.bytes;
  const std::uint64_t last = img.positions[5];
  std::memset(bad.data() + last + 44, 0, img.data_end - last - 44);  // payload half written
  const ScanResult r = scan(bad);
  EXPECT_EQ(offsets_of(r), offsets_except(5, {}));
  ASSERT_TRUE(r.scan.tail.has_value());
  EXPECT_EQ(r.scan.tail->from_byte, last);
  EXPECT_LE(r.scan.tail->to_byte, last + 44);
  EXPECT_GT(r.scan.tail->to_byte, last);
}

TEST(ScanFrames, CheckNamesAreDistinct) {
  std::set<std::string> names;
  for (FrameCheck c : {FrameCheck::kValid, FrameCheck::kZero, FrameCheck::kBadMagic,
                       FrameCheck::kTruncated, FrameCheck::kTooLarge, FrameCheck::kBadChecksum,
                       FrameCheck::kBadReserved}) {
    const std::string name(frame_check_name(c));
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 7u);
}

// ---------------------------------------------------------------- find_next_frame

std::optional<FrameAt> find_exact(const std::vector<std::uint8_t>& bytes, std::uint64_t position,
                                  std::uint64_t min_offset = kBase) {
  std::vector<std::uint8_t> copy = bytes;
  return find_next_frame(copy.data(), copy.size(), position, kLogId, kMaxPayload, min_offset);
}

TEST(FindNextFrame, FindsTheFrameAtOrAfterThePosition) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 10), 256);
  auto f = find_exact(img.bytes, img.positions[3]);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->position, img.positions[3]);
  EXPECT_EQ(f->header.offset, kBase + 3);

  // From anywhere inside frame 3 the next frame is frame 4, also from unaligned positions.
  for (std::uint64_t p = img.positions[3] + 1; p <= img.positions[4]; ++p) {
    f = find_exact(img.bytes, p);
    ASSERT_TRUE(f.has_value()) << p;
    EXPECT_EQ(f->position, img.positions[4]) << p;
  }
  f = find_exact(img.bytes, 0);  // from the file start: the header is skipped over
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->position, img.positions[0]);
}

TEST(FindNextFrame, RespectsTheMinimumOffset) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 10), 256);
  const auto f = find_exact(img.bytes, kSegmentHeaderBytes, kBase + 6);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.offset, kBase + 6);
  EXPECT_EQ(f->position, img.positions[6]);
  EXPECT_FALSE(find_exact(img.bytes, kSegmentHeaderBytes, kBase + 10).has_value());
}

TEST(FindNextFrame, SkipsFramesThatDoNotValidate) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 10), 256);
  std::vector<std::uint8_t> bad = img.bytes;
  bad[img.positions[2] + 39] ^= 0x20;  // checksum of frame 2
  const auto f = find_exact(bad, img.positions[2]);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->position, img.positions[3]);
}

TEST(FindNextFrame, NothingInZerosGarbageOrPastTheEnd) {
  std::vector<std::uint8_t> zeros(4096, 0);
  EXPECT_FALSE(find_exact(zeros, 0).has_value());
  std::vector<std::uint8_t> garbage(4096);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 7 + 3);
  EXPECT_FALSE(find_exact(garbage, 0).has_value());
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 3), 0);
  EXPECT_FALSE(find_exact(img.bytes, img.data_end).has_value());
  EXPECT_FALSE(find_exact(img.bytes, img.data_end + 1000).has_value());
  EXPECT_FALSE(find_exact({}, 0).has_value());
}

TEST(FindNextFrame, DoesNotAcceptAFrameRunningPastTheEnd) {
  const SegmentImage img = build_segment_image(kLogId, kBase, sequential_frames(kBase, 4), 0);
  std::vector<std::uint8_t> cut(img.bytes.begin(), img.bytes.end() - 1);
  const auto f = find_exact(cut, img.positions[3]);
  EXPECT_FALSE(f.has_value());
}

TEST(FindNextFrame, OnlyLooksAtAlignedPositions) {
  // A valid frame placed at an unaligned position is not a frame of this format.
  const auto frames = sequential_frames(kBase, 1);
  const std::vector<std::uint8_t> enc = encode_test_frame(kLogId, frames[0]);
  std::vector<std::uint8_t> bytes(256, 0);
  std::memcpy(bytes.data() + 68, enc.data(), enc.size());
  EXPECT_FALSE(find_exact(bytes, 64).has_value());
  std::memcpy(bytes.data() + 72, enc.data(), enc.size());
  const auto f = find_exact(bytes, 64);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->position, 72u);
}

}  // namespace
}  // namespace spool::segment
