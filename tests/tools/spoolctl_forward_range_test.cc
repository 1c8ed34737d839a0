// `spoolctl forward --from-time T --until-time T`: a replay of the records buffered in
// [from, until) to a JSON-lines file through a cursor of its own. Exactly the range arrives,
// the log's other cursors stay where they were, and the replay's cursor is gone once the
// range is delivered (or kept, and said so, when it was not).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/otlp_receiver.h"
#include "support/spoolctl_runner.h"
#include "support/temp_dir.h"
#include "tools/time_text.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::spoolctl;
using testing::TempDir;

constexpr std::uint64_t kRecords = 400;
constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
// Buffered-at time of record i: 1 ms apart, so the ISO form (milliseconds) names each exactly.
std::int64_t time_of(std::uint64_t i) { return kT0 + static_cast<std::int64_t>(i) * 1'000'000; }
std::string ns_text(std::uint64_t i) { return std::to_string(time_of(i)); }

class SpoolctlForwardRange : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = testing::open_log(dir_, testing::small_segments());
    ASSERT_TRUE(log);
    for (std::uint64_t i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(log->append(0, testing::bytes_of("record " + std::to_string(i)), time_of(i)));
    }
    ASSERT_GT(log->segment_count(), 3u);
  }

  // The offsets in a JSON-lines sink file, in the order written (each must carry its time).
  std::vector<std::uint64_t> delivered_offsets(const std::string& path) {
    std::vector<std::uint64_t> offsets;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const json j = json::parse(line);
      const auto offset = j.at("offset").get<std::uint64_t>();
      EXPECT_EQ(j.at("timestamp_ns").get<std::int64_t>(), time_of(offset));
      offsets.push_back(offset);
    }
    return offsets;
  }

  json cursors() {
    ProcessResult r = spoolctl({"cursors", dir_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::array();
  }

  static std::vector<std::uint64_t> iota(std::uint64_t from, std::uint64_t until) {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = from; i < until; ++i) v.push_back(i);
    return v;
  }

  TempDir tmp_;
  std::string dir_ = tmp_.sub("log");
};

TEST_F(SpoolctlForwardRange, DeliversExactlyTheRangeAndLeavesNoCursorBehind) {
  // The application's own cursor, part-way: the replay must not move it.
  ProcessResult seek = spoolctl({"cursors", dir_, "--seek", "default", "--to", "10"});
  ASSERT_EQ(seek.exit_code, 0) << seek.err;
  const std::string file = tmp_.sub("replay.jsonl");
  ProcessResult r = spoolctl({"forward", dir_, "--to", "file:" + file, "--from-time", ns_text(100),
                              "--until-time", ns_text(250), "--batch", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("delivered"), 150);
  EXPECT_EQ(j.at("cursor_offset"), 250);
  EXPECT_EQ(j.at("end_offset"), 250);
  EXPECT_TRUE(j.at("cursor").get<std::string>().starts_with("replay-")) << j.dump();
  const json& range = j.at("range");
  EXPECT_EQ(range.at("from_ns"), time_of(100));
  EXPECT_EQ(range.at("until_ns"), time_of(250));
  EXPECT_EQ(range.at("complete"), true);
  EXPECT_EQ(range.at("until_reached"), true);
  EXPECT_EQ(range.at("cursor_created"), true);
  EXPECT_EQ(range.at("cursor_deleted"), true);
  EXPECT_EQ(delivered_offsets(file), iota(100, 250));

  const json listed = cursors();
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0].at("name"), "default");
  EXPECT_EQ(listed[0].at("next_offset"), 10);
}

TEST_F(SpoolctlForwardRange, TimesInIsoFormAndANamedCursor) {
  const std::string file = tmp_.sub("iso.jsonl");
  const std::string from = tools::iso8601_utc(time_of(7));  // "2023-11-14T22:13:20.007Z"
  const std::string until = tools::iso8601_utc(time_of(19));
  ProcessResult r = spoolctl({"forward", dir_, "--to", "jsonl:" + file, "--from-time", from,
                              "--until-time", until, "--cursor", "audit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("cursor"), "audit");
  EXPECT_EQ(j.at("range").at("cursor_deleted"), true);
  EXPECT_EQ(delivered_offsets(file), iota(7, 19));
  EXPECT_TRUE(cursors().empty());
}

TEST_F(SpoolctlForwardRange, FromTimeAloneGoesToTheEndOfTheLog) {
  const std::string file = tmp_.sub("tail.jsonl");
  ProcessResult r = spoolctl({"forward", dir_, "--to", "jsonl:" + file, "--from-time",
                              "time:" + std::to_string(time_of(350) - 1)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("range").at("complete"), true);
  EXPECT_EQ(j.at("range").at("until_reached"), false);
  EXPECT_EQ(j.at("range").at("until_ns"), nullptr);
  EXPECT_EQ(delivered_offsets(file), iota(350, kRecords));
  EXPECT_TRUE(cursors().empty());
}

TEST_F(SpoolctlForwardRange, UntilTimeAloneBoundsAnExistingCursorAndKeepsIt) {
  const std::string file = tmp_.sub("first.jsonl");
  ProcessResult r =
      spoolctl({"forward", dir_, "--to", "jsonl:" + file, "--until-time", ns_text(60)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j.at("cursor"), "default");
  EXPECT_EQ(j.at("range").at("cursor_created"), false);
  EXPECT_EQ(j.at("range").at("cursor_deleted"), false);
  EXPECT_EQ(delivered_offsets(file), iota(0, 60));
  // The cursor stays, at the end of the range; the next session goes on from there.
  ProcessResult next = spoolctl(
      {"forward", dir_, "--to", "jsonl:" + tmp_.sub("next.jsonl"), "--until-time", ns_text(75)});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(delivered_offsets(tmp_.sub("next.jsonl")), iota(60, 75));
  const json listed = cursors();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("next_offset"), 75);
}

TEST_F(SpoolctlForwardRange, AnUnfinishedReplayKeepsItsCursorAndSaysSo) {
  testing::OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  const std::string endpoint = receiver.endpoint();
  receiver.stop();  // connection refused from now on
  ProcessResult r =
      spoolctl({"forward", dir_, "--to", endpoint, "--from-time", ns_text(5), "--until-time",
                ns_text(30), "--drain-timeout-s", "1", "--timeout-ms", "500"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json j = json::parse(r.out);
  const std::string name = j.at("cursor");
  EXPECT_EQ(j.at("range").at("complete"), false);
  EXPECT_EQ(j.at("range").at("cursor_created"), true);
  EXPECT_EQ(j.at("range").at("cursor_deleted"), false);
  EXPECT_NE(r.err.find("cursor '" + name + "' stays at offset 5"), std::string::npos) << r.err;
  const json listed = cursors();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("name"), name);
  EXPECT_EQ(listed[0].at("next_offset"), 5);
  // Resumed by name up to the same end, into a file this time.
  const std::string file = tmp_.sub("resumed.jsonl");
  ProcessResult resumed = spoolctl(
      {"forward", dir_, "--to", "jsonl:" + file, "--cursor", name, "--until-time", ns_text(30)});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(delivered_offsets(file), iota(5, 30));
}

TEST_F(SpoolctlForwardRange, BadRangesExit2AndCreateNoCursor) {
  ProcessResult seek = spoolctl({"cursors", dir_, "--seek", "taken", "--to", "3"});
  ASSERT_EQ(seek.exit_code, 0) << seek.err;
  const std::string file = tmp_.sub("never.jsonl");
  const std::vector<std::vector<std::string>> bad = {
      {"--from-time", "yesterday"},
      {"--until-time", "2023-02-30T00:00:00Z"},
      {"--from-time", "2023-11-14T22:13:20.5"},  // no Z
      {"--from-time", "-5"},
      {"--from-time", ns_text(20), "--until-time", ns_text(10)},
      {"--from-time", ns_text(20), "--cursor", "taken"},  // a replay never moves a cursor
      {"--from-time", ns_text(20), "--cursor", "bad/name"},
  };
  for (const auto& extra : bad) {
    std::vector<std::string> args{"forward", dir_, "--to", "jsonl:" + file};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = spoolctl(args);
    std::string joined;
    for (const auto& a : extra) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << r.err;
    EXPECT_TRUE(r.out.empty()) << joined << r.out;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  const json listed = cursors();
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0].at("next_offset"), 3);
}

}  // namespace
}  // namespace spool
