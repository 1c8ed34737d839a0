// engine/produce/log_writer.h: the writer thread, driven directly (rings, budget, log).
#include "engine/produce/log_writer.h"

#include <string>

#include <gtest/gtest.h>

#include "engine/produce/producer_registry.h"
#include "engine/produce/queue_budget.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using spool::testing::bytes_of;
using spool::testing::read_all;
using spool::testing::TempDir;

// A record the log refuses (larger than a segment holds) reaches the writer only if
// something upstream let it through; the writer must drop that one record, count it, and
// write the rest of its batch, instead of retrying the batch for ever.
TEST(LogWriter, ARecordTheLogRefusesIsDroppedAndTheRestOfTheBatchIsWritten) {
  TempDir dir;
  LogOptions log_options;
  log_options.segment_bytes = 4096;  // a payload of at most 3992 bytes fits
  auto log = spool::testing::open_log(dir.path(), log_options);
  ASSERT_NE(log, nullptr);
  ASSERT_LT(log->max_payload_bytes(), 5000u);

  Options options;
  options.log = log_options;
  options.log.max_record_bytes = 8192;  // what the rings admit (the writer's arena holds it)
  ProducerRegistry registry(64 * 1024);
  QueueBudget budget(1 << 20, 1 << 20);
  LogWriter writer(*log, registry, budget, options);
  writer.set_paused(true);  // all three go into one batch
  writer.start();

  const std::string small_a(100, 'a');
  const std::string too_large(5000, 'X');
  const std::string small_b(200, 'b');
  ProducerRing& ring = registry.local_ring();
  for (const std::string* payload : {&small_a, &too_large, &small_b}) {
    ring.producer.appended.fetch_add(1);
    ASSERT_TRUE(ring.try_push(EntryHeader{static_cast<std::uint32_t>(payload->size()), 7, 0, 1},
                              bytes_of(*payload)));
  }
  writer.set_paused(false);
  ASSERT_TRUE(writer
                  .wait_for_progress([&] { return ring.consumer.done.load() >= 3; },
                                     io::monotonic_ns() + 60'000'000'000)
                  .is_ok());

  std::uint64_t refused = 0;
  BufferStats stats;
  writer.with_accounting_frozen([&] {
    refused = writer.refused_by_log_locked();
    writer.fill_stats_locked(&stats);
  });
  EXPECT_EQ(refused, 1u);
  EXPECT_EQ(stats.written, 2u);
  EXPECT_EQ(stats.write_errors, 0u) << stats.last_write_error;
  ASSERT_TRUE(writer.stop().is_ok());

  const auto records = read_all(*log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records.at(0), small_a);
  EXPECT_EQ(records.at(1), small_b);
}

}  // namespace
}  // namespace spool::engine
