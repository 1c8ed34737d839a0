// ProtobufReader: walks what ProtobufWriter writes, field by field, and refuses what is not a
// message (truncated keys, varints, fixed fields and lengths; over-long varints; groups).
#include "engine/ingest/protobuf_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/sinks/otlp/protobuf_writer.h"

namespace spool::engine {
namespace {

TEST(ProtobufReaderTest, ReadsEveryWireType) {
  std::string msg;
  StringProtobufWriter w(&msg);
  w.field_varint(1, 300);
  w.field_varint(2, ~std::uint64_t{0});
  w.field_fixed64(3, 0x0102030405060708);
  w.field_double(4, -2.5);
  w.field_string(5, "hello");
  w.key(6, WireType::kFixed32);
  const std::uint8_t four[] = {1, 0, 0, 0x80};
  w.raw(four, 4);
  w.field_varint(0x1fffffff, 1);
  w.finish();

  ProtobufReader r(msg);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 1u);
  EXPECT_EQ(r.wire(), WireType::kVarint);
  EXPECT_EQ(r.number(), 300u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.number(), ~std::uint64_t{0});
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.wire(), WireType::kFixed64);
  EXPECT_EQ(r.number(), 0x0102030405060708u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.as_double(), -2.5);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.wire(), WireType::kLengthDelimited);
  EXPECT_EQ(r.bytes(), "hello");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.wire(), WireType::kFixed32);
  EXPECT_EQ(r.number(), 0x80000001u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 0x1fffffffu);
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.error(), nullptr);
}

TEST(ProtobufReaderTest, RefusesMalformedMessages) {
  const std::string bad[] = {
      std::string("\x80", 1),                                              // truncated key
      std::string("\x08\x80\x80", 3),                                      // truncated varint
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11),     // varint past 64 bits
      std::string("\x09\x01\x02\x03", 4),                                  // truncated fixed64
      std::string("\x0d\x01", 2),                                          // truncated fixed32
      std::string("\x0a\x05" "abc", 5),                                    // length past the end
      std::string("\x0a\xff\xff\xff\xff\x0f", 6),                          // huge length
      std::string("\x0b", 1),                                              // start group
      std::string("\x0c", 1),                                              // end group
      std::string("\x0e", 1),                                              // wire type 6
      std::string("\x00\x01", 2),                                          // field 0
  };
  for (const std::string& msg : bad) {
    ProtobufReader r(msg);
    while (r.next()) {
    }
    EXPECT_NE(r.error(), nullptr) << testing::PrintToString(msg);
  }
}

TEST(ProtobufReaderTest, TakeVarintReadsPackedRuns) {
  std::string run;
  StringProtobufWriter w(&run);
  w.varint(0);
  w.varint(127);
  w.varint(128);
  w.varint(~std::uint64_t{0});
  w.finish();
  std::string_view in = run;
  std::uint64_t v = 0;
  ASSERT_TRUE(ProtobufReader::take_varint(in, v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(ProtobufReader::take_varint(in, v));
  EXPECT_EQ(v, 127u);
  ASSERT_TRUE(ProtobufReader::take_varint(in, v));
  EXPECT_EQ(v, 128u);
  ASSERT_TRUE(ProtobufReader::take_varint(in, v));
  EXPECT_EQ(v, ~std::uint64_t{0});
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(ProtobufReader::take_varint(in, v));
  std::string_view cut("\x80\x80", 2);
  EXPECT_FALSE(ProtobufReader::take_varint(cut, v));
}

}  // namespace
}  // namespace spool::engine
