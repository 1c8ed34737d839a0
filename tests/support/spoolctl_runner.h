// Runs the spoolctl binary under test (SPOOLCTL_PATH, defined for the tests whose names start
// with "spoolctl" by tests/CMakeLists.txt) with `args` and `input` on its stdin; the runner
// kills it if it outlives run_process's limit (support/subprocess.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/subprocess.h"

namespace spool::testing {

inline ProcessResult spoolctl(const std::vector<std::string>& args, std::string_view input = {}) {
  std::vector<std::string> argv{SPOOLCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input);
}

}  // namespace spool::testing
