// WireBytes: grows keeping what was written, clear() keeps the capacity, assign() copies.
#include "engine/sinks/otlp/wire_bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace spool::engine {
namespace {

TEST(WireBytes, StartsEmpty) {
  WireBytes b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.view(), "");
}

TEST(WireBytes, GrowingKeepsTheBytesBelowTheOldSize) {
  WireBytes b;
  b.assign("protobuf");
  b.resize_for_overwrite(1 << 20);
  EXPECT_EQ(b.size(), 1u << 20);
  EXPECT_GE(b.capacity(), 1u << 20);
  EXPECT_EQ(b.view().substr(0, 8), "protobuf");
  b.resize_for_overwrite(5);
  EXPECT_EQ(b.view(), "proto");
}

TEST(WireBytes, ClearKeepsTheCapacityAndItsAddress) {
  WireBytes b;
  b.resize_for_overwrite(4096);
  const char* at = b.data();
  b.clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 4096u);
  b.resize_for_overwrite(4096);  // within the capacity: no new allocation
  EXPECT_EQ(b.data(), at);
}

TEST(WireBytes, AssignReplacesTheContent) {
  WireBytes b;
  b.assign(std::string(300, 'x'));
  b.assign("ab");
  EXPECT_EQ(b.view(), "ab");
  b.assign("");
  EXPECT_TRUE(b.empty());
}

TEST(WireBytes, MovesItsBytes) {
  WireBytes a;
  a.assign("request");
  WireBytes b = std::move(a);
  EXPECT_EQ(b.view(), "request");
}

}  // namespace
}  // namespace spool::engine
