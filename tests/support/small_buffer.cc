#include "support/small_buffer.h"

#include <gtest/gtest.h>

namespace spool::testing {

Options small_buffer_options() {
  Options o;
  o.log.segment_bytes = 1 << 20;
  o.adaptive_budget = false;
  return o;
}

std::unique_ptr<Buffer> open_small_buffer(const std::string& dir) {
  auto buffer = Buffer::open(dir, small_buffer_options());
  EXPECT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  return buffer ? std::move(*buffer) : nullptr;
}

}  // namespace spool::testing
