// What tests of a Forwarder over a real log share: a Buffer that blocks when full (so every
// appended record reaches the log), runs of "seq" records, waiting for a condition, and
// finding a health warning by its code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "spool/health.h"
#include "spool/records.h"

namespace spool::testing {

// Buffer::open with FullPolicy::kBlock; nullptr (and a test failure) if it cannot.
std::unique_ptr<Buffer> open_blocking_buffer(const std::string& dir);

// Appends seq records `from` .. `from + n - 1` (producer 0, `padding` filler bytes) and
// flushes them into the log; fails the test on any error.
void append_seq_run(Buffer& buffer, std::uint64_t from, std::uint64_t n,
                    Priority priority = Priority::kNormal, std::size_t padding = 32);

// Polls `done` every few milliseconds until it holds or `limit` (scaled()) has passed.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(60));

bool has_warning(const HealthReport& report, const std::string& code);

// Forwarder options for tests: hybrid flush every 10 ms, a 5 ms poll, back-off of 1-5 ms and
// a breaker that does not open (tests of the breaker set their own threshold).
ForwarderOptions fast_forwarder_options();

// fast_forwarder_options() with batches of exactly `batch` records (not adaptive).
ForwarderOptions fixed_batch_options(std::uint32_t batch);

}  // namespace spool::testing
