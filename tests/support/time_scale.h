// Deadlines in tests scale with the build. A sanitizer build runs the same code several times
// slower, and a machine shared with other jobs slower still; a wait that is generous in a
// Release build can run out there and fail a correct test (or, worse, leave a child running).
// Every wall-clock limit in a test goes through scaled(): its factor is set at build time
// (SPOOL_TEST_BUILD_TIME_SCALE: 3 under ASan+UBSan, 5 under TSan, else 1) and multiplied by
// the environment variable SPOOL_TEST_TIME_SCALE when set (a positive number, e.g. 2 on a
// loaded machine). These limits are safety limits that turn a hang into a failure; tests
// assert behaviour, never that something was fast.
#pragma once

#include <chrono>

namespace spool::testing {

// The build's factor times SPOOL_TEST_TIME_SCALE (ignored unless a positive number).
double time_scale();

// `limit` times time_scale(), rounded up; zero and negative limits are returned unchanged.
std::chrono::milliseconds scaled(std::chrono::milliseconds limit);

}  // namespace spool::testing
