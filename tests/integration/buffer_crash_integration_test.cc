// Guarantee 2 through the Buffer, under kill -9 in each durability mode: every record whose
// flush() returned (and, in kBatch mode, every record below the committed offset) survives;
// what survives is a gap-free prefix of what was appended, in order; the next Buffer
// continues after it. Records still queued when the process dies are lost in every mode
// (README "Durability"): the test allows that, never anything else.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool/buffer.h"
#include "support/child_process.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::read_seq_records;

class BufferCrash : public ::testing::TestWithParam<Durability> {};

Options crash_options(Durability d) {
  Options o;
  o.log.segment_bytes = 256 * 1024;
  o.log.durability = d;
  o.log.sync_interval_ms = 5;
  o.adaptive_budget = false;
  o.full_policy = FullPolicy::kBlock;
  o.block_timeout_ms = 60'000;
  return o;
}

TEST_P(BufferCrash, KillNineLosesNothingFlushedOrCommitted) {
  testing::TempDir dir;
  const Options o = crash_options(GetParam());
  int acks[2];
  ASSERT_EQ(::pipe(acks), 0);
  testing::ForkedChild child(testing::fork_tied_to_parent());
  if (child.pid() == 0) {
    ::close(acks[0]);
    auto buffer = Buffer::open(dir.path(), o);
    if (!buffer) ::_exit(3);
    for (std::uint64_t i = 0;; ++i) {
      if (!append_seq(**buffer, 0, i, 200).is_ok()) ::_exit(4);
      std::uint64_t acked = 0;
      if (i % 97 == 96) {
        if (!(*buffer)->flush().is_ok()) ::_exit(5);
        acked = i + 1;  // everything up to i is in the log
      } else if (GetParam() == Durability::kBatch) {
        acked = (*buffer)->committed_offset();  // synced before it moved
      }
      if (acked > 0 && ::write(acks[1], &acked, sizeof acked) != sizeof acked) ::_exit(6);
    }
  }
  ::close(acks[1]);
  const std::uint64_t kill_after = 20'000;
  std::uint64_t acked = 0, v = 0;
  while (acked < kill_after && ::read(acks[0], &v, sizeof v) == sizeof v) acked = std::max(acked, v);
  const int ended = child.kill_and_wait();
  while (::read(acks[0], &v, sizeof v) == sizeof v) acked = std::max(acked, v);
  ::close(acks[0]);
  ASSERT_EQ(ended, 128 + SIGKILL) << "producer ended on its own: " << ended;
  ASSERT_GE(acked, kill_after);

  std::vector<testing::SeqRecord> got = read_seq_records(dir.path());
  ASSERT_GE(got.size(), acked) << "acknowledged records lost";
  for (std::uint64_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].seq, i) << "gap or reorder at " << i;

  // The next writer drains the dead one's rings too: what the killed producer appended but
  // was not yet written follows, in order, with no gap and nothing twice.
  auto buffer = Buffer::open(dir.path(), o);
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  EXPECT_GE((*buffer)->committed_offset(), got.size());
  ASSERT_TRUE(append_seq(**buffer, 1, 0).is_ok());
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  std::vector<std::uint64_t> killed;
  std::uint64_t mine = 0;
  for (const testing::SeqRecord& r : read_seq_records(dir.path())) {
    if (r.producer == 0) killed.push_back(r.seq);
    if (r.producer == 1) ++mine;
  }
  EXPECT_EQ(mine, 1u);
  ASSERT_GE(killed.size(), got.size());
  for (std::uint64_t i = 0; i < killed.size(); ++i) ASSERT_EQ(killed[i], i) << "gap or reorder at " << i;
}

INSTANTIATE_TEST_SUITE_P(EveryMode, BufferCrash,
                         ::testing::Values(Durability::kNone, Durability::kInterval, Durability::kBatch),
                         [](const auto& info) {
                           switch (info.param) {
                             case Durability::kNone: return std::string("None");
                             case Durability::kInterval: return std::string("Interval");
                             case Durability::kBatch: return std::string("Batch");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace spool
