#include "support/forwarder_fixtures.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/seq_records.h"
#include "support/time_scale.h"

namespace spool::testing {

std::unique_ptr<Buffer> open_blocking_buffer(const std::string& dir) {
  Options options;
  options.full_policy = FullPolicy::kBlock;
  auto buffer = Buffer::open(dir, options);
  EXPECT_TRUE(buffer) << buffer.status().to_string();
  return buffer ? std::move(*buffer) : nullptr;
}

void append_seq_run(Buffer& buffer, std::uint64_t from, std::uint64_t n, Priority priority,
                    std::size_t padding) {
  for (std::uint64_t i = from; i < from + n; ++i)
    ASSERT_TRUE(append_seq(buffer, 0, i, padding, priority));
  ASSERT_TRUE(buffer.flush());
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + scaled(limit);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

bool has_warning(const HealthReport& report, const std::string& code) {
  for (const HealthWarning& w : report.warnings) {
    if (w.code == code) return true;
  }
  return false;
}

ForwarderOptions fast_forwarder_options() {
  ForwarderOptions o;
  o.flush = FlushStrategy::kHybrid;
  o.flush_interval_ms = 10;
  o.poll_interval_ms = 5;
  o.retry.initial_backoff_ms = 1;
  o.retry.max_backoff_ms = 5;
  o.breaker.failure_threshold = 1000;
  return o;
}

ForwarderOptions fixed_batch_options(std::uint32_t batch) {
  ForwarderOptions o = fast_forwarder_options();
  o.batch.initial_records = o.batch.min_records = o.batch.max_records = batch;
  o.batch.adaptive = false;
  return o;
}

}  // namespace spool::testing
