// Retention deletes whole segments oldest first; a crash at any step of a deletion leaves a
// log that opens, with a contiguous suffix of the records and no leftovers after recovery.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "segment/segment_header.h"
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

constexpr std::uint64_t kRecords = 400;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

class RetentionCrash : public ::testing::TestWithParam<DeletionStep> {};

TEST_P(RetentionCrash, CrashAtDeletionStepLeavesALogThatOpens) {
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 8192;
  std::uint64_t first_base = 0, second_base = 0;
  {
    auto log = open_log(dir.path(), o);
    ASSERT_NE(log, nullptr);
    for (std::uint64_t i = 0; i < kRecords; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
    ASSERT_GT(log->segment_count(), 3u);
    first_base = log->segments()[0]->base_offset();
    second_base = log->segments()[1]->base_offset();
  }
  const DeletionStep crash_at = GetParam();
  int status = testing::run_in_child([&] {
    auto log = SegmentLog::open(dir.path(), o);
    if (!log) ::_exit(3);
    (*log)->set_deletion_hook([&](DeletionStep s) {
      if (s == crash_at) ::_exit(0);  // dies mid-deletion with the log open
    });
    // A cap that forces exactly the oldest segment out first.
    (*log)->set_retention((*log)->disk_bytes() - 1, 0);
    auto deleted = (*log)->enforce_retention();
    ::_exit(deleted ? 5 : 4);  // the hook should have ended us
  });
  ASSERT_EQ(status, 0);

  auto log = open_log(dir.path(), o);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), kRecords);
  // The rename of the segment file is the commit point of the deletion.
  const bool gone = crash_at != DeletionStep::kBeforeRename;
  EXPECT_EQ(log->first_offset(), gone ? second_base : first_base);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), kRecords - log->first_offset());
  for (const auto& [off, payload] : all) ASSERT_EQ(payload, sample_payload(off));
  EXPECT_FALSE(log->recovery_report().found_damage());
  for (const std::string& name : names_in(dir.path())) {
    EXPECT_EQ(name.find(".deleted"), std::string::npos) << name;
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
  EXPECT_EQ(std::filesystem::exists(dir.sub(index_file_name(first_base))), !gone);
  // And the log keeps working: appends continue, a clean reopen agrees.
  auto off = log->append(0, bytes_of("after"));
  ASSERT_TRUE(off);
  EXPECT_EQ(*off, kRecords);
  ASSERT_TRUE(log->close());
  auto again = open_log(dir.path(), o);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->next_offset(), kRecords + 1);
  EXPECT_EQ(read_all(*again).size(), kRecords + 1 - again->first_offset());
}

INSTANTIATE_TEST_SUITE_P(EveryStep, RetentionCrash,
                         ::testing::Values(DeletionStep::kBeforeRename,
                                           DeletionStep::kAfterRenameSegment,
                                           DeletionStep::kAfterRenameIndex,
                                           DeletionStep::kAfterDirSync,
                                           DeletionStep::kAfterUnlinkSegment,
                                           DeletionStep::kAfterUnlinkIndex));

}  // namespace
}  // namespace spool::segment
