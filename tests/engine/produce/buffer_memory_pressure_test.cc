// Adaptive buffer sizing through the Buffer: under memory pressure (a fake cgroup v2 tree)
// the queue budget shrinks, the resize shows in stats, appends beyond the smaller budget
// are refused by policy; when pressure eases the budget grows back to its maximum. And ring
// memory follows: an idle thread's ring goes back, and so do rings above a shrunken budget.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "engine/produce/buffer_core.h"
#include "spool/producers.h"
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

// A fake cgroup v2 tree in `fake`: 1 GiB allowed, 100 MiB used (no pressure) until the test
// writes cgroup/app/memory.current.
io::MemoryPaths fake_cgroup(const TempDir& fake) {
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
  return paths;
}

TEST(BufferMemoryPressureTest, BudgetShrinksUnderPressureAndGrowsBack) {
  TempDir fake;
  const io::MemoryPaths paths = fake_cgroup(fake);

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

// Ring memory of every process's producers (DIR/rings/CONTROL's accounting).
std::uint64_t ring_bytes(const std::string& dir) {
  auto summary = summarize_producers(dir);
  EXPECT_TRUE(summary.is_ok()) << summary.status().to_string();
  return summary.is_ok() ? summary->ring_bytes_total : 0;
}

std::size_t ring_files(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/rings")) {
    n += e.path().extension() == ".ring";
  }
  return n;
}

// A producer thread that appends when told and otherwise idles, alive until the test ends.
class IdleProducer {
 public:
  explicit IdleProducer(engine::BufferCore& core) : core_(core), thread_([this] { run(); }) {}
  ~IdleProducer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Appends `n` records of `padding` bytes from the producer thread; returns how many were OK.
  std::uint64_t append(std::uint64_t n, std::size_t padding) {
    std::unique_lock<std::mutex> lock(mu_);
    appends_wanted_ = n;
    padding_ = padding;
    cv_.notify_all();
    // Bounded: a producer thread that never finishes fails the test instead of hanging it.
    if (!cv_.wait_for(lock, testing::scaled(std::chrono::seconds(120)), [&] { return appends_wanted_ == 0; })) {
      ADD_FAILURE() << "the producer thread did not finish its appends";
      return 0;
    }
    return accepted_;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || appends_wanted_ > 0; });  // the destructor sets stop_
      if (stop_) return;
      accepted_ = 0;
      for (std::uint64_t i = 0; i < appends_wanted_; ++i) accepted_ += testing::append_seq(core_, 3, next_seq_ + i, padding_).is_ok();
      next_seq_ += appends_wanted_;
      appends_wanted_ = 0;
      cv_.notify_all();
    }
  }
  engine::BufferCore& core_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t appends_wanted_ = 0;
  std::size_t padding_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t next_seq_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

TEST(RingMemory, AnIdleThreadsRingGoesBackAndItsNextAppendStartsASmallOne) {
  TempDir dir;
  Options o;
  o.log.segment_bytes = 4 << 20;
  o.adaptive_budget = false;
  o.ring_idle_release_ms = 50;
  auto opened = engine::BufferCore::open(dir.path(), o);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  engine::BufferCore& core = **opened;
  IdleProducer producer(core);
  core.set_writer_paused(true);  // the ring grows while nothing drains it
  ASSERT_EQ(producer.append(2'000, 1000), 2'000u);
  core.set_writer_paused(false);
  ASSERT_TRUE(core.flush(0).is_ok());
  EXPECT_GT(ring_bytes(dir.path()), 1 * kMiB);

  // The thread lives on without appending: its ring goes, memory and file.
  ASSERT_TRUE(eventually([&] { return ring_bytes(dir.path()) == 0; }))
      << ring_bytes(dir.path()) << " bytes of rings still held";
  EXPECT_TRUE(eventually([&] { return ring_files(dir.path()) == 0; }));

  // It appends again: a new ring of the first size, and every record reaches the log.
  ASSERT_EQ(producer.append(10, 100), 10u);
  ASSERT_TRUE(core.flush(0).is_ok());
  EXPECT_EQ(ring_bytes(dir.path()), engine::ProducerRegistry::kFirstRingBytes);
  ASSERT_TRUE(core.shutdown().is_ok());
  const auto records = testing::read_seq_records(dir.path());
  ASSERT_EQ(records.size(), 2'010u);
  for (std::uint64_t i = 0; i < records.size(); ++i) ASSERT_EQ(records[i].seq, i);
}

TEST(RingMemory, ShrinkingTheBudgetReturnsRingMemoryOfLiveThreads) {
  TempDir fake;
  const io::MemoryPaths paths = fake_cgroup(fake);

  TempDir dir;
  Options o;
  o.log.segment_bytes = 4 << 20;
  o.queue_bytes = 64 * kMiB;
  o.min_queue_bytes = 1 * kMiB;
  o.memory_check_interval_ms = 5;
  o.ring_idle_release_ms = 0;  // only the budget takes rings back here
  auto opened = engine::BufferCore::open(dir.path(), o, paths);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  engine::BufferCore& core = **opened;
  IdleProducer a(core);
  IdleProducer b(core);
  core.set_writer_paused(true);
  ASSERT_EQ(a.append(3'000, 1000), 3'000u);
  ASSERT_EQ(b.append(3'000, 1000), 3'000u);
  core.set_writer_paused(false);
  ASSERT_TRUE(core.flush(0).is_ok());
  ASSERT_GE(ring_bytes(dir.path()), 4 * kMiB);

  // Pressure: the budget falls to 1 MiB and the rings of the two live threads follow it.
  write_file(fake.sub("cgroup/app/memory.current"), std::to_string(1014 * kMiB) + "\n");
  ASSERT_TRUE(eventually([&] { return core.stats().queue_budget_bytes == 1 * kMiB; }));
  ASSERT_TRUE(eventually([&] { return ring_bytes(dir.path()) <= 1 * kMiB; }))
      << ring_bytes(dir.path()) << " bytes of rings held beside a budget of 1 MiB";

  // Both threads still append (into small rings), and nothing is lost.
  EXPECT_EQ(a.append(10, 100), 10u);
  EXPECT_EQ(b.append(10, 100), 10u);
  ASSERT_TRUE(core.shutdown().is_ok());
  EXPECT_EQ(testing::read_seq_records(dir.path()).size(), 6'020u);
}

}  // namespace
}  // namespace spool
