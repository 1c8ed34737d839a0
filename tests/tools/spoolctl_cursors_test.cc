// `spoolctl cursors`: listing (table and JSON), seeking and deleting cursors of a log written
// by `spoolctl produce` and forwarded by `spoolctl forward`, all through the real binary.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::TempDir;

constexpr int kSpans = 2000;
const std::vector<std::string> kColumns{"name",      "next_offset",
                                        "lag_records", "lag_bytes",
                                        "oldest_unforwarded_age_s", "delivered",
                                        "dead_lettered", "updated"};

using testing::lines_of;
using testing::spoolctl;

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

class SpoolctlCursors : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessResult r = spoolctl({"produce", dir_, "--spans", std::to_string(kSpans)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void forward(const std::string& cursor = "default") {
    ProcessResult r = spoolctl({"forward", dir_, "--to", "jsonl:" + tmp_.sub(cursor + ".jsonl"),
                                "--drain", "--cursor", cursor});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  json list_json() {
    ProcessResult r = spoolctl({"cursors", dir_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
    return json::parse(r.out);
  }

  // The cursor's object from the JSON listing; null when it is not listed.
  json cursor(const std::string& name) {
    for (const json& c : list_json()) {
      if (c.at("name") == name) return c;
    }
    return nullptr;
  }

  TempDir tmp_;
  std::string dir_ = tmp_.sub("log");
};

TEST_F(SpoolctlCursors, NoCursorsPrintsOnlyTheHeaderOrAnEmptyArray) {
  ProcessResult r = spoolctl({"cursors", dir_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(words_of(lines[0]), kColumns);

  ProcessResult j = spoolctl({"cursors", dir_, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(j.out, "[]\n");
}

TEST_F(SpoolctlCursors, ListsAForwardedCursorAsTableAndJson) {
  forward();
  ProcessResult r = spoolctl({"cursors", dir_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const auto words = words_of(lines[1]);
  ASSERT_EQ(words.size(), kColumns.size()) << lines[1];
  EXPECT_EQ(words[0], "default");
  EXPECT_EQ(words[1], std::to_string(kSpans));  // next_offset
  EXPECT_EQ(words[2], "0");                     // lag_records
  EXPECT_EQ(words[3], "0");                     // lag_bytes
  EXPECT_EQ(words[5], std::to_string(kSpans));  // delivered
  EXPECT_EQ(words[6], "0");                     // dead_lettered
  EXPECT_EQ(words[7].size(), 24u) << "ISO-8601 UTC with milliseconds: " << words[7];
  EXPECT_EQ(words[7].back(), 'Z');
  // Aligned: numbers end where their header ends; the last column starts where its header does.
  const std::size_t updated_at = lines[1].rfind(words[7]);
  EXPECT_EQ(lines[0].find("dead_lettered") + std::string("dead_lettered").size(),
            lines[1].find_last_not_of(' ', updated_at - 1) + 1)
      << "\n" << lines[0] << "\n" << lines[1];
  EXPECT_EQ(lines[0].find("updated"), updated_at) << "\n" << lines[0] << "\n" << lines[1];

  const json list = list_json();
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  const json& c = list[0];
  for (const std::string& key : kColumns) EXPECT_TRUE(c.contains(key)) << key;
  EXPECT_EQ(c.at("name"), "default");
  EXPECT_EQ(c.at("next_offset"), kSpans);
  EXPECT_EQ(c.at("lag_records"), 0);
  EXPECT_EQ(c.at("lag_bytes"), 0);
  EXPECT_EQ(c.at("oldest_unforwarded_age_s"), 0.0);
  EXPECT_EQ(c.at("delivered"), kSpans);
  EXPECT_EQ(c.at("dead_lettered"), 0);
  EXPECT_TRUE(c.at("updated").is_string());
}

TEST_F(SpoolctlCursors, SeekMovesTheCursorAndTheNextForwardFollowsIt) {
  forward();
  ProcessResult r = spoolctl({"cursors", dir_, "--seek", "default", "--to", "earliest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" 0 "), std::string::npos) << r.out;
  json c = cursor("default");
  EXPECT_EQ(c.at("next_offset"), 0);
  EXPECT_EQ(c.at("lag_records"), kSpans);
  EXPECT_GT(c.at("lag_bytes").get<std::uint64_t>(), 0u);
  EXPECT_GT(c.at("oldest_unforwarded_age_s").get<double>(), 0.0);
  EXPECT_EQ(c.at("delivered"), kSpans) << "totals survive a seek";

  r = spoolctl({"cursors", dir_, "--seek", "default", "--to", "1500", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("next_offset"), 1500);
  EXPECT_EQ(cursor("default").at("lag_records"), kSpans - 1500);

  // The next forward starts there.
  ProcessResult f = spoolctl({"forward", dir_, "--to", "jsonl:" + tmp_.sub("again.jsonl"), "--drain"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(json::parse(f.out).at("delivered"), kSpans - 1500);

  r = spoolctl({"cursors", dir_, "--seek", "default", "--to", "latest", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("next_offset"), kSpans);

  // Offsets beyond the log are clamped to its end.
  r = spoolctl({"cursors", dir_, "--seek", "default", "--to", "999999", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("next_offset"), kSpans);

  // time:0 is before every record: the first one.
  r = spoolctl({"cursors", dir_, "--seek", "default", "--to", "time:0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("next_offset"), 0);
}

TEST_F(SpoolctlCursors, SeekCreatesAMissingCursor) {
  ProcessResult r = spoolctl({"cursors", dir_, "--seek", "replay", "--to", "42"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("42"), std::string::npos) << r.out;
  json c = cursor("replay");
  ASSERT_FALSE(c.is_null());
  EXPECT_EQ(c.at("next_offset"), 42);
  EXPECT_EQ(c.at("lag_records"), kSpans - 42);
  EXPECT_EQ(c.at("delivered"), 0);
}

TEST_F(SpoolctlCursors, DeleteRemovesACursor) {
  forward("a");
  forward("b");
  ASSERT_EQ(list_json().size(), 2u);
  ProcessResult r = spoolctl({"cursors", dir_, "--delete", "a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json list = list_json();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("name"), "b");

  // Deleting it again is an error: there is nothing to delete.
  r = spoolctl({"cursors", dir_, "--delete", "a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

// A running forwarder owns its cursor (it would overwrite a seek with its next commit): seek
// and delete are refused, naming its pid, until it stops.
TEST_F(SpoolctlCursors, SeekAndDeleteAreRefusedWhileAForwarderRunsOnTheCursor) {
  testing::ChildProcess forwarder({SPOOLCTL_PATH, "forward", dir_, "--to", "jsonl:" + tmp_.sub("live.jsonl"),
                                   "--cursor", "live", "--flush", "time", "--flush-interval-ms", "20"});
  ASSERT_TRUE(forwarder.started());
  const auto give_up = std::chrono::steady_clock::now() + testing::scaled(std::chrono::seconds(60));
  while (std::chrono::steady_clock::now() < give_up) {  // its first commit: it runs and holds the lock
    if (!cursor("live").is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(cursor("live").is_null());
  const std::string holder = "held by pid " + std::to_string(forwarder.pid());
  ProcessResult seek = spoolctl({"cursors", dir_, "--seek", "live", "--to", "earliest"});
  EXPECT_EQ(seek.exit_code, 2);
  EXPECT_NE(seek.err.find(holder), std::string::npos) << seek.err;
  ProcessResult del = spoolctl({"cursors", dir_, "--delete", "live"});
  EXPECT_EQ(del.exit_code, 2);
  EXPECT_NE(del.err.find(holder), std::string::npos) << del.err;
  EXPECT_FALSE(cursor("live").is_null());

  forwarder.kill(SIGINT);
  ASSERT_EQ(forwarder.wait().exit_code, 0);
  seek = spoolctl({"cursors", dir_, "--seek", "live", "--to", "earliest"});
  EXPECT_EQ(seek.exit_code, 0) << seek.err;
  EXPECT_EQ(cursor("live").at("next_offset"), 0);
}

TEST_F(SpoolctlCursors, BadArgumentsExit2WithAMessage) {
  const std::vector<std::vector<std::string>> bad = {
      {"cursors", tmp_.sub("missing")},
      {"cursors", dir_, "--seek", "default"},
      {"cursors", dir_, "--to", "latest"},
      {"cursors", dir_, "--seek", "default", "--to", "newest"},
      {"cursors", dir_, "--seek", "default", "--to", "-5"},
      {"cursors", dir_, "--seek", "default", "--to", "time:soon"},
      {"cursors", dir_, "--seek", "bad/name", "--to", "latest"},
      {"cursors", dir_, "--seek", "a", "--to", "latest", "--delete", "a"},
      {"cursors", dir_, "--delete", "never-existed"},
  };
  for (const auto& args : bad) {
    ProcessResult r = spoolctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined;
    EXPECT_TRUE(r.out.empty()) << joined << ": " << r.out;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
}

}  // namespace
}  // namespace spool
