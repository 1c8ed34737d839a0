// `spoolctl forward` delivers a backlog by priority: 200,000 normal spans are buffered while
// the collector is down, then 1,000 critical ones; once the collector is back, every
// critical span arrives before 10% of the normal ones have (what the receiver got, in the
// order it answered the requests).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/otlp_receiver.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using testing::ChildProcess;
using testing::OtlpReceiver;
using testing::ProcessResult;
using testing::spoolctl;
using testing::TempDir;

constexpr std::uint64_t kNormal = 200'000;
constexpr std::uint64_t kCritical = 1'000;

void produce(const std::string& dir, std::uint64_t spans, const std::string& priority) {
  ProcessResult r =
      spoolctl({"produce", dir, "--spans", std::to_string(spans), "--priority", priority});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// Records of offsets >= kNormal are the critical ones. Counts the normal records delivered
// (answered 2xx) before the last critical one, in the order the receiver answered.
struct Arrival {
  std::uint64_t critical = 0;
  std::uint64_t normal_before_last_critical = 0;
};
Arrival arrival_of(const std::vector<OtlpReceiver::RequestInfo>& requests) {
  Arrival a;
  for (const OtlpReceiver::RequestInfo& r : requests) {
    if (r.status < 200 || r.status > 299) continue;
    for (std::uint64_t offset : r.offsets) {
      if (offset >= kNormal) {
        ++a.critical;
      } else if (a.critical < kCritical) {
        ++a.normal_before_last_critical;
      }
    }
  }
  return a;
}

TEST(SpoolctlForwardPriority, CriticalSpansArriveBeforeATenthOfTheBacklogAfterAnOutage) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  receiver.stop();  // the collector is down while the backlog builds
  produce(dir, kNormal, "normal");
  produce(dir, kCritical, "critical");
  ChildProcess forward(
      {SPOOLCTL_PATH, "forward", dir, "--to", receiver.endpoint(), "--cursor", "otlp"});
  ASSERT_TRUE(forward.started());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // it tries, and backs off
  ASSERT_TRUE(receiver.restart());
  const auto deadline =
      std::chrono::steady_clock::now() + testing::scaled(std::chrono::milliseconds(120'000));
  Arrival a;
  while (std::chrono::steady_clock::now() < deadline) {
    a = arrival_of(receiver.requests());
    if (a.critical >= kCritical) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  forward.kill(SIGTERM);
  (void)forward.wait();
  EXPECT_EQ(a.critical, kCritical);
  EXPECT_LT(a.normal_before_last_critical, kNormal / 10);
  // Each critical span once so far (at least once; the restart may resend a batch).
  std::uint64_t distinct_critical = 0;
  for (const auto& [key, times] : receiver.delivered_keys()) {
    const std::uint64_t offset = std::stoull(key.substr(key.find('-') + 1));
    if (offset >= kNormal) ++distinct_critical;
  }
  EXPECT_EQ(distinct_critical, kCritical);
}

}  // namespace
}  // namespace spool
