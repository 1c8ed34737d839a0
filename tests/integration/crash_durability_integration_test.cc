// Guarantee 2 under kill -9: in every durability mode an append that returned OK is in the
// page cache at least, so killing the writer loses none of them; the next writer continues
// the offsets after the last surviving record.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "segment/segment_log.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;

class CrashDurability : public ::testing::TestWithParam<Durability> {};

TEST_P(CrashDurability, KillNineLosesNoAcknowledgedAppend) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 64 * 1024;
  o.durability = GetParam();
  o.sync_interval_ms = 5;
  int acks[2];
  ASSERT_EQ(::pipe(acks), 0);
  testing::ForkedChild child(testing::fork_tied_to_parent());
  if (child.pid() == 0) {
    ::close(acks[0]);
    auto log = SegmentLog::open(dir.path(), o);
    if (!log) ::_exit(3);
    for (std::uint64_t i = 0;; ++i) {
      auto off = (*log)->append(0, bytes_of(sample_payload(i)));
      if (!off) ::_exit(4);
      if (::write(acks[1], &*off, sizeof *off) != sizeof *off) ::_exit(5);
    }
  }
  ::close(acks[1]);
  // Let it run through a few rotations, then kill it mid-stream. (Batch mode syncs every
  // append, at a few ms each: fewer records keep the test short.)
  const std::size_t kill_after = GetParam() == Durability::kBatch ? 400 : 3000;
  std::vector<std::uint64_t> acked;
  std::uint64_t off;
  while (acked.size() < kill_after && ::read(acks[0], &off, sizeof off) == sizeof off) acked.push_back(off);
  const int ended = child.kill_and_wait();
  // Acks already in the pipe were also acknowledged before the kill.
  while (::read(acks[0], &off, sizeof off) == sizeof off) acked.push_back(off);
  ::close(acks[0]);
  ASSERT_EQ(ended, 128 + SIGKILL) << "writer ended on its own: " << ended;
  ASSERT_GE(acked.size(), kill_after);

  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->recovery_report().clean_shutdown);
  EXPECT_TRUE(log->recovery_report().skipped.empty());
  auto all = read_all(*log);
  for (std::size_t i = 0; i < acked.size(); ++i) {
    ASSERT_EQ(acked[i], i);
    auto it = all.find(acked[i]);
    ASSERT_NE(it, all.end()) << "acknowledged offset " << acked[i] << " lost";
    ASSERT_EQ(it->second, sample_payload(acked[i]));
  }
  // Records written but not yet acknowledged may survive too; never anything else.
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.rbegin()->first + 1, all.size());
  auto next = log->append(0, bytes_of("next"));
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, all.rbegin()->first + 1);
}

INSTANTIATE_TEST_SUITE_P(EveryMode, CrashDurability,
                         ::testing::Values(Durability::kNone, Durability::kInterval,
                                           Durability::kBatch),
                         [](const auto& info) {
                           switch (info.param) {
                             case Durability::kNone: return std::string("none");
                             case Durability::kInterval: return std::string("interval");
                             case Durability::kBatch: return std::string("batch");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace spool::segment
