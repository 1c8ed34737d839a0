// `spoolctl stats`, `spoolctl health` and `spoolctl deadletters`, through the real binary, on
// logs written by `spoolctl produce` and forwarded by `spoolctl forward` (to a JSON-lines file,
// or to a real OTLP/HTTP receiver in this process that refuses everything with HTTP 400).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "support/otlp_receiver.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::OtlpReceiver;
using testing::ProcessResult;
using testing::TempDir;

constexpr int kSpans = 2000;

using testing::lines_of;
using testing::spoolctl;

bool is_iso8601_utc(const json& j) {
  if (!j.is_string()) return false;
  const std::string s = j.get<std::string>();
  return s.size() == 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
         s[16] == ':' && s[19] == '.' && s.back() == 'Z';
}

class SpoolctlStatsHealth : public ::testing::Test {
 protected:
  void produce(int spans = kSpans) {
    ProcessResult r = spoolctl({"produce", dir_, "--spans", std::to_string(spans)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  json forward(const std::string& url, const std::string& cursor = "default") {
    ProcessResult r = spoolctl({"forward", dir_, "--to", url, "--drain", "--cursor", cursor});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }

  json stats() {
    ProcessResult r = spoolctl({"stats", dir_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
    return json::parse(r.out);
  }

  TempDir tmp_;
  std::string dir_ = tmp_.sub("log");
  std::string jsonl_ = "jsonl:" + tmp_.sub("out.jsonl");
};

// ---- stats -------------------------------------------------------------------------------

TEST_F(SpoolctlStatsHealth, StatsOfAFreshLogHaveNoCursorsAndNoDeadLetters) {
  produce(100);
  const json j = stats();
  EXPECT_EQ(j.at("log").at("records"), 100);
  EXPECT_EQ(j.at("cursors"), json::array());
  EXPECT_EQ(j.at("dead_letters").at("total"), 0);
  EXPECT_EQ(j.at("dead_letters").at("pending"), 0);
}

TEST_F(SpoolctlStatsHealth, StatsAfterAForwardShowTheLogTheCursorAndItsTotals) {
  produce();
  ASSERT_EQ(forward(jsonl_).at("delivered"), kSpans);
  const json j = stats();
  for (const char* key : {"log", "cursors", "dead_letters"}) EXPECT_TRUE(j.contains(key)) << key;

  const json& log = j.at("log");
  for (const char* key : {"log_id", "first_offset", "next_offset", "records", "size_bytes", "segments"}) {
    EXPECT_TRUE(log.contains(key)) << key;
  }
  ASSERT_TRUE(log.at("log_id").is_string());
  const std::string log_id = log.at("log_id").get<std::string>();
  EXPECT_EQ(log_id.size(), 16u);
  EXPECT_EQ(log_id.find_first_not_of("0123456789abcdef"), std::string::npos) << log_id;
  EXPECT_EQ(log.at("first_offset"), 0);
  EXPECT_EQ(log.at("next_offset"), kSpans);
  EXPECT_EQ(log.at("records"), kSpans);
  EXPECT_GT(log.at("size_bytes").get<std::uint64_t>(), 0u);
  EXPECT_GE(log.at("segments").get<std::uint64_t>(), 1u);

  // The same log id the sink stamped on every record.
  std::ifstream in(tmp_.sub("out.jsonl"));
  std::string first_line;
  ASSERT_TRUE(std::getline(in, first_line));
  EXPECT_EQ(json::parse(first_line).at("log_id"), log_id);

  ASSERT_EQ(j.at("cursors").size(), 1u);
  const json& c = j.at("cursors")[0];
  EXPECT_EQ(c.at("name"), "default");
  EXPECT_EQ(c.at("next_offset"), kSpans);
  EXPECT_EQ(c.at("lag").at("records"), 0);
  EXPECT_EQ(c.at("lag").at("bytes"), 0);
  EXPECT_EQ(c.at("lag").at("oldest_age_s"), 0.0);
  const json& t = c.at("totals");
  for (const char* key : {"delivered", "dead_lettered", "dropped_unforwarded", "rejected_unnamed",
                          "failed", "retried", "batches", "failed_sends", "bytes_sent",
                          "bytes_read", "last_flush", "last_error_time", "last_error"}) {
    EXPECT_TRUE(t.contains(key)) << key;
  }
  EXPECT_EQ(t.at("delivered"), kSpans);
  EXPECT_EQ(t.at("dead_lettered"), 0);
  EXPECT_EQ(t.at("dropped_unforwarded"), 0);
  EXPECT_EQ(t.at("failed"), 0);
  EXPECT_EQ(t.at("failed_sends"), 0);
  EXPECT_GE(t.at("batches").get<std::uint64_t>(), 1u);
  EXPECT_GT(t.at("bytes_read").get<std::uint64_t>(), 0u);
  EXPECT_TRUE(is_iso8601_utc(t.at("last_flush"))) << t.at("last_flush");
  EXPECT_TRUE(t.at("last_error_time").is_null());

  EXPECT_EQ(j.at("dead_letters").at("total"), 0);
  EXPECT_EQ(j.at("dead_letters").at("pending"), 0);
}

TEST_F(SpoolctlStatsHealth, StatsOfAMissingDirectoryExit2) {
  ProcessResult r = spoolctl({"stats", tmp_.sub("missing")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_FALSE(r.err.empty());
}

// ---- health ------------------------------------------------------------------------------

TEST_F(SpoolctlStatsHealth, AForwardedLogIsHealthy) {
  produce();
  forward(jsonl_);
  ProcessResult r = spoolctl({"health", dir_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "healthy\n");
  // Caught up: no lag at all, whatever the threshold.
  r = spoolctl({"health", dir_, "--max-lag-s", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "healthy\n");
}

TEST_F(SpoolctlStatsHealth, ACursorBehindOldRecordsWarnsForwardLag) {
  produce();
  forward(jsonl_);
  ProcessResult seek = spoolctl({"cursors", dir_, "--seek", "default", "--to", "earliest"});
  ASSERT_EQ(seek.exit_code, 0) << seek.err;
  ProcessResult r = spoolctl({"health", dir_, "--max-lag-s", "0"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  bool found = false;
  for (const std::string& line : lines_of(r.out)) {
    EXPECT_EQ(line.rfind("warning: ", 0), 0u) << line;
    if (line.rfind("warning: forward_lag: ", 0) == 0) {
      found = true;
      EXPECT_NE(line.find("default"), std::string::npos) << "names the cursor: " << line;
    }
  }
  EXPECT_TRUE(found) << r.out;
  // The default threshold (5 minutes) is far above the age of these records.
  r = spoolctl({"health", dir_});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(SpoolctlStatsHealth, ALogAboveItsCapWarnsBufferFill) {
  produce();
  forward(jsonl_);
  ProcessResult r = spoolctl({"health", dir_, "--cap-bytes", "1K"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("warning: buffer_fill: "), std::string::npos) << r.out;
  r = spoolctl({"health", dir_, "--cap-bytes", "1GiB"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(SpoolctlStatsHealth, HealthErrorsExit2) {
  ProcessResult r = spoolctl({"health", tmp_.sub("missing")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());

  produce(10);
  forward(jsonl_);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"health", dir_, "--max-lag-s", "-1"},
        std::vector<std::string>{"health", dir_, "--max-lag-s", "soon"},
        std::vector<std::string>{"health", dir_, "--cap-bytes", "lots"}}) {
    r = spoolctl(args);
    EXPECT_EQ(r.exit_code, 2) << args.back();
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  // A damaged cursor file is an error, not a healthy log.
  const std::string cursor_file = dir_ + "/cursors/default.cursor";
  ASSERT_TRUE(std::filesystem::exists(cursor_file));
  testing::write_file(cursor_file, "this is not a cursor file");
  r = spoolctl({"health", dir_});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(r.err.empty());
}

// ---- dead letters ------------------------------------------------------------------------

TEST_F(SpoolctlStatsHealth, DeadLettersOfALogWithoutAnyPrintNothing) {
  produce(10);
  ProcessResult r = spoolctl({"deadletters", dir_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  r = spoolctl({"deadletters", dir_, "--requeue"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("requeued"), 0);
  r = spoolctl({"deadletters", tmp_.sub("missing")});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(SpoolctlStatsHealth, RefusedRecordsAreDeadLetteredListedAndRequeued) {
  OtlpReceiver receiver;
  receiver.set_policy([](const OtlpReceiver::RequestInfo&) {
    return OtlpReceiver::Response::error(400, "refused by test");
  });
  ASSERT_TRUE(receiver.start());
  produce();
  const json summary = forward(receiver.endpoint());
  EXPECT_EQ(summary.at("delivered"), 0);
  EXPECT_EQ(summary.at("dead_lettered"), kSpans);
  EXPECT_EQ(summary.at("cursor_offset"), kSpans);

  // Listed, one JSON object per line, each naming the record it stands for.
  ProcessResult r = spoolctl({"deadletters", dir_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kSpans));
  const std::string log_id = stats().at("log").at("log_id").get<std::string>();
  std::set<std::uint64_t> offsets;
  for (const std::string& line : lines) {
    const json d = json::parse(line);
    for (const char* key : {"dead_letter_offset", "log_id", "offset", "kind", "attempts",
                            "dead_lettered_at", "error", "payload_bytes", "requeued"}) {
      ASSERT_TRUE(d.contains(key)) << key << " missing from " << line;
    }
    EXPECT_EQ(d.at("log_id"), log_id);
    EXPECT_EQ(d.at("kind"), "span");
    EXPECT_TRUE(d.at("attempts").is_number_unsigned()) << line;
    EXPECT_TRUE(is_iso8601_utc(d.at("dead_lettered_at"))) << line;
    EXPECT_NE(d.at("error").get<std::string>().find("400"), std::string::npos) << line;
    EXPECT_GT(d.at("payload_bytes").get<std::uint64_t>(), 0u);
    EXPECT_EQ(d.at("requeued"), false);
    offsets.insert(d.at("offset").get<std::uint64_t>());
  }
  EXPECT_EQ(offsets.size(), static_cast<std::size_t>(kSpans));
  EXPECT_EQ(*offsets.begin(), 0u);
  EXPECT_EQ(*offsets.rbegin(), static_cast<std::uint64_t>(kSpans - 1));

  r = spoolctl({"deadletters", dir_, "--limit", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), 5u);

  json st = stats();
  EXPECT_EQ(st.at("dead_letters").at("total"), kSpans);
  EXPECT_EQ(st.at("dead_letters").at("pending"), kSpans);
  EXPECT_EQ(st.at("cursors")[0].at("totals").at("dead_lettered"), kSpans);
  EXPECT_TRUE(is_iso8601_utc(st.at("cursors")[0].at("totals").at("last_error_time")));
  EXPECT_TRUE(st.at("cursors")[0].at("totals").at("last_error").is_string());

  // A fresh forwarding error makes the log unhealthy.
  r = spoolctl({"health", dir_});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("warning: recent_error: "), std::string::npos) << r.out;

  // Requeue: every dead letter back into the log, once.
  r = spoolctl({"deadletters", dir_, "--requeue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("requeued"), kSpans);
  st = stats();
  EXPECT_EQ(st.at("log").at("next_offset"), 2 * kSpans);
  EXPECT_EQ(st.at("dead_letters").at("total"), kSpans);
  EXPECT_EQ(st.at("dead_letters").at("pending"), 0);
  EXPECT_EQ(st.at("cursors")[0].at("lag").at("records"), kSpans);

  r = spoolctl({"deadletters", dir_, "--requeue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("requeued"), 0);
  EXPECT_EQ(stats().at("log").at("next_offset"), 2 * kSpans);

  r = spoolctl({"deadletters", dir_, "--limit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("requeued"), true);

  // Now accepted: the requeued records are delivered, with the payloads they had.
  receiver.set_policy([](const OtlpReceiver::RequestInfo&) { return OtlpReceiver::Response::ok(); });
  const json again = forward(receiver.endpoint());
  EXPECT_EQ(again.at("delivered"), kSpans);
  EXPECT_EQ(receiver.decode_error_count(), 0u);
}

TEST_F(SpoolctlStatsHealth, RequeueBesideALiveWriterAppendsAsAnAttachedProducer) {
  OtlpReceiver receiver;
  receiver.set_policy([](const OtlpReceiver::RequestInfo&) {
    return OtlpReceiver::Response::error(400, "refused by test");
  });
  ASSERT_TRUE(receiver.start());
  produce();
  EXPECT_EQ(forward(receiver.endpoint()).at("dead_lettered"), kSpans);
  // This process writes the log now: requeue appends through a shared ring, this writer frames.
  Options o;
  o.role = Role::kWriter;
  auto writer = Buffer::open(dir_, o);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  ProcessResult r = spoolctl({"deadletters", dir_, "--requeue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("requeued"), kSpans);
  EXPECT_EQ((*writer)->committed_offset(), static_cast<std::uint64_t>(2 * kSpans));
  ASSERT_TRUE((*writer)->shutdown().is_ok());
  const json st = stats();
  EXPECT_EQ(st.at("log").at("next_offset"), 2 * kSpans);
  EXPECT_EQ(st.at("dead_letters").at("pending"), 0);
}

}  // namespace
}  // namespace spool
