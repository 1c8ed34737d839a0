// include/spool/forwarder_options.h: the defaults are valid; every out-of-range field is
// refused with InvalidArgument naming it.
#include "spool/forwarder_options.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace spool {
namespace {

template <typename T>
void expect_invalid(const T& options, const char* field) {
  const Status s = validate(options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << field;
  EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
}

TEST(ForwarderOptionsTest, DefaultsAreValid) {
  EXPECT_TRUE(validate(RetryOptions{}).is_ok());
  EXPECT_TRUE(validate(CircuitBreakerOptions{}).is_ok());
  EXPECT_TRUE(validate(ConnectivityOptions{}).is_ok());
  EXPECT_TRUE(validate(CompressionOptions{}).is_ok());
  EXPECT_TRUE(validate(BatchSizeOptions{}).is_ok());
  EXPECT_TRUE(validate(BandwidthOptions{}).is_ok());
}

TEST(ForwarderOptionsTest, Retry) {
  RetryOptions o;
  o.multiplier = 0.5;
  expect_invalid(o, "multiplier");
  o.multiplier = std::nan("");
  expect_invalid(o, "multiplier");
  o.multiplier = std::numeric_limits<double>::infinity();
  expect_invalid(o, "multiplier");
  o = {};
  o.jitter = -0.1;
  expect_invalid(o, "jitter");
  o.jitter = 1.5;
  expect_invalid(o, "jitter");
  o.jitter = std::nan("");
  expect_invalid(o, "jitter");
  o = {};
  o.initial_backoff_ms = 10;
  o.max_backoff_ms = 5;
  expect_invalid(o, "initial_backoff_ms");
  o = {};
  o.multiplier = 1.0;
  o.jitter = 1.0;
  o.max_retries = 0;
  EXPECT_TRUE(validate(o).is_ok());
}

TEST(ForwarderOptionsTest, CircuitBreaker) {
  CircuitBreakerOptions o;
  o.failure_threshold = 0;
  expect_invalid(o, "failure_threshold");
  o = {};
  o.cooldown_ms = 10;
  o.max_cooldown_ms = 5;
  expect_invalid(o, "cooldown_ms");
}

TEST(ForwarderOptionsTest, Connectivity) {
  ConnectivityOptions o;
  o.probe_url = "ftp://example.com";
  expect_invalid(o, "probe_url");
  o.probe_url = "https://example.com/health";
  EXPECT_TRUE(validate(o).is_ok());
  o.probe_interval_ms = 0;
  expect_invalid(o, "probe_interval_ms");
  o.probe_interval_ms = 1;
  o.probe_timeout_ms = 0;
  expect_invalid(o, "probe_timeout_ms");
}

TEST(ForwarderOptionsTest, Compression) {
  CompressionOptions o;
  for (int level : {0, 20, 22, -1000000}) {
    o.zstd_level = level;
    expect_invalid(o, "zstd_level");
  }
  for (int level : {1, 3, 19, -1, -5}) {
    o.zstd_level = level;
    EXPECT_TRUE(validate(o).is_ok()) << level;
  }
  o = {};
  o.dictionary_bytes = 100;
  expect_invalid(o, "dictionary_bytes");
  o.dictionary_bytes = kMaxDictionaryBytes + 1;
  expect_invalid(o, "dictionary_bytes");
}

TEST(ForwarderOptionsTest, BatchSize) {
  BatchSizeOptions o;
  o.min_records = 0;
  expect_invalid(o, "min_records");
  o = {};
  o.min_records = 2048;  // > initial
  expect_invalid(o, "min_records <= initial_records <= max_records");
  o = {};
  o.initial_records = 100000;  // > max
  expect_invalid(o, "min_records <= initial_records <= max_records");
  o = {};
  o.max_bytes = 0;
  expect_invalid(o, "max_bytes");
  o = {};
  o.min_records = o.initial_records = o.max_records = 1;
  EXPECT_TRUE(validate(o).is_ok());
}

TEST(ForwarderOptionsTest, Bandwidth) {
  BandwidthOptions o;
  o.burst_bytes = 4096;  // without a rate it would do nothing
  expect_invalid(o, "burst_bytes");
  o.rate_limit_bytes_per_s = 1024;
  EXPECT_TRUE(validate(o).is_ok());
  o = {};
  o.critical_reserve_bytes = 1;  // without a cap
  expect_invalid(o, "critical_reserve_bytes");
  o.daily_cap_bytes = 1;
  EXPECT_TRUE(validate(o).is_ok());  // the whole cap reserved: allowed
  o.critical_reserve_bytes = 2;
  expect_invalid(o, "critical_reserve_bytes");
}

TEST(ForwarderOptionsTest, CircuitStateNames) {
  EXPECT_EQ(circuit_state_name(CircuitState::kClosed), "closed");
  EXPECT_EQ(circuit_state_name(CircuitState::kOpen), "open");
  EXPECT_EQ(circuit_state_name(CircuitState::kHalfOpen), "half-open");
}

}  // namespace
}  // namespace spool
