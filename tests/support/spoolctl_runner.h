// Runs the spoolctl binary under test (SPOOLCTL_PATH, defined for the tests whose names start
// with "spoolctl" by tests/CMakeLists.txt) with `args` and `input` on its stdin; the runner
// kills it if it outlives run_process's limit (support/subprocess.h). And the lines of what it printed.
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

// The lines of a command's output, without their '\n' (a last line without one counts too).
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace spool::testing
