// `spoolctl produce`, driven as a user drives it: the real binary in a child process, its
// JSON report parsed, the log it wrote read back. No figure is checked, only counts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "segment/segment_log.h"
#include "spool/records.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::TempDir;

using testing::spoolctl;

// Records in the log by frame type, read the way an inspector reads a live log.
std::vector<std::uint16_t> record_types(const std::string& dir) {
  auto log = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
  EXPECT_TRUE(log) << log.status().to_string();
  std::vector<std::uint16_t> types;
  if (!log) return types;
  segment::LogReader reader = (*log)->scan((*log)->first_offset());
  segment::RecordView record;
  while (reader.next(&record)) types.push_back(record.type);
  return types;
}

TEST(SpoolctlProduce, ReportsEveryFieldAndTheLogHoldsEverySpan) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ProcessResult r = spoolctl({"produce", dir, "--spans", "5003", "--threads", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
  const json j = json::parse(r.out);
  for (const char* key :
       {"spans", "threads", "policy", "durability", "seconds", "spans_per_s", "p50_ns", "p99_ns",
        "p999_ns", "max_ns", "not_queued", "dropped", "dropped_by_reason", "appended", "written",
        "committed_offset", "bytes_on_disk", "bytes_per_span"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing from " << r.out;
  }
  EXPECT_EQ(j.at("spans"), 5003);
  EXPECT_EQ(j.at("threads"), 3);
  EXPECT_EQ(j.at("policy"), "block");
  EXPECT_EQ(j.at("durability"), "none");
  // 5 MB of spans never fill the default 64 MiB queue budget, so blocking never times out.
  EXPECT_EQ(j.at("dropped"), 0);
  EXPECT_EQ(j.at("not_queued"), 0);
  EXPECT_EQ(j.at("written"), 5003);
  EXPECT_EQ(j.at("committed_offset"), 5003);
  EXPECT_GT(j.at("bytes_on_disk").get<std::uint64_t>(), 5003u * 500);
  EXPECT_LE(j.at("p50_ns").get<std::uint64_t>(), j.at("max_ns").get<std::uint64_t>());

  const std::vector<std::uint16_t> types = record_types(dir);
  EXPECT_EQ(types.size(), 5003u);
  for (std::uint16_t t : types) ASSERT_EQ(t, static_cast<std::uint16_t>(RecordKind::kSpan));
}

TEST(SpoolctlProduce, EveryPolicyAndDurabilityIsAccepted) {
  for (const char* policy : {"block", "drop_newest", "drop_oldest", "sample"}) {
    for (const char* durability : {"none", "interval", "batch"}) {
      TempDir tmp;  // one at a time: each log preallocates a whole segment
      const std::string dir = tmp.sub("log");
      ProcessResult r = spoolctl({"produce", dir, "--spans", "50", "--policy", policy,
                                  "--durability", durability});
      ASSERT_EQ(r.exit_code, 0) << policy << " " << durability << ": " << r.err;
      const json j = json::parse(r.out);
      EXPECT_EQ(j.at("policy"), policy);
      EXPECT_EQ(j.at("durability"), durability);
      // Whatever a policy drops is counted, so the log holds exactly the rest.
      EXPECT_EQ(record_types(dir).size(), 50u - j.at("dropped").get<std::uint64_t>());
    }
  }
}

TEST(SpoolctlProduce, BadArgumentsExit2WithAMessage) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::vector<std::vector<std::string>> bad = {
      {"produce", dir, "--policy", "drop_everything"},
      {"produce", dir, "--durability", "sometimes"},
      {"produce", dir, "--spans", "0"},
      {"produce", dir, "--spans", "-5"},
      {"produce", dir, "--threads", "0"},
      {"produce", dir, "--threads", "many"},
      {"produce", tmp.sub("no/such/parent")},
      {"produce"},
  };
  for (const auto& args : bad) {
    ProcessResult r = spoolctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined;
    EXPECT_TRUE(r.out.empty()) << joined << ": " << r.out;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  ProcessResult r = spoolctl({"produce", dir, "--policy", "drop_everything"});
  EXPECT_NE(r.err.find("drop_everything"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spool
