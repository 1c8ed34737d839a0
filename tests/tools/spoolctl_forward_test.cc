// `spoolctl forward`, driven as a user drives it: the real binary in a child process, a log
// written by `spoolctl produce`, delivered to a JSON-lines file or to a real OTLP/HTTP
// receiver in this process; its one-line JSON summary parsed, what arrived counted by key.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "segment/segment_log.h"
#include "support/otlp_receiver.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::OtlpReceiver;
using testing::ProcessResult;
using testing::TempDir;

constexpr int kSpans = 2000;

using testing::spoolctl;

// A log of `spans` standard spans, offsets 0..spans-1.
void produce(const std::string& dir, int spans = kSpans) {
  ProcessResult r = spoolctl({"produce", dir, "--spans", std::to_string(spans)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// The summary: exactly one line of JSON with every documented key.
json summary_of(const ProcessResult& r) {
  EXPECT_FALSE(r.out.empty()) << r.err;
  if (r.out.empty()) return json::object();
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
  const json j = json::parse(r.out);
  for (const char* key :
       {"cursor", "sink", "delivered", "dead_lettered", "failed", "retried", "dropped_unforwarded",
        "bytes_sent", "throttled_sends", "throttled_s", "spent_today_bytes", "daily_cap", "seconds",
        "records_per_s", "cursor_offset", "end_offset", "lag_records", "circuit"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing from " << r.out;
  }
  return j;
}

// Distinct "key" values of a JSON-lines sink file (and the number of lines).
std::set<std::string> jsonl_keys(const std::string& path, std::size_t* lines = nullptr) {
  std::set<std::string> keys;
  std::ifstream in(path);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    keys.insert(json::parse(line).at("key").get<std::string>());
  }
  if (lines != nullptr) *lines = n;
  return keys;
}

TEST(SpoolctlForward, DrainsTheLogIntoAJsonlFile) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir);
  ProcessResult r = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = summary_of(r);
  EXPECT_EQ(j.at("cursor"), "default");
  EXPECT_EQ(j.at("delivered"), kSpans);
  EXPECT_EQ(j.at("dead_lettered"), 0);
  EXPECT_EQ(j.at("cursor_offset"), kSpans);
  EXPECT_EQ(j.at("end_offset"), kSpans);
  EXPECT_EQ(j.at("lag_records"), 0);
  EXPECT_EQ(j.at("circuit"), "closed");
  EXPECT_GE(j.at("seconds").get<double>(), 0.0);
  // stderr is a pipe here, not a terminal: no progress line.
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;

  std::size_t lines = 0;
  EXPECT_EQ(jsonl_keys(file, &lines).size(), static_cast<std::size_t>(kSpans));
  EXPECT_EQ(lines, static_cast<std::size_t>(kSpans));
}

TEST(SpoolctlForward, FileSchemeIsAJsonlFileToo) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir, 300);
  ProcessResult r = spoolctl({"forward", dir, "--to", "file:" + file, "--drain", "--batch", "50",
                              "--flush", "manual", "--cursor", "files"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = summary_of(r);
  EXPECT_EQ(j.at("cursor"), "files");
  EXPECT_EQ(j.at("delivered"), 300);
  EXPECT_EQ(jsonl_keys(file).size(), 300u);
}

TEST(SpoolctlForward, TheCursorIsPersistedSoASecondDrainDeliversNothing) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir);
  ProcessResult first = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(summary_of(first).at("delivered"), kSpans);

  ProcessResult second = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const json j = summary_of(second);
  EXPECT_EQ(j.at("delivered"), 0);
  EXPECT_EQ(j.at("cursor_offset"), kSpans);
  std::size_t lines = 0;
  jsonl_keys(file, &lines);
  EXPECT_EQ(lines, static_cast<std::size_t>(kSpans)) << "nothing sent twice";

  // Another cursor starts from the beginning.
  ProcessResult other = spoolctl({"forward", dir, "--to", "jsonl:" + tmp.sub("other.jsonl"),
                                  "--drain", "--cursor", "second"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(summary_of(other).at("delivered"), kSpans);
}

TEST(SpoolctlForward, DrainsToAnOtlpHttpReceiver) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  produce(dir);
  ProcessResult r = spoolctl({"forward", dir, "--to", receiver.endpoint(), "--drain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = summary_of(r);
  EXPECT_EQ(j.at("delivered"), kSpans);
  EXPECT_EQ(j.at("dead_lettered"), 0);
  EXPECT_GT(j.at("bytes_sent").get<std::uint64_t>(), 0u);
  EXPECT_EQ(receiver.delivered_keys().size(), static_cast<std::size_t>(kSpans));
  EXPECT_EQ(receiver.decode_error_count(), 0u);
  for (const auto& req : receiver.requests()) {
    EXPECT_EQ(req.path, "/v1/traces");
    EXPECT_EQ(req.content_encoding, "zstd");  // the default
  }
}

TEST(SpoolctlForward, SinkOptionsReachTheRequests) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  produce(dir, 500);
  ProcessResult r = spoolctl({"forward", dir, "--to", receiver.endpoint(), "--drain",
                              "--encoding", "json", "--compression", "gzip", "--header",
                              "Spool-Test-Token: secret 42", "--timeout-ms", "5000",
                              "--max-retries", "3", "--flush", "size", "--flush-interval-ms",
                              "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(summary_of(r).at("delivered"), 500);
  const auto requests = receiver.requests();
  ASSERT_FALSE(requests.empty());
  for (const auto& req : requests) {
    EXPECT_EQ(req.content_encoding, "gzip");
    EXPECT_NE(req.content_type.find("json"), std::string::npos) << req.content_type;
    auto it = req.spool_headers.find("Spool-Test-Token");
    ASSERT_NE(it, req.spool_headers.end());
    EXPECT_EQ(it->second, "secret 42");
  }
  EXPECT_EQ(receiver.delivered_keys().size(), 500u);
}

TEST(SpoolctlForward, DrainTimeoutExits1WhenTheSinkIsDown) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  const std::string endpoint = receiver.endpoint();
  receiver.stop();  // connection refused from now on
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  produce(dir, 100);
  ProcessResult r = spoolctl({"forward", dir, "--to", endpoint, "--drain", "--drain-timeout-s", "1",
                              "--timeout-ms", "500"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json j = summary_of(r);
  EXPECT_EQ(j.at("delivered"), 0);
  EXPECT_EQ(j.at("dead_lettered"), 0) << "an outage never turns records into dead letters";
  EXPECT_EQ(j.at("cursor_offset"), 0);
  EXPECT_EQ(j.at("lag_records"), 100);
  EXPECT_FALSE(r.err.empty());
}

TEST(SpoolctlForward, RunsUntilSigintThenStopsCleanlyAndReports) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir, 300);
  ChildProcess child({SPOOLCTL_PATH, "forward", dir, "--to", "jsonl:" + file, "--flush", "time",
                      "--flush-interval-ms", "50"});
  ASSERT_TRUE(child.started());
  // Wait (generously) until everything has arrived, then interrupt.
  const auto give_up = std::chrono::steady_clock::now() + testing::scaled(std::chrono::seconds(60));
  std::size_t lines = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    jsonl_keys(file, &lines);
    if (lines >= 300) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(lines, 300u);
  child.kill(SIGINT);
  ProcessResult r = child.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json j = summary_of(r);
  EXPECT_EQ(j.at("delivered"), 300);
  EXPECT_EQ(j.at("cursor_offset"), 300);

  // The cursor was committed: the next drain has nothing to do.
  ProcessResult again = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(summary_of(again).at("delivered"), 0);
}

TEST(SpoolctlForward, ALogThisProcessHoldsIsFollowedAndDrained) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir, 10);
  // This process holds the directory lock, as a running writer would: forward follows it.
  auto holder = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadWrite);
  ASSERT_TRUE(holder) << holder.status().to_string();
  ProcessResult r = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--drain-idle-ms", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(summary_of(r).at("delivered"), 10);
  EXPECT_EQ(jsonl_keys(file).size(), 10u);
}

// One forwarder per sink, each its own process and cursor: both may set records aside at
// once. The dead-letter log admits one writer at a time, so each holds it only while it
// appends; neither is refused, and every refused record is a dead letter once per cursor.
TEST(SpoolctlForward, ForwardersOfTwoCursorsInTwoProcessesBothDeadLetter) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  receiver.set_policy([](const OtlpReceiver::RequestInfo&) {
    return OtlpReceiver::Response::error(400, "bad span");  // permanent: dead letters
  });
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const int spans = 600;
  produce(dir, spans);
  auto forward = [&](const std::string& cursor) {
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        SPOOLCTL_PATH, "forward", dir, "--to", receiver.endpoint(), "--cursor", cursor, "--drain",
        "--batch", "20"});
  };
  auto a = forward("a");
  auto b = forward("b");
  ProcessResult ra = a->wait();
  ProcessResult rb = b->wait();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_EQ(summary_of(ra).at("dead_lettered"), spans);
  EXPECT_EQ(summary_of(rb).at("dead_lettered"), spans);
  ProcessResult listed = spoolctl({"deadletters", dir});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::map<std::uint64_t, int> letters_by_offset;
  for (const std::string& line : testing::lines_of(listed.out)) {
    if (!line.empty()) ++letters_by_offset[json::parse(line).at("offset").get<std::uint64_t>()];
  }
  ASSERT_EQ(letters_by_offset.size(), static_cast<std::size_t>(spans));
  for (const auto& [offset, letters] : letters_by_offset) EXPECT_EQ(letters, 2) << "offset " << offset;
}

TEST(SpoolctlForward, TheDailyCapEndsADrainAndHoldsTheRestUntilTheNextDay) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir, 300);
  // Small batches, so the cap is reached well before the end.
  ProcessResult first = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--batch",
                                  "10", "--daily-cap", "20KiB"});
  EXPECT_EQ(first.exit_code, 1) << first.err;
  EXPECT_NE(first.err.find("daily cap (20480 bytes"), std::string::npos) << first.err;
  const json j = summary_of(first);
  const auto delivered = j.at("delivered").get<std::uint64_t>();
  EXPECT_GT(delivered, 0u);
  EXPECT_LT(delivered, 300u);
  EXPECT_EQ(j.at("daily_cap"), "reached");
  EXPECT_GE(j.at("spent_today_bytes").get<std::uint64_t>(), 20'480u);
  EXPECT_EQ(j.at("dead_lettered"), 0);
  EXPECT_EQ(j.at("lag_records").get<std::uint64_t>(), 300u - delivered);
  EXPECT_NE(j.at("warnings").dump().find("daily_cap_reached"), std::string::npos) << j.dump();
  std::size_t lines = 0;
  jsonl_keys(file, &lines);
  EXPECT_EQ(lines, delivered);

  // What was spent is kept with the cursor: stats and health read it, a second run the same
  // day sends nothing.
  ProcessResult stats = spoolctl({"stats", dir});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const json bandwidth = json::parse(stats.out).at("cursors").at(0).at("bandwidth");
  EXPECT_EQ(bandwidth.at("daily_cap_bytes"), 20'480);
  EXPECT_EQ(bandwidth.at("spent_today_bytes"), j.at("spent_today_bytes"));
  EXPECT_EQ(bandwidth.at("daily_cap"), "reached");
  ProcessResult health = spoolctl({"health", dir});
  EXPECT_EQ(health.exit_code, 1);
  EXPECT_NE(health.out.find("warning: daily_cap_reached: cursor default"), std::string::npos)
      << health.out;
  ProcessResult second = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--batch",
                                   "10", "--daily-cap", "20KiB"});
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_EQ(summary_of(second).at("delivered"), 0);

  // Without the cap the rest goes.
  ProcessResult rest = spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(summary_of(rest).at("delivered").get<std::uint64_t>(), 300u - delivered);
  EXPECT_EQ(summary_of(rest).at("daily_cap"), "off");
  EXPECT_EQ(jsonl_keys(file).size(), 300u);
}

TEST(SpoolctlForward, TheRateLimitHoldsSendsBack) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir, 100);  // about 180 KB of JSON lines
  ProcessResult r =
      spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--rate-limit", "64K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = summary_of(r);
  EXPECT_EQ(j.at("delivered"), 100);
  EXPECT_GT(j.at("throttled_sends").get<std::uint64_t>(), 0u);
  EXPECT_GT(j.at("throttled_s").get<double>(), 0.0);
  EXPECT_EQ(j.at("spent_today_bytes"), j.at("bytes_sent"));
  EXPECT_EQ(jsonl_keys(file).size(), 100u);
}

TEST(SpoolctlForward, BadArgumentsExit2WithAMessage) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  produce(dir, 10);
  const std::string out = "jsonl:" + tmp.sub("out.jsonl");
  const std::vector<std::vector<std::string>> bad = {
      {"forward", dir, "--to", "ftp://example.com", "--drain"},
      {"forward", dir, "--to", "collector:4318", "--drain"},
      {"forward", dir, "--to", "jsonl:", "--drain"},
      {"forward", dir, "--to", "http://", "--drain"},
      {"forward", dir, "--to", "jsonl:" + tmp.sub("no/such/dir/out.jsonl"), "--drain"},
      {"forward", dir, "--drain"},
      {"forward", tmp.sub("missing"), "--to", out, "--drain"},
      {"forward", dir, "--to", out, "--drain", "--encoding", "xml"},
      {"forward", dir, "--to", out, "--drain", "--compression", "lz4"},
      {"forward", dir, "--to", out, "--drain", "--flush", "sometimes"},
      {"forward", dir, "--to", out, "--drain", "--batch", "0"},
      {"forward", dir, "--to", out, "--drain", "--batch", "-3"},
      {"forward", dir, "--to", out, "--drain", "--cursor", "no/slashes"},
      {"forward", dir, "--to", out, "--drain-timeout-s", "5"},
      {"forward", dir, "--to", "http://127.0.0.1:1", "--drain", "--header", "no colon"},
      {"forward", dir, "--to", out, "--drain", "--probe-url", "gopher://x"},
      {"forward", dir, "--to", out, "--drain", "--rate-limit", "fast"},
      {"forward", dir, "--to", out, "--drain", "--rate-limit", "-1"},
      {"forward", dir, "--to", out, "--drain", "--daily-cap", "1 MB"},
      {"forward", dir, "--to", out, "--drain", "--daily-cap", "1TB"},
      {"forward", dir, "--to", out, "--drain", "--critical-reserve", "1K"},
      {"forward", dir, "--to", out, "--drain", "--daily-cap", "1K", "--critical-reserve", "2K"},
      {"forward", dir, "--to", out, "--drain", "--in-flight", "0"},
      {"forward", dir, "--to", out, "--drain", "--in-flight", "65"},
  };
  for (const auto& args : bad) {
    ProcessResult r = spoolctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined << ": " << r.out;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
}

TEST(SpoolctlForward, RedactRulesApplyBeforeTheSinkEncodes) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  produce(dir, 200);
  const std::string key = tmp.sub("redact.key");
  testing::write_file(key, "0123456789abcdef0123456789abcdef\n");
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  ProcessResult r = spoolctl({"forward", dir, "--to", receiver.endpoint(), "--drain", "--redact",
                              "input, output:hash", "--redact", "request_id:truncate=4",
                              "--redact-key-file", key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(summary_of(r).at("delivered"), 200);
  EXPECT_TRUE(r.err.empty()) << r.err;  // a private key file: no warning
  std::size_t spans = 0;
  for (const auto& request : receiver.requests()) {
    for (const auto& item : request.items) {
      ++spans;
      EXPECT_FALSE(item.attributes.contains("gen_ai.prompt"));
      ASSERT_TRUE(item.attributes.contains("gen_ai.completion"));
      EXPECT_TRUE(item.attributes.at("gen_ai.completion").starts_with("hmac-sha256:"));
      EXPECT_EQ(item.attributes.at("gen_ai.completion").size(), 12u + 64u);
      EXPECT_EQ(item.attributes.at("request_id").size(), 4u);
      EXPECT_EQ(item.attributes.at("env"), "production");  // untouched
    }
  }
  EXPECT_EQ(spans, 200u);

  // The same log into a JSON-lines file on another cursor: the completions hash alike.
  const std::string file = tmp.sub("out.jsonl");
  ProcessResult again =
      spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--cursor", "file", "--redact",
                "input,output:hash", "--redact-key-file", key});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const std::string text = testing::read_file(file);
  EXPECT_EQ(text.find("gen_ai.prompt"), std::string::npos);
  const std::string first =
      receiver.requests().front().items.front().attributes.at("gen_ai.completion");
  EXPECT_NE(text.find(first), std::string::npos);
}

TEST(SpoolctlForward, BadRedactionExits2NamingTheItemAndSendsNothing) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string file = tmp.sub("out.jsonl");
  produce(dir, 10);
  ProcessResult bad = spoolctl(
      {"forward", dir, "--to", "jsonl:" + file, "--drain", "--redact", "input,output:hsh"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--redact: 'input,output:hsh': item 2 'output:hsh': unknown action 'hsh'"),
            std::string::npos)
      << bad.err;
  ProcessResult keyless =
      spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--redact", "output:hash"});
  EXPECT_EQ(keyless.exit_code, 2);
  EXPECT_NE(keyless.err.find("needs a key (--redact-key-file)"), std::string::npos) << keyless.err;
  ProcessResult no_rules =
      spoolctl({"forward", dir, "--to", "jsonl:" + file, "--drain", "--redact-key-file", file});
  EXPECT_EQ(no_rules.exit_code, 2);
  EXPECT_NE(no_rules.err.find("--redact-key-file needs --redact"), std::string::npos)
      << no_rules.err;
  EXPECT_NE(::access(file.c_str(), F_OK), 0);  // no sink was made
}

}  // namespace
}  // namespace spool
