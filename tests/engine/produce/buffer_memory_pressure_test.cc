// Adaptive buffer sizing through the Buffer: under memory pressure (a fake cgroup v2 tree)
// the queue budget shrinks, the resize shows in stats, appends beyond the smaller budget
// are refused by policy; when pressure eases the budget grows back to its maximum.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "engine/produce/buffer_core.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr std::uint64_t kMiB = 1 << 20;

// Waits (polling; no timing assertion) until `pred` holds or 20 s pass.
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + testing::scaled(std::chrono::seconds(20));
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(BufferMemoryPressureTest, BudgetShrinksUnderPressureAndGrowsBack) {
  TempDir fake;
  ::mkdir(fake.sub("proc").c_str(), 0755);
  ::mkdir(fake.sub("proc/self").c_str(), 0755);
  ::mkdir(fake.sub("cgroup").c_str(), 0755);
  ::mkdir(fake.sub("cgroup/app").c_str(), 0755);
  write_file(fake.sub("proc/self/cgroup"), "0::/app\n");
  write_file(fake.sub("cgroup/app/memory.max"), std::to_string(1024 * kMiB) + "\n");
  write_file(fake.sub("cgroup/app/memory.current"), std::to_string(100 * kMiB) + "\n");
  io::MemoryPaths paths;
  paths.proc_root = fake.sub("proc");
  paths.cgroup_root = fake.sub("cgroup");

  TempDir dir;
  Options o;
  o.log.segment_bytes = 1 << 20;
  o.queue_bytes = 64 * kMiB;
  o.min_queue_bytes = 1 * kMiB;
  o.producer_ring_bytes = 64 * kMiB;
  o.memory_check_interval_ms = 5;
  auto opened = engine::BufferCore::open(dir.path(), o, paths);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  engine::BufferCore& core = **opened;
  EXPECT_EQ(core.stats().queue_budget_bytes, 64 * kMiB);

  // 10 MiB left of 1 GiB: pressure.
  write_file(fake.sub("cgroup/app/memory.current"), std::to_string(1014 * kMiB) + "\n");
  ASSERT_TRUE(eventually([&] { return core.stats().queue_budget_bytes == 1 * kMiB; }))
      << "budget stayed at " << core.stats().queue_budget_bytes;
  BufferStats s = core.stats();
  EXPECT_GE(s.budget_resizes, 1u);
  EXPECT_LT(s.last_resize.to_bytes, s.last_resize.from_bytes);
  EXPECT_GT(s.last_resize.time_ns, 0);

  // With the writer paused, the shrunken budget bounds what is queued.
  core.set_writer_paused(true);
  std::uint64_t accepted = 0;
  for (std::uint64_t i = 0; i < 10'000; ++i) accepted += testing::append_seq(core, 0, i, 1000).is_ok();
  EXPECT_LT(accepted, 10'000u);
  EXPECT_LE(core.stats().queue_bytes, 1 * kMiB);
  core.set_writer_paused(false);
  ASSERT_TRUE(core.flush(0).is_ok());

  // Pressure eases: back to the maximum, step by step.
  write_file(fake.sub("cgroup/app/memory.current"), std::to_string(100 * kMiB) + "\n");
  ASSERT_TRUE(eventually([&] { return core.stats().queue_budget_bytes == 64 * kMiB; }))
      << "budget stayed at " << core.stats().queue_budget_bytes;
  EXPECT_GT(core.stats().last_resize.to_bytes, core.stats().last_resize.from_bytes);
}

}  // namespace
}  // namespace spool
