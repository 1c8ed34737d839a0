// segment/frame_format.h: one record on disk, and telling a valid frame from anything else.
#include "segment/frame_format.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/little_endian.h"
#include "support/frames.h"

namespace spool::segment {
namespace {

using spool::testing::as_bytes;
using spool::testing::encode_test_frame;
using spool::testing::TestFrame;

constexpr std::uint64_t kLogId = 0x0123456789ABCDEFull;
constexpr std::uint32_t kMaxPayload = 1 << 20;

TestFrame sample(std::size_t payload_len) {
  TestFrame f;
  f.offset = 4242;
  f.timestamp_ns = 1'700'000'000'123'456'789;
  f.record_type = 7;
  f.flags = 0x8001;
  f.payload.resize(payload_len);
  for (std::size_t i = 0; i < payload_len; ++i) f.payload[i] = static_cast<char>(i * 37 + 1);
  return f;
}

// check_frame on an exact-size heap copy, so reading one byte too far is caught by ASan.
FrameCheck check_exact(const std::vector<std::uint8_t>& bytes, std::size_t available,
                       std::uint64_t log_id = kLogId, std::uint32_t max_payload = kMaxPayload,
                       FrameHeader* out = nullptr) {
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(available));
  FrameHeader scratch;
  return check_frame(copy.data(), copy.size(), log_id, max_payload, out ? out : &scratch);
}

TEST(FrameSize, IsHeaderPlusPayloadRoundedUpToEight) {
  EXPECT_EQ(frame_size(0), 40u);
  EXPECT_EQ(frame_size(1), 48u);
  EXPECT_EQ(frame_size(7), 48u);
  EXPECT_EQ(frame_size(8), 48u);
  EXPECT_EQ(frame_size(9), 56u);
  EXPECT_EQ(frame_size(4u << 20), 40u + (4u << 20));
  for (std::uint64_t n = 0; n < 300; ++n) {
    const std::uint64_t s = frame_size(n);
    EXPECT_EQ(s % kFrameAlignment, 0u) << n;
    EXPECT_GE(s, kFrameHeaderBytes + n) << n;
    EXPECT_LT(s, kFrameHeaderBytes + n + kFrameAlignment) << n;
  }
  static_assert(frame_size(0) == kFrameHeaderBytes);
}

TEST(FrameEncode, LayoutMatchesTheDocumentedBytes) {
  const TestFrame f = sample(13);
  const std::vector<std::uint8_t> b = encode_test_frame(kLogId, f);
  ASSERT_EQ(b.size(), 56u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 4), "FLPS");
  EXPECT_EQ(io::load_u32(b.data()), kFrameMagic);
  EXPECT_EQ(io::load_u32(b.data() + 4), 13u);
  EXPECT_EQ(io::load_u64(b.data() + 8), 4242u);
  EXPECT_EQ(static_cast<std::int64_t>(io::load_u64(b.data() + 16)), f.timestamp_ns);
  std::uint16_t v;
  std::memcpy(&v, b.data() + 24, 2);
  EXPECT_EQ(v, 7);
  std::memcpy(&v, b.data() + 26, 2);
  EXPECT_EQ(v, 0x8001);
  EXPECT_EQ(io::load_u32(b.data() + 28), 0u);
  EXPECT_EQ(std::memcmp(b.data() + 40, f.payload.data(), 13), 0);
  for (std::size_t i = 53; i < 56; ++i) EXPECT_EQ(b[i], 0) << "padding byte " << i;
}

TEST(FrameEncode, PaddingIsZeroedEvenOverGarbage) {
  // encode_test_frame starts from a buffer full of 0xEE; only zeros may remain in padding.
  for (std::size_t n : {1u, 2u, 5u, 7u}) {
    const std::vector<std::uint8_t> b = encode_test_frame(kLogId, sample(n));
    for (std::size_t i = kFrameHeaderBytes + n; i < b.size(); ++i) EXPECT_EQ(b[i], 0) << n;
  }
}

TEST(FrameEncode, HeaderOnlyEncodingMatchesWholeFrame) {
  const TestFrame f = sample(29);
  const std::vector<std::uint8_t> whole = encode_test_frame(kLogId, f);
  std::uint8_t header[kFrameHeaderBytes];
  FrameHeader h{29, f.offset, f.timestamp_ns, f.record_type, f.flags};
  encode_frame_header(header, kLogId, h, as_bytes(f.payload));
  EXPECT_EQ(std::memcmp(header, whole.data(), kFrameHeaderBytes), 0);
}

TEST(FrameCheck, RoundTripsEveryField) {
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 40u, 1000u}) {
    SCOPED_TRACE(n);
    const TestFrame f = sample(n);
    const std::vector<std::uint8_t> b = encode_test_frame(kLogId, f);
    FrameHeader h;
    ASSERT_EQ(check_exact(b, b.size(), kLogId, kMaxPayload, &h), FrameCheck::kValid);
    EXPECT_EQ(h.payload_length, n);
    EXPECT_EQ(h.offset, f.offset);
    EXPECT_EQ(h.timestamp_ns, f.timestamp_ns);
    EXPECT_EQ(h.record_type, f.record_type);
    EXPECT_EQ(h.flags, f.flags);
  }
}

TEST(FrameCheck, RoundTripsExtremeValues) {
  TestFrame f;
  f.offset = std::numeric_limits<std::uint64_t>::max();
  f.timestamp_ns = std::numeric_limits<std::int64_t>::min();
  f.record_type = 0xFFFF;
  f.flags = 0xFFFF;
  f.payload = "x";
  const std::vector<std::uint8_t> b = encode_test_frame(0, f);
  FrameHeader h;
  ASSERT_EQ(check_exact(b, b.size(), 0, kMaxPayload, &h), FrameCheck::kValid);
  EXPECT_EQ(h.offset, f.offset);
  EXPECT_EQ(h.timestamp_ns, f.timestamp_ns);
  EXPECT_EQ(h.record_type, 0xFFFF);
  EXPECT_EQ(h.flags, 0xFFFF);

  f.timestamp_ns = -1;
  const std::vector<std::uint8_t> b2 = encode_test_frame(0, f);
  ASSERT_EQ(check_exact(b2, b2.size(), 0, kMaxPayload, &h), FrameCheck::kValid);
  EXPECT_EQ(h.timestamp_ns, -1);
}

TEST(FrameCheck, ExtraBytesAfterTheFrameAreNotPartOfIt) {
  const TestFrame f = sample(3);
  std::vector<std::uint8_t> b = encode_test_frame(kLogId, f);
  b.resize(b.size() + 100, 0xAB);
  FrameHeader h;
  EXPECT_EQ(check_exact(b, b.size(), kLogId, kMaxPayload, &h), FrameCheck::kValid);
  EXPECT_EQ(h.payload_length, 3u);
}

TEST(FrameCheck, EverySingleByteFlipInHeaderOrPayloadIsDetected) {
  for (std::size_t n : {0u, 1u, 5u, 8u, 64u}) {
    const std::vector<std::uint8_t> good = encode_test_frame(kLogId, sample(n));
    for (std::size_t i = 0; i < kFrameHeaderBytes + n; ++i) {
      for (std::uint8_t mask : {0x01, 0x10, 0x80, 0xFF}) {
        std::vector<std::uint8_t> bad = good;
        bad[i] ^= mask;
        EXPECT_NE(check_exact(bad, bad.size()), FrameCheck::kValid)
            << "payload " << n << ", byte " << i << " ^ " << int{mask};
      }
    }
  }
}

TEST(FrameCheck, FlipsAreClassifiedByWhereTheyLand) {
  const std::vector<std::uint8_t> good = encode_test_frame(kLogId, sample(16));
  auto flipped = [&](std::size_t i) {
    std::vector<std::uint8_t> bad = good;
    bad[i] ^= 0x01;
    return check_exact(bad, bad.size());
  };
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(flipped(i), FrameCheck::kBadMagic) << i;
  for (std::size_t i = 8; i < 28; ++i) EXPECT_EQ(flipped(i), FrameCheck::kBadChecksum) << i;
  for (std::size_t i = 28; i < 32; ++i) EXPECT_EQ(flipped(i), FrameCheck::kBadReserved) << i;
  for (std::size_t i = 32; i < 56; ++i) EXPECT_EQ(flipped(i), FrameCheck::kBadChecksum) << i;
  // A length one larger runs past the available bytes (56 = frame_size(16) < frame_size(17)).
  EXPECT_EQ(flipped(4), FrameCheck::kTruncated);
}

TEST(FrameCheck, PaddingBytesAreNotCoveredByTheChecksum) {
  // Documented behaviour: the checksum covers header and payload only. A flip in the zero
  // padding still validates; the reader never looks at those bytes.
  for (std::size_t n : {1u, 3u, 7u}) {
    const std::vector<std::uint8_t> good = encode_test_frame(kLogId, sample(n));
    ASSERT_GT(good.size(), kFrameHeaderBytes + n);
    for (std::size_t i = kFrameHeaderBytes + n; i < good.size(); ++i) {
      std::vector<std::uint8_t> bad = good;
      bad[i] ^= 0xFF;
      FrameHeader h;
      EXPECT_EQ(check_exact(bad, bad.size(), kLogId, kMaxPayload, &h), FrameCheck::kValid)
          << "payload " << n << ", padding byte " << i;
      EXPECT_EQ(h.payload_length, n);
    }
  }
}

TEST(FrameCheck, WrongLogIdFails) {
  const std::vector<std::uint8_t> b = encode_test_frame(kLogId, sample(20));
  EXPECT_EQ(check_exact(b, b.size(), kLogId + 1), FrameCheck::kBadChecksum);
  EXPECT_EQ(check_exact(b, b.size(), 0), FrameCheck::kBadChecksum);
  EXPECT_EQ(check_exact(b, b.size(), kLogId), FrameCheck::kValid);
}

TEST(FrameCheck, AnythingShorterThanTheFrameIsTruncated) {
  for (std::size_t n : {0u, 5u, 100u}) {
    const std::vector<std::uint8_t> b = encode_test_frame(kLogId, sample(n));
    for (std::size_t avail = 0; avail < b.size(); ++avail) {
      EXPECT_EQ(check_exact(b, avail), FrameCheck::kTruncated)
          << "payload " << n << ", available " << avail;
    }
    EXPECT_EQ(check_exact(b, b.size()), FrameCheck::kValid);
  }
}

TEST(FrameCheck, PayloadAboveTheLimitIsTooLarge) {
  const std::vector<std::uint8_t> b = encode_test_frame(kLogId, sample(100));
  EXPECT_EQ(check_exact(b, b.size(), kLogId, 99), FrameCheck::kTooLarge);
  EXPECT_EQ(check_exact(b, b.size(), kLogId, 100), FrameCheck::kValid);
  // The limit is checked before the length is trusted, so a huge claimed length is
  // reported as too large rather than as a truncated frame.
  std::vector<std::uint8_t> huge = b;
  io::store_u32(huge.data() + 4, 0xFFFFFFF0u);
  EXPECT_EQ(check_exact(huge, huge.size()), FrameCheck::kTooLarge);
}

TEST(FrameCheck, ZeroMagicIsUnwrittenSpace) {
  std::vector<std::uint8_t> zeros(64, 0);
  EXPECT_EQ(check_exact(zeros, 64), FrameCheck::kZero);
  EXPECT_EQ(check_exact(zeros, 4), FrameCheck::kZero);
  // Only the magic decides: a zero magic in front of other bytes is still unwritten space.
  std::vector<std::uint8_t> b = encode_test_frame(kLogId, sample(10));
  std::memset(b.data(), 0, 4);
  EXPECT_EQ(check_exact(b, b.size()), FrameCheck::kZero);
}

TEST(FrameCheck, ForeignMagicIsBadMagic) {
  std::vector<std::uint8_t> b(64, 0xAB);
  EXPECT_EQ(check_exact(b, b.size()), FrameCheck::kBadMagic);
  EXPECT_EQ(check_exact(b, 4), FrameCheck::kBadMagic);
}

TEST(FrameCheck, NonZeroReservedFieldIsRejected) {
  std::vector<std::uint8_t> b = encode_test_frame(kLogId, sample(10));
  io::store_u32(b.data() + 28, 1);
  EXPECT_EQ(check_exact(b, b.size()), FrameCheck::kBadReserved);
}

}  // namespace
}  // namespace spool::segment
