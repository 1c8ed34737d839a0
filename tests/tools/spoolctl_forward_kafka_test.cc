// `spoolctl forward --to kafka://...` through a broker outage and a SIGKILL, against a
// 3-broker librdkafka mock cluster hosted in a process of its own (support/
// kafka_mock_cluster_main.cc): a backlog produced with `spoolctl produce` is forwarded; while
// the forwarder runs, the broker leading partition 0 goes down for 10 s; meanwhile the
// forwarder is killed with SIGKILL and started again. Afterwards a consumer reads the topic:
// every produced record is there, none more than twice (by its key, the idempotency key).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "segment/segment_log.h"
#include "spool/cursors.h"
#include "spool/sink.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::TempDir;

// Enough that the forwarder is still busy when the broker goes down (the drain of this
// backlog to the mock takes seconds; the broker goes down after the first commit).
constexpr int kSpans = 60'000;
constexpr int kPartitions = 3;
constexpr auto kBrokerDownFor = std::chrono::seconds(10);
constexpr auto kKillAfter = std::chrono::seconds(3);

// The mock cluster process and its line protocol.
class ClusterProcess {
 public:
  ClusterProcess()
      : process_({KAFKA_MOCK_CLUSTER_PATH, "--brokers", "3", "--topic", "spans", "--partitions",
                  std::to_string(kPartitions)}) {
    const auto first = process_.read_line(limit_ms());
    if (first && first->starts_with("bootstrap ")) bootstrap_ = first->substr(10);
    for (int p = 0; p < kPartitions; ++p) {
      const auto line = process_.read_line(limit_ms());
      if (line && line->starts_with("leader ")) leaders_.push_back(*line);
    }
  }

  bool ok() const { return !bootstrap_.empty() && leaders_.size() == kPartitions; }
  const std::string& bootstrap() const { return bootstrap_; }
  // "leader 0 B": the broker leading partition 0.
  std::string leader_of_partition_0() const {
    return leaders_.at(0).substr(std::string("leader 0 ").size());
  }

  // Sends a command; the lines of its answer up to "ok" (nullopt on "error ..." or silence).
  std::optional<std::vector<std::string>> command(const std::string& text) {
    if (!process_.write_stdin(text + "\n")) return std::nullopt;
    std::vector<std::string> lines;
    for (;;) {
      const auto line = process_.read_line(limit_ms());
      if (!line || line->starts_with("error")) {
        ADD_FAILURE() << text << ": " << line.value_or("(no answer)");
        return std::nullopt;
      }
      if (*line == "ok") return lines;
      lines.push_back(*line);
    }
  }

 private:
  static int limit_ms() {
    return static_cast<int>(testing::scaled(std::chrono::milliseconds(90'000)).count());
  }

  ChildProcess process_;
  std::string bootstrap_;
  std::vector<std::string> leaders_;
};

std::vector<std::string> forward_argv(const std::string& dir, const std::string& url) {
  return {SPOOLCTL_PATH, "forward", dir, "--to", url, "--drain", "--drain-timeout-s", "120"};
}

std::uint64_t cursor_offset(const std::string& dir) {
  auto cursors = list_cursors(dir);
  if (!cursors) return 0;
  for (const CursorInfo& c : *cursors) {
    if (c.name == "default") return c.next_offset;
  }
  return 0;
}

TEST(SpoolctlForwardKafka, EveryRecordArrivesAtMostTwiceThroughALeaderOutageAndAKill) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const ProcessResult produced =
      testing::spoolctl({"produce", dir, "--spans", std::to_string(kSpans)});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  std::uint64_t log_id = 0;
  {
    auto log = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
    ASSERT_TRUE(log) << log.status().to_string();
    log_id = (*log)->log_id();
    ASSERT_EQ((*log)->next_offset(), static_cast<std::uint64_t>(kSpans));
  }

  ClusterProcess cluster;
  ASSERT_TRUE(cluster.ok());
  const std::string url = "kafka://" + cluster.bootstrap() + "/spans";

  auto first = std::make_unique<ChildProcess>(forward_argv(dir, url));
  ASSERT_TRUE(first->started());
  // Running: once its first batch is committed, the leader of partition 0 goes down.
  const auto started = Clock::now();
  while (cursor_offset(dir) == 0) {
    ASSERT_LT(Clock::now() - started, testing::scaled(std::chrono::seconds(60)))
        << "nothing was forwarded";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string leader = cluster.leader_of_partition_0();
  ASSERT_TRUE(cluster.command("down " + leader));
  const auto down_at = Clock::now();

  // SIGKILL mid-outage (its batch in flight, its cursor behind), and start it again at once.
  std::this_thread::sleep_for(kKillAfter);
  const std::uint64_t before_kill = cursor_offset(dir);
  first->kill(SIGKILL);
  const ProcessResult killed = first->wait();
  ASSERT_EQ(killed.signal, SIGKILL) << "the forwarder ended by itself (exit " << killed.exit_code
                                    << ") before the kill: the backlog was drained too early\n"
                                    << killed.out << killed.err;
  EXPECT_LT(before_kill, static_cast<std::uint64_t>(kSpans));
  ChildProcess second(forward_argv(dir, url));
  ASSERT_TRUE(second.started());

  std::this_thread::sleep_until(down_at + kBrokerDownFor);
  ASSERT_TRUE(cluster.command("up " + leader));

  const ProcessResult drained = second.wait(testing::scaled(std::chrono::milliseconds(150'000)));
  ASSERT_EQ(drained.exit_code, 0) << drained.err;
  const nlohmann::json summary = nlohmann::json::parse(drained.out);
  EXPECT_EQ(summary.at("sink"), "kafka");
  EXPECT_EQ(summary.at("cursor_offset"), kSpans);
  EXPECT_EQ(summary.at("dead_lettered"), 0);

  // Every record's key, by count.
  const auto answer = cluster.command("count spans");
  ASSERT_TRUE(answer);
  std::map<std::string, int> counts;
  for (const std::string& line : *answer) {
    if (!line.starts_with("key ")) continue;
    const std::size_t space = line.rfind(' ');
    counts[line.substr(4, space - 4)] = std::stoi(line.substr(space + 1));
  }
  int missing = 0, more_than_twice = 0, twice = 0;
  for (std::uint64_t offset = 0; offset < static_cast<std::uint64_t>(kSpans); ++offset) {
    const auto it = counts.find(idempotency_key(log_id, offset));
    if (it == counts.end()) {
      ++missing;
    } else if (it->second > 2) {
      ++more_than_twice;
    } else if (it->second == 2) {
      ++twice;
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(more_than_twice, 0);
  EXPECT_EQ(counts.size(), static_cast<std::size_t>(kSpans)) << "keys that are no record's";
  // The kill came after a commit and before the end: some records went twice, not all.
  EXPECT_LT(twice, kSpans);
  RecordProperty("twice", twice);
  RecordProperty("cursor_at_kill", static_cast<int>(before_kill));
}

}  // namespace
}  // namespace spool
