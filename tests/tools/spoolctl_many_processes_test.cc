// Many processes on one log, through the CLI contract of issue "Many processes, one log":
// several `spoolctl produce` processes append to one directory at once (the first writes, the
// others attach through shared rings), the writer is killed and another process takes over,
// attached producers are killed mid-stream, and readers run beside the writers. What reaches
// the log is checked from the `producer` and `seq` attributes every produced span carries:
// offsets gap-free, every producer's spans exactly seq 0, 1, ..., n-1 (a gap-free prefix, no
// duplicates), and for a producer that finished, n equals what it reported acknowledged.
//
// The figures are small so the suite stays quick; SPOOL_SOAK=1 runs the full figures
// (4 x 2 x 250k spans, 20 writer kills, 100 producer kills, 100 verify runs).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "spool/buffer.h"
#include "support/producer_stamps.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool soak() {
  const char* v = std::getenv("SPOOL_SOAK");
  return v != nullptr && std::string(v) == "1";
}

std::unique_ptr<ChildProcess> start_produce(const std::string& dir, std::uint64_t spans, unsigned threads) {
  return std::make_unique<ChildProcess>(std::vector<std::string>{
      SPOOLCTL_PATH, "produce", dir, "--spans", std::to_string(spans), "--threads", std::to_string(threads)});
}

// The JSON object a finished produce printed (null when it printed none).
json produce_report(ChildProcess& child) {
  ProcessResult r = child.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto line_end = r.out.find('\n');
  if (line_end == std::string::npos) return nullptr;
  return json::parse(r.out.substr(0, line_end), nullptr, /*allow_exceptions=*/false);
}

// The writer's pid per `spoolctl stats` (0 when no writer runs).
long writer_pid(const std::string& dir) {
  ProcessResult r = spoolctl({"stats", dir});
  if (r.exit_code != 0) return 0;
  json j = json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("writer") || !j["writer"].is_object()) return 0;
  return j["writer"].value("pid", 0L);
}

// Whether `spoolctl stats` lists a producer of process `pid`.
bool producer_listed(const std::string& dir, long pid) {
  ProcessResult r = spoolctl({"stats", dir});
  if (r.exit_code != 0) return false;
  json j = json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("producers")) return false;
  for (const json& p : j["producers"]) {
    if (p.value("pid", 0L) == pid) return true;
  }
  return false;
}

// Opens the log as its writer once and closes it: drains rings that producers killed after
// the last writer closed left behind.
void drain_leftover_rings(const std::string& dir) {
  Options options;
  options.role = Role::kWriter;
  auto buffer = Buffer::open(dir, options);
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
}

// Checks the stamps of the whole log; `finished` maps each producer that reported to how many
// spans it said were acknowledged.
void expect_complete(const std::string& dir, const std::map<std::string, std::int64_t>& finished,
                     std::uint64_t* total = nullptr) {
  const std::vector<StampedSpan> spans = read_stamped_spans(dir);
  const StampCheck check = check_stamps(spans);
  EXPECT_TRUE(check.offsets_gap_free);
  EXPECT_EQ(check.unstamped, 0u);
  EXPECT_TRUE(check.not_a_prefix.empty()) << check.not_a_prefix.front();
  for (const auto& [producer, acknowledged] : finished) {
    const auto it = check.count.find(producer);
    const std::uint64_t in_log = it == check.count.end() ? 0 : it->second;
    EXPECT_EQ(in_log, static_cast<std::uint64_t>(acknowledged)) << producer;
  }
  if (total != nullptr) *total = spans.size();
}

void collect_acknowledged(const json& report, std::map<std::string, std::int64_t>* finished) {
  ASSERT_TRUE(report.is_object());
  for (const json& p : report["producers"]) {
    (*finished)[p["producer"].get<std::string>()] = p["acknowledged"].get<std::int64_t>();
  }
}

TEST(SpoolctlManyProcesses, ProducersInFourProcessesFillOneLogCompletelyAndInOrder) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/log";
  const std::uint64_t per_thread = soak() ? 250'000 : 20'000;
  ASSERT_EQ(spoolctl({"produce", dir, "--spans", "1"}).exit_code, 0);  // the log exists first
  std::vector<std::unique_ptr<ChildProcess>> producers;
  for (int p = 0; p < 4; ++p) producers.push_back(start_produce(dir, 2 * per_thread, 2));
  std::map<std::string, std::int64_t> finished;
  std::set<std::string> roles;
  for (auto& child : producers) {
    const json report = produce_report(*child);
    ASSERT_TRUE(report.is_object());
    roles.insert(report["role"].get<std::string>());
    EXPECT_EQ(report["not_queued"].get<std::uint64_t>(), 0u);
    collect_acknowledged(report, &finished);
  }
  EXPECT_TRUE(roles.count("attached")) << "four producers at once: at least one attaches";
  std::uint64_t total = 0;
  expect_complete(dir, finished, &total);
  EXPECT_EQ(total, 1 + 4 * 2 * per_thread);
}

TEST(SpoolctlManyProcesses, KilledWritersAreReplacedAndNothingAcknowledgedIsLost) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/log";
  const int kills = soak() ? 20 : 4;
  const std::uint64_t spans = soak() ? 2'000'000 : 400'000;  // long enough to outlive the kills
  ASSERT_EQ(spoolctl({"produce", dir, "--spans", "1"}).exit_code, 0);
  std::vector<std::unique_ptr<ChildProcess>> producers;
  for (int p = 0; p < 4; ++p) producers.push_back(start_produce(dir, spans, 2));
  std::set<long> killed;
  std::mt19937 rng(7);
  for (int k = 0; k < kills; ++k) {
    long writer = 0;
    const auto deadline = std::chrono::steady_clock::now() + scaled(30s);
    while ((writer = writer_pid(dir)) == 0 || killed.count(writer)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no writer took over after kill " << k;
      std::this_thread::sleep_for(2ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 80));
    for (auto& child : producers) {
      if (child->started() && child->pid() == writer) child->kill(SIGKILL);
    }
    killed.insert(writer);
    producers.push_back(start_produce(dir, spans / 4, 2));
  }
  std::map<std::string, std::int64_t> finished;
  for (auto& child : producers) {
    if (killed.count(child->pid())) {
      (void)child->wait();
      continue;
    }
    collect_acknowledged(produce_report(*child), &finished);
  }
  drain_leftover_rings(dir);
  expect_complete(dir, finished);
}

TEST(SpoolctlManyProcesses, KilledAttachedProducersNeverStallTheWriterAndAreCounted) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/log";
  const int kills = soak() ? 100 : 10;
  ASSERT_EQ(spoolctl({"produce", dir, "--spans", "1"}).exit_code, 0);
  auto writer = start_produce(dir, soak() ? 20'000'000 : 300'000, 1);
  std::mt19937 rng(11);
  std::set<long> killed;
  for (int k = 0; k < kills; ++k) {
    auto victim = start_produce(dir, 10'000'000, 2);
    // Killed mid-stream: once it produces (its ring is listed), after a random moment more.
    const auto deadline = std::chrono::steady_clock::now() + scaled(30s);
    while (!producer_listed(dir, victim->pid())) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "attached producer " << victim->pid() << " never appended";
      std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
    victim->kill(SIGKILL);
    killed.insert(victim->pid());
    (void)victim->wait();
  }
  std::map<std::string, std::int64_t> finished;
  collect_acknowledged(produce_report(*writer), &finished);
  drain_leftover_rings(dir);
  expect_complete(dir, finished);
  // Every killed process that got a span into the log is listed as a dead producer.
  std::set<long> in_log;
  for (const StampedSpan& s : read_stamped_spans(dir)) {
    if (s.producer.size() > 1) in_log.insert(std::strtol(s.producer.c_str() + 1, nullptr, 10));
  }
  ProcessResult stats = spoolctl({"stats", dir});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const json j = json::parse(stats.out);
  std::set<long> dead;
  for (const json& p : j["producers"]) {
    if (!p["alive"].get<bool>()) dead.insert(p["pid"].get<long>());
  }
  for (long pid : killed) {
    if (in_log.count(pid)) {
      EXPECT_TRUE(dead.count(pid)) << "killed producer " << pid << " not shown dead";
    }
  }
  EXPECT_GE(j["producers_died"].get<std::uint64_t>(), static_cast<std::uint64_t>(kills));
}

TEST(SpoolctlManyProcesses, VerifyAndForwardBesideLiveWritersSeeNoDamageAndEverySpan) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/log";
  const int verifies = soak() ? 100 : 15;
  ASSERT_EQ(spoolctl({"produce", dir, "--spans", "1"}).exit_code, 0);
  std::vector<std::unique_ptr<ChildProcess>> producers;
  for (int p = 0; p < 2; ++p) producers.push_back(start_produce(dir, soak() ? 1'000'000 : 200'000, 2));
  for (int v = 0; v < verifies; ++v) {
    ProcessResult r = spoolctl({"verify", dir});
    EXPECT_EQ(r.exit_code, 0) << "verify run " << v << ": " << r.out << r.err;
  }
  std::map<std::string, std::int64_t> finished;
  for (auto& child : producers) collect_acknowledged(produce_report(*child), &finished);
  const std::string out = tmp.path() + "/out.jsonl";
  ProcessResult fwd = spoolctl({"forward", dir, "--to", "file:" + out, "--drain"});
  ASSERT_EQ(fwd.exit_code, 0) << fwd.err;
  std::uint64_t total = 0;
  expect_complete(dir, finished, &total);
  std::ifstream in(out);
  std::uint64_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, total);
}

}  // namespace
}  // namespace spool::testing
