// Many producers at once (run under TSan too): nothing lost or duplicated, each producer's
// records in its own order, drops exactly as counted; threads that exit leave their
// records behind for the writer.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "spool/buffer.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::read_seq_records;
using testing::SeqRecord;

constexpr std::uint32_t kProducers = 4;
constexpr std::uint64_t kPerProducer = 20'000;

Options stress_options(FullPolicy policy) {
  Options o;
  o.log.segment_bytes = 1 << 20;  // rotations during the run
  o.adaptive_budget = false;
  o.queue_bytes = 256 * 1024;
  o.min_queue_bytes = 256 * 1024;
  o.producer_ring_bytes = 64 * 1024;  // small: the rings fill and wrap all the time
  o.full_policy = policy;
  o.block_timeout_ms = 120'000;
  o.writer_batch_bytes = 16 * 1024;
  return o;
}

// Runs kProducers threads; returns per producer which sequence numbers were accepted.
std::vector<std::vector<std::uint64_t>> produce(Buffer& buffer) {
  std::vector<std::vector<std::uint64_t>> accepted(kProducers);
  std::atomic<bool> running{true};
  // Readers of stats and flushers run alongside, as in an application.
  std::thread observer([&] {
    while (running.load()) {
      BufferStats s = buffer.stats();
      EXPECT_LE(s.written, s.appended);
      (void)buffer.flush(1);
    }
  });
  std::vector<std::thread> threads;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < kPerProducer; ++i) {
        if (append_seq(buffer, p, i, 8 * (i % 40)).is_ok()) accepted[p].push_back(i);
      }
    });
  }
  for (auto& t : threads) t.join();  // the threads exit: their rings are abandoned
  running = false;
  observer.join();
  return accepted;
}

std::map<std::uint32_t, std::vector<std::uint64_t>> by_producer(const std::vector<SeqRecord>& records) {
  std::map<std::uint32_t, std::vector<std::uint64_t>> out;
  for (const SeqRecord& r : records) out[r.producer].push_back(r.seq);
  return out;
}

TEST(BufferStressTest, BlockingProducersLoseNothingAndKeepTheirOrder) {
  testing::TempDir dir;
  auto buffer = Buffer::open(dir.path(), stress_options(FullPolicy::kBlock));
  ASSERT_TRUE(buffer.is_ok());
  auto accepted = produce(**buffer);
  ASSERT_TRUE((*buffer)->flush().is_ok());
  BufferStats s = (*buffer)->stats();
  EXPECT_EQ(s.appended, kProducers * kPerProducer);
  EXPECT_EQ(s.written, kProducers * kPerProducer);
  EXPECT_EQ(s.dropped_total(), 0u);
  EXPECT_EQ(s.queue_depth, 0u);
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  auto got = by_producer(read_seq_records(dir.path()));
  ASSERT_EQ(got.size(), kProducers);
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    ASSERT_EQ(accepted[p].size(), kPerProducer);
    ASSERT_EQ(got[p], accepted[p]) << "producer " << p;
  }
}

class DroppingStress : public ::testing::TestWithParam<FullPolicy> {};

TEST_P(DroppingStress, LogHoldsExactlyTheUndroppedRecordsInOrder) {
  testing::TempDir dir;
  auto buffer = Buffer::open(dir.path(), stress_options(GetParam()));
  ASSERT_TRUE(buffer.is_ok());
  auto accepted = produce(**buffer);
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  BufferStats s = (*buffer)->stats();
  EXPECT_EQ(s.appended, kProducers * kPerProducer);
  EXPECT_EQ(s.appended, s.written + s.dropped_total());
  EXPECT_EQ(s.queue_depth, 0u);
  auto got = by_producer(read_seq_records(dir.path()));
  std::uint64_t total = 0;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    const std::vector<std::uint64_t>& seqs = got[p];
    total += seqs.size();
    for (std::size_t i = 1; i < seqs.size(); ++i) ASSERT_LT(seqs[i - 1], seqs[i]) << "producer " << p;
    if (GetParam() == FullPolicy::kDropNewest) {
      EXPECT_EQ(seqs, accepted[p]) << "producer " << p;  // refused ones are exactly the missing ones
    } else {
      // kDropOldest accepts everything and evicts older ones: the newest always survives.
      ASSERT_FALSE(seqs.empty());
      EXPECT_EQ(seqs.back(), kPerProducer - 1);
    }
  }
  EXPECT_EQ(total, s.written);
}

INSTANTIATE_TEST_SUITE_P(Policies, DroppingStress,
                         ::testing::Values(FullPolicy::kDropNewest, FullPolicy::kDropOldest),
                         [](const auto& info) {
                           return std::string(info.param == FullPolicy::kDropNewest ? "DropNewest" : "DropOldest");
                         });

}  // namespace
}  // namespace spool
