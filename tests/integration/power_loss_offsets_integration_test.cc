// Issue 9, item 5: offsets stay monotonic across power loss. In none (or interval)
// durability a power loss drops the unsynced tail of the log, while a consumer cursor
// committed (fsynced) past it survives. Recovery must not hand out the offsets the consumer
// acknowledged again: new records get offsets at or above the cursor, and a forwarder
// starting from that cursor delivers every one of them.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "segment/cursor_store.h"
#include "segment/segment_log.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "support/fault_env.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::FaultEnv;
using spool::testing::open_log;
using spool::testing::sample_payload;

constexpr std::uint16_t kRaw = static_cast<std::uint16_t>(RecordKind::kRawFrame);
constexpr std::uint64_t kBeforeLoss = 1000;
constexpr std::uint64_t kAfterLoss = 3;

TEST(PowerLossOffsets, NewRecordsGetOffsetsAboveTheCursorAndAreDelivered) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o;
  o.durability = Durability::kNone;
  o.segment_bytes = 64 * 1024;  // several segments, sealed and active
  FaultEnv faults;
  io::ScopedEnv scope(&faults);
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    for (std::uint64_t i = 0; i < kBeforeLoss; ++i) {
      ASSERT_TRUE(log->append(kRaw, bytes_of(sample_payload(i))));
    }
    // A consumer delivered everything and committed its cursor (fsynced).
    auto store = CursorStore::open(dir);
    ASSERT_TRUE(store) << store.status().to_string();
    ASSERT_TRUE(store->commit({"fwd", kBeforeLoss, 0, ""}).is_ok());
    // The machine dies: from here on nothing the process does reaches the disk, so the
    // log's close (in its destructor) writes nothing.
    faults.crash_after_mutations(0);
  }
  faults.drop_unsynced_writes();
  faults.crash_after_mutations(1ull << 62);  // the machine is back

  std::vector<std::uint64_t> appended;
  {
    auto log = open_log(dir, o);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    const RecoveryReport& r = log->recovery_report();
    EXPECT_GE(log->next_offset(), kBeforeLoss);
    ASSERT_EQ(r.cursors_past_end.size(), 1u) << "the unsynced tail was not lost";
    EXPECT_EQ(r.cursors_past_end[0].name, "fwd");
    EXPECT_LT(r.cursors_past_end[0].log_end, kBeforeLoss);
    EXPECT_EQ(r.offsets_skipped, kBeforeLoss - r.cursors_past_end[0].log_end);
    for (std::uint64_t i = 0; i < kAfterLoss; ++i) {
      auto off = log->append(kRaw, bytes_of(sample_payload(kBeforeLoss + i)));
      ASSERT_TRUE(off) << off.status().to_string();
      EXPECT_GE(*off, kBeforeLoss);
      appended.push_back(*off);
    }
  }

  std::mutex mu;
  std::vector<std::uint64_t> delivered;
  auto sink = make_callback_sink([&](const ForwardBatch& batch) {
    std::lock_guard<std::mutex> lock(mu);
    for (const ForwardRecord& r : batch.records) delivered.push_back(r.offset);
    return FlushResult::succeeded();
  });
  ForwarderOptions fo;
  fo.cursor = "fwd";
  auto fwd = Forwarder::open(dir, std::move(sink), fo);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush().is_ok());
  ASSERT_TRUE((*fwd)->stop().is_ok());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(delivered, appended);
}

}  // namespace
}  // namespace spool::segment
