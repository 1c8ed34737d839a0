// spoolctl on a log of 10,000 segments under `ulimit -n 256`: append (each line rotates into
// a new segment), verify and forward --drain all work. Before sealed segments gave up their
// descriptors, `append --segment-bytes 65536` died under `ulimit -n 64` after 57 segments.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::run_process;
using testing::TempDir;

// Runs spoolctl with its arguments under a descriptor limit of 256.
testing::ProcessResult spoolctl_limited(const std::string& args, const std::string& input = {}) {
  return run_process({"/bin/sh", "-c", "ulimit -n 256 && exec " SPOOLCTL_PATH " " + args}, input);
}

TEST(SpoolctlManySegments, TenThousandSegmentsAppendVerifyAndForwardUnderAFileLimitOf256) {
  TempDir dir(testing::memory_backed_temp_base());
  const std::string log = dir.sub("log");
  constexpr int kRecords = 10'000;
  std::string input;
  for (int i = 0; i < kRecords; ++i) {
    std::string line = "line-" + std::to_string(i) + "-";
    line.resize(2000, 'x');  // two do not fit in a 4096-byte segment
    input += line + "\n";
  }
  auto appended = spoolctl_limited("append " + log + " --segment-bytes 4096", input);
  ASSERT_EQ(appended.exit_code, 0) << appended.err;

  auto verified = spoolctl_limited("verify " + log);
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  const auto summary = nlohmann::json::parse(verified.out);
  EXPECT_EQ(summary["records"], kRecords);
  EXPECT_GE(summary["segments"].get<int>(), kRecords);
  EXPECT_EQ(summary["ok"], true);

  const std::string out = dir.sub("out.jsonl");
  auto forwarded = spoolctl_limited("forward " + log + " --to jsonl:" + out + " --drain");
  ASSERT_EQ(forwarded.exit_code, 0) << forwarded.err;
  std::string lines = testing::read_file(out);
  std::size_t n = 0;
  for (char c : lines) n += c == '\n';
  EXPECT_EQ(n, static_cast<std::size_t>(kRecords));
}

}  // namespace
}  // namespace spool
