// segment/segment_header.h: the 64-byte header of every segment file, and segment names.
#include "segment/segment_header.h"

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/little_endian.h"
#include "segment/frame_format.h"

namespace spool::segment {
namespace {

std::vector<std::uint8_t> encoded(const SegmentHeader& h) {
  std::vector<std::uint8_t> out(kSegmentHeaderBytes);
  encode_segment_header(h, out.data());
  return out;
}

HeaderCheck decode_exact(const std::vector<std::uint8_t>& bytes, std::size_t available,
                         SegmentHeader* out) {
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(available));
  return decode_segment_header(copy.data(), copy.size(), out);
}

const SegmentHeader kSample{0xFEEDFACECAFEBEEFull, 1234567, 1'700'000'000'000'000'001};

TEST(SegmentHeader, RoundTrip) {
  for (const SegmentHeader& h :
       {kSample, SegmentHeader{0, 0, 0},
        SegmentHeader{std::numeric_limits<std::uint64_t>::max(),
                      std::numeric_limits<std::uint64_t>::max(), -5}}) {
    SegmentHeader back;
    ASSERT_EQ(decode_exact(encoded(h), kSegmentHeaderBytes, &back), HeaderCheck::kValid);
    EXPECT_EQ(back.log_id, h.log_id);
    EXPECT_EQ(back.base_offset, h.base_offset);
    EXPECT_EQ(back.created_ns, h.created_ns);
  }
}

TEST(SegmentHeader, LayoutMatchesTheDocumentedBytes) {
  const std::vector<std::uint8_t> b = encoded(kSample);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 8), "SPOOLSEG");
  EXPECT_EQ(io::load_u32(b.data() + 8), kFormatVersion);
  EXPECT_EQ(io::load_u32(b.data() + 8), 1u);
  EXPECT_EQ(io::load_u32(b.data() + 12), 64u);
  EXPECT_EQ(io::load_u64(b.data() + 16), kSample.log_id);
  EXPECT_EQ(io::load_u64(b.data() + 24), kSample.base_offset);
  EXPECT_EQ(static_cast<std::int64_t>(io::load_u64(b.data() + 32)), kSample.created_ns);
  for (std::size_t i = 40; i < 56; ++i) EXPECT_EQ(b[i], 0) << "reserved byte " << i;
  EXPECT_EQ(io::load_u64(b.data() + 56), XXH3_64bits(b.data(), 56));
}

TEST(SegmentHeader, EncodeIgnoresWhateverWasInTheBuffer) {
  std::vector<std::uint8_t> b(kSegmentHeaderBytes, 0xCD);
  encode_segment_header(kSample, b.data());
  EXPECT_EQ(b, encoded(kSample));
}

TEST(SegmentHeader, EverySingleByteFlipIsDetected) {
  const std::vector<std::uint8_t> good = encoded(kSample);
  for (std::size_t i = 0; i < kSegmentHeaderBytes; ++i) {
    for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::vector<std::uint8_t> bad = good;
      bad[i] ^= mask;
      SegmentHeader out;
      const HeaderCheck c = decode_exact(bad, bad.size(), &out);
      EXPECT_NE(c, HeaderCheck::kValid) << "byte " << i << " ^ " << int{mask};
      if (i < 8) {
        EXPECT_EQ(c, HeaderCheck::kBadMagic) << "byte " << i;
      } else if (i < 16) {  // version / header size: either complaint is right
        EXPECT_TRUE(c == HeaderCheck::kBadChecksum || c == HeaderCheck::kBadVersion) << i;
      } else {
        EXPECT_EQ(c, HeaderCheck::kBadChecksum) << "byte " << i << " ^ " << int{mask};
      }
    }
  }
}

TEST(SegmentHeader, OtherVersionWithValidChecksumIsBadVersion) {
  std::vector<std::uint8_t> b = encoded(kSample);
  io::store_u32(b.data() + 8, kFormatVersion + 1);
  io::store_u64(b.data() + 56, XXH3_64bits(b.data(), 56));
  SegmentHeader out;
  EXPECT_EQ(decode_exact(b, b.size(), &out), HeaderCheck::kBadVersion);

  b = encoded(kSample);
  io::store_u32(b.data() + 12, 128);  // another header size
  io::store_u64(b.data() + 56, XXH3_64bits(b.data(), 56));
  EXPECT_EQ(decode_exact(b, b.size(), &out), HeaderCheck::kBadVersion);
}

TEST(SegmentHeader, AllZeroIsUnwritten) {
  std::vector<std::uint8_t> zeros(kSegmentHeaderBytes, 0);
  SegmentHeader out;
  EXPECT_EQ(decode_exact(zeros, zeros.size(), &out), HeaderCheck::kZero);
  // One non-zero byte anywhere makes it something else (here: a bad magic).
  zeros[63] = 1;
  EXPECT_EQ(decode_exact(zeros, zeros.size(), &out), HeaderCheck::kBadMagic);
}

TEST(SegmentHeader, ShortInputIsTruncated) {
  const std::vector<std::uint8_t> b = encoded(kSample);
  SegmentHeader out;
  for (std::size_t n = 0; n < kSegmentHeaderBytes; ++n) {
    EXPECT_EQ(decode_exact(b, n, &out), HeaderCheck::kTruncated) << n;
  }
}

TEST(SegmentHeader, CheckNamesAreDistinct) {
  std::set<std::string> names;
  for (HeaderCheck c : {HeaderCheck::kValid, HeaderCheck::kZero, HeaderCheck::kBadMagic,
                        HeaderCheck::kBadVersion, HeaderCheck::kBadChecksum,
                        HeaderCheck::kTruncated}) {
    const std::string name(header_check_name(c));
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 6u);
}

// ---------------------------------------------------------------- file names

TEST(SegmentFileName, IsTwentyZeroPaddedDigits) {
  EXPECT_EQ(segment_file_name(0), "00000000000000000000.seg");
  EXPECT_EQ(segment_file_name(1234), "00000000000000001234.seg");
  EXPECT_EQ(segment_file_name(std::numeric_limits<std::uint64_t>::max()),
            "18446744073709551615.seg");
  EXPECT_EQ(index_file_name(0), "00000000000000000000.idx");
  EXPECT_EQ(index_file_name(987654321), "00000000000987654321.idx");
  EXPECT_EQ(index_file_name(std::numeric_limits<std::uint64_t>::max()),
            "18446744073709551615.idx");
}

TEST(SegmentFileName, NamesSortLikeTheirOffsets) {
  const std::vector<std::uint64_t> offsets = {0, 9, 10, 99, 100, 123456789, 1ull << 40,
                                              std::numeric_limits<std::uint64_t>::max()};
  for (std::size_t i = 1; i < offsets.size(); ++i) {
    EXPECT_LT(segment_file_name(offsets[i - 1]), segment_file_name(offsets[i]));
  }
}

TEST(ParseSegmentFileName, RoundTrips) {
  for (std::uint64_t v : std::vector<std::uint64_t>{0, 1, 1234, 4611686018427387904ull, kOffsetLimit - 1}) {
    const auto parsed = parse_segment_file_name(segment_file_name(v));
    ASSERT_TRUE(parsed.has_value()) << v;
    EXPECT_EQ(*parsed, v);
  }
}

TEST(ParseSegmentFileName, RejectsWrongLength) {
  EXPECT_FALSE(parse_segment_file_name(""));
  EXPECT_FALSE(parse_segment_file_name(".seg"));
  EXPECT_FALSE(parse_segment_file_name("0.seg"));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000000.seg"));    // 19 digits
  EXPECT_FALSE(parse_segment_file_name("000000000000000000000.seg"));  // 21 digits
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000"));       // no suffix
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000.seg "));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000.seg.deleted"));
}

TEST(ParseSegmentFileName, RejectsOtherSuffixes) {
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000.idx"));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000.SEG"));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000xseg"));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000000.sega"));
}

TEST(ParseSegmentFileName, RejectsNonDigits) {
  EXPECT_FALSE(parse_segment_file_name("0000000000000000000a.seg"));
  EXPECT_FALSE(parse_segment_file_name("a0000000000000000000.seg"));
  EXPECT_FALSE(parse_segment_file_name("-0000000000000000001.seg"));
  EXPECT_FALSE(parse_segment_file_name("+0000000000000000001.seg"));
  EXPECT_FALSE(parse_segment_file_name(" 0000000000000000001.seg"));
  EXPECT_FALSE(parse_segment_file_name("0000000000/000000001.seg"));
  EXPECT_FALSE(parse_segment_file_name("0000000000:000000001.seg"));
  std::string with_nul = "00000000000000000001.seg";
  with_nul[5] = '\0';
  EXPECT_FALSE(parse_segment_file_name(with_nul));
}

TEST(ParseSegmentFileName, RejectsBasesOutsideTheOffsetSpace) {
  // Offsets stop below 2^63 so that offset + 1 can never wrap (regression: a segment named
  // 18446744073709551615.seg made the next offset wrap to 0).
  EXPECT_TRUE(parse_segment_file_name("09223372036854775807.seg"));
  EXPECT_FALSE(parse_segment_file_name("09223372036854775808.seg"));
  EXPECT_FALSE(parse_segment_file_name("18446744073709551615.seg"));
  EXPECT_FALSE(parse_segment_file_name("18446744073709551616.seg"));
  EXPECT_FALSE(parse_segment_file_name("18446744073709551620.seg"));
  EXPECT_FALSE(parse_segment_file_name("18446744073709551700.seg"));
  EXPECT_FALSE(parse_segment_file_name("19000000000000000000.seg"));
  EXPECT_FALSE(parse_segment_file_name("99999999999999999999.seg"));
}

}  // namespace
}  // namespace spool::segment
