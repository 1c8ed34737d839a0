// engine/forward/native_batch.h: the documented byte layout, round trips, and malformed inputs
// refused with Corruption (never read past the end).
#include "engine/forward/native_batch.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(NativeBatchTest, LayoutIsLittleEndianByteForByte) {
  const std::string payload = "abc";
  ForwardRecord r;
  r.offset = 0x0102030405060708ull;
  r.timestamp_ns = -2;  // 0xFFFF...FE
  r.kind = RecordKind::kMetric;
  r.priority = Priority::kCritical;
  r.payload = bytes_of(payload);
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(encode_native_batch({&r, 1}, &out).is_ok());
  const std::vector<std::uint8_t> expected = {
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // offset
      0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // timestamp_ns
      0x03, 0x00,                                      // kind
      0x03, 0x00,                                      // flags (priority critical)
      0x03, 0x00, 0x00, 0x00,                          // payload bytes
      'a',  'b',  'c'};
  EXPECT_EQ(out, expected);
  EXPECT_EQ(native_batch_bytes({&r, 1}), expected.size());
}

TEST(NativeBatchTest, RoundTrip) {
  const std::vector<std::string> payloads = {"", "x", std::string(1000, '\xAB'), "hello world"};
  std::vector<ForwardRecord> records;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    ForwardRecord r;
    r.offset = 100 + i * 7;  // gaps are fine
    r.timestamp_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i);
    r.kind = static_cast<RecordKind>(i);
    r.priority = static_cast<Priority>(i % 4);
    r.payload = bytes_of(payloads[i]);
    records.push_back(r);
  }
  std::vector<std::uint8_t> out = {1, 2, 3};  // replaced, not appended to
  ASSERT_TRUE(encode_native_batch(records, &out).is_ok());
  ASSERT_EQ(out.size(), native_batch_bytes(records));
  auto decoded = decode_native_batch(out);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const NativeRecord& d = (*decoded)[i];
    EXPECT_EQ(d.offset, records[i].offset);
    EXPECT_EQ(d.timestamp_ns, records[i].timestamp_ns);
    EXPECT_EQ(d.kind, static_cast<std::uint16_t>(records[i].kind));
    EXPECT_EQ(priority_from_flags(d.flags), records[i].priority);
    EXPECT_EQ(std::string(d.payload.begin(), d.payload.end()), payloads[i]);
  }
}

TEST(NativeBatchTest, EmptyBatchIsZeroBytes) {
  std::vector<std::uint8_t> out = {9};
  ASSERT_TRUE(encode_native_batch({}, &out).is_ok());
  EXPECT_TRUE(out.empty());
  auto decoded = decode_native_batch(out);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_TRUE(decoded->empty());
}

class NativeBatchMalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ForwardRecord a, b;
    a.offset = 1;
    a.payload = bytes_of(p1_);
    b.offset = 2;
    b.payload = bytes_of(p2_);
    const ForwardRecord records[] = {a, b};
    ASSERT_TRUE(encode_native_batch(records, &good_).is_ok());
  }
  static void expect_corruption(const std::vector<std::uint8_t>& bytes) {
    auto decoded = decode_native_batch(bytes);
    ASSERT_FALSE(decoded.is_ok());
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    EXPECT_FALSE(decoded.status().message().empty());
  }
  std::string p1_ = "first", p2_ = "second";
  std::vector<std::uint8_t> good_;
};

TEST_F(NativeBatchMalformedTest, EveryTruncationIsRefused) {
  // Cuts on a record boundary decode (fewer records); any other cut is Corruption.
  const std::size_t boundary = kNativeRecordHeaderBytes + p1_.size();
  for (std::size_t n = 1; n < good_.size(); ++n) {
    std::vector<std::uint8_t> cut(good_.begin(), good_.begin() + static_cast<std::ptrdiff_t>(n));
    if (n == boundary) {
      auto decoded = decode_native_batch(cut);
      ASSERT_TRUE(decoded.is_ok());
      EXPECT_EQ(decoded->size(), 1u);
    } else {
      expect_corruption(cut);
    }
  }
}

TEST_F(NativeBatchMalformedTest, PayloadLengthBeyondTheEnd) {
  std::vector<std::uint8_t> bad = good_;
  bad[20] = 0xFF;
  bad[21] = 0xFF;
  bad[22] = 0xFF;
  bad[23] = 0xFF;  // 4 GiB - 1
  expect_corruption(bad);
}

TEST_F(NativeBatchMalformedTest, OffsetsMustIncrease) {
  std::vector<std::uint8_t> bad = good_;
  bad[kNativeRecordHeaderBytes + p1_.size()] = 1;  // second record's offset := 1
  expect_corruption(bad);
}

TEST_F(NativeBatchMalformedTest, TrailingGarbage) {
  std::vector<std::uint8_t> bad = good_;
  bad.push_back(0);
  expect_corruption(bad);
}

}  // namespace
}  // namespace spool::engine
