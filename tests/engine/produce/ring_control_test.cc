// RingControl (DIR/rings/CONTROL) and RingDirectory (DIR/rings/): creation and checks, the
// budget, the intent, retired counters and tombstones, cross-process futex wake-ups, listing
// and reclaiming ring files.
#include "engine/produce/ring_control.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstring>

#include "engine/produce/ring_directory.h"
#include "io/file.h"
#include "io/mmap_region.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

constexpr std::uint64_t kLogId = 77;

struct Dir : ::testing::Test {
  testing::TempDir tmp;
  RingDirectory dir = [this] {
    Result<RingDirectory> d = RingDirectory::open(tmp.path(), kLogId, 0600, 0700);
    EXPECT_TRUE(d.is_ok()) << d.status().to_string();
    return std::move(*d);
  }();
  RingControl control = [this] {
    Result<RingControl> c = dir.open_control();
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return std::move(*c);
  }();
};

TEST_F(Dir, ControlIsSharedAndChecked) {
  control.set_budget_bytes(1234);
  Result<RingControl> again = dir.open_control();
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->budget_bytes(), 1234u) << "the same memory";
  EXPECT_EQ(RingControl::open(dir.path(), ControlIdentity{kLogId + 1, current_boot_id(), 0600}).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_EQ(::chmod(control.path().c_str(), 0644), 0);
  EXPECT_EQ(dir.open_control().status().code(), StatusCode::kPermissionDenied);
  ASSERT_EQ(::chmod(control.path().c_str(), 0600), 0);
  // Another boot: initialized afresh.
  BootId other = current_boot_id();
  other[3] ^= 0x40;
  Result<RingControl> fresh = RingControl::open(dir.path(), ControlIdentity{kLogId, other, 0600});
  ASSERT_TRUE(fresh.is_ok());
  EXPECT_EQ(fresh->budget_bytes(), 0u);
}

TEST_F(Dir, HalfMadeControlIsInitialized) {
  // A process died after creating the file, before writing its magic.
  const std::string path = tmp.sub("other");
  ASSERT_EQ(io::make_directory(path, 0700), 0);
  io::File f;
  ASSERT_EQ(io::File::create(path + "/CONTROL", O_RDWR | O_EXCL, 0600, &f), 0);
  ASSERT_EQ(f.allocate(0, RingControl::kControlBytes), 0);
  Result<RingControl> c = RingControl::open(path, ControlIdentity{kLogId, current_boot_id(), 0600});
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_EQ(f.pwrite_full("BADMAGIC", 8, 0), 0);
  EXPECT_EQ(RingControl::open(path, ControlIdentity{kLogId, current_boot_id(), 0600}).status().code(),
            StatusCode::kCorruption);
}

TEST_F(Dir, BudgetRefusesAllButTheMinimumRing) {
  control.set_budget_bytes(1 << 20);
  EXPECT_TRUE(control.try_reserve_ring_bytes(512 << 10));
  EXPECT_TRUE(control.try_reserve_ring_bytes(512 << 10));
  EXPECT_FALSE(control.try_reserve_ring_bytes(128 << 10));
  EXPECT_TRUE(control.try_reserve_ring_bytes(RingControl::kMinRingBytes)) << "always granted";
  EXPECT_EQ(control.ring_bytes_total(), (1u << 20) + RingControl::kMinRingBytes);
  control.release_ring_bytes(512 << 10);
  EXPECT_TRUE(control.try_reserve_ring_bytes(128 << 10));
}

TEST_F(Dir, IntentPublishReadClear) {
  Result<std::optional<Intent>> none = control.read_intent();
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  const std::vector<IntentRun> runs{{1, 0, 48, 100, 2}, {2, 8, 32, 102, 1}};
  ASSERT_TRUE(control.publish_intent(runs, 100, 103).is_ok());
  Result<std::optional<Intent>> got = control.read_intent();
  ASSERT_TRUE(got.is_ok() && got->has_value());
  const Intent& intent = **got;
  EXPECT_EQ(intent.first_offset, 100u);
  EXPECT_EQ(intent.end_offset, 103u);
  ASSERT_EQ(intent.runs.size(), 2u);
  EXPECT_EQ(intent.runs[1].ring_id, 2u);
  EXPECT_EQ(intent.runs[1].pos_end, 32u);
  control.clear_intent();
  EXPECT_FALSE(control.read_intent()->has_value());
  std::vector<IntentRun> too_many(RingControl::kMaxIntentRuns + 1);
  EXPECT_EQ(control.publish_intent(too_many, 0, 0).code(), StatusCode::kInvalidArgument);
  // A run outside its batch (a hostile or broken writer): Corruption, not trusted.
  ASSERT_TRUE(control.publish_intent(std::vector<IntentRun>{{1, 0, 48, 90, 2}}, 100, 103).is_ok());
  EXPECT_EQ(control.read_intent().status().code(), StatusCode::kCorruption);
}

TEST_F(Dir, CreateListReclaimAndTombstones) {
  control.set_budget_bytes(1 << 20);
  const std::uint64_t version = control.rings_version();
  Result<SharedRing> ring = dir.create_ring(RingIdentity{}, 8192, control);
  ASSERT_TRUE(ring.is_ok()) << ring.status().to_string();
  EXPECT_GT(control.rings_version(), version);
  EXPECT_EQ(control.ring_bytes_total(), 8192u);
  ASSERT_TRUE(ring->try_push(1, 0, 0, std::vector<std::uint8_t>(10, 1)));
  ring->count_drop(DropReason::kQueueFull);
  EXPECT_EQ(dir.create_ring(RingIdentity{}, 2 << 20, control).status().code(), StatusCode::kFull);

  // Junk beside the rings is ignored; a ring of another mode is refused, not read.
  io::File junk;
  ASSERT_EQ(io::File::create(dir.path() + "/notes.txt", O_RDWR, 0600, &junk), 0);
  Result<SharedRing> loose = dir.create_ring(RingIdentity{}, 4096, control);
  ASSERT_TRUE(loose.is_ok());
  ASSERT_EQ(::chmod(loose->path().c_str(), 0640), 0);

  Result<RingListing> listing = dir.list();
  ASSERT_TRUE(listing.is_ok()) << listing.status().to_string();
  ASSERT_EQ(listing->rings.size(), 1u);
  EXPECT_EQ(listing->refused.size(), 1u);
  SharedRing& seen = listing->rings[0];
  EXPECT_EQ(seen.ring_id(), ring->ring_id());
  std::vector<std::uint8_t> out(1 << 12);
  std::vector<DrainedEntry> entries;
  const DrainResult r = seen.drain(out, &entries, DrainLimits{}, [](auto, auto, auto) { return true; });
  seen.mark_written(r.read_end, entries.size());
  ASSERT_TRUE(seen.drained());

  // Reclaimed as if its producer had died mid-entry.
  const std::string path = seen.path();
  ASSERT_TRUE(dir.reclaim(std::move(seen), /*producer_dead=*/true, control).is_ok());
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "unlinked";
  EXPECT_EQ(control.ring_bytes_total(), 4096u) << "its capacity is back in the budget";
  const RetiredCounters retired = control.retired();
  EXPECT_EQ(retired.appended, 1u);
  EXPECT_EQ(retired.written, 1u);
  EXPECT_EQ(retired.dropped[static_cast<std::size_t>(DropReason::kQueueFull)], 1u);
  EXPECT_EQ(retired.producers_died, 1u);
  const std::vector<ControlTombstone> dead = control.tombstones();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].producer_id, ring->ring_id());
  EXPECT_EQ(dead[0].pid, ::getpid());
}

// A writer killed after folding a ring's counters into CONTROL but before unlinking it: the
// next writer finishes that reclaim before it lists the rings, so the ring is folded, given a
// tombstone and returned to the budget once, not twice. The kill is a child's SIGKILL.
TEST_F(Dir, AReclaimCutShortByAKillIsFinishedOnceByTheNextWriter) {
  control.set_budget_bytes(1 << 20);
  Result<SharedRing> ring = dir.create_ring(RingIdentity{}, 8192, control);
  ASSERT_TRUE(ring.is_ok()) << ring.status().to_string();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ring->try_push(1, 0, 0, std::vector<std::uint8_t>(10, 1)));
  ring->count_drop(DropReason::kQueueFull);
  const std::string path = ring->path();
  const std::uint64_t ring_id = ring->ring_id();

  testing::ForkedChild writer = testing::ForkedChild::start([this] {
    Result<RingListing> listing = dir.list();
    if (!listing.is_ok() || listing->rings.size() != 1) return 1;
    SharedRing& seen = listing->rings[0];
    std::vector<std::uint8_t> out(1 << 12);
    std::vector<DrainedEntry> entries;
    const DrainResult r = seen.drain(out, &entries, DrainLimits{}, [](auto, auto, auto) { return true; });
    seen.mark_written(r.read_end, entries.size());
    control.begin_retire(seen, /*producer_dead=*/true);  // folded; the unlink never comes
    ::raise(SIGKILL);
    return 2;
  });
  ASSERT_EQ(writer.wait(), 128 + SIGKILL);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << "the ring is still there";
  EXPECT_EQ(control.interrupted_retire(), ring_id);

  ASSERT_TRUE(dir.finish_interrupted_reclaim(control).is_ok());
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "unlinked by the next writer";
  EXPECT_EQ(control.interrupted_retire(), 0u);
  EXPECT_EQ(control.ring_bytes_total(), 0u) << "its capacity back in the budget, once";
  Result<RingListing> listing = dir.list();
  ASSERT_TRUE(listing.is_ok());
  EXPECT_TRUE(listing->rings.empty()) << "not listed, so not drained and folded again";
  const RetiredCounters retired = control.retired();
  EXPECT_EQ(retired.appended, 3u);
  EXPECT_EQ(retired.written, 3u);
  EXPECT_EQ(retired.dropped[static_cast<std::size_t>(DropReason::kQueueFull)], 1u);
  EXPECT_EQ(retired.producers_died, 1u);
  ASSERT_EQ(control.tombstones().size(), 1u);
  EXPECT_EQ(control.tombstones()[0].appended, 3u);
  // Nothing is left to finish: a second call changes nothing.
  ASSERT_TRUE(dir.finish_interrupted_reclaim(control).is_ok());
  EXPECT_EQ(control.retired().appended, 3u);
  EXPECT_EQ(control.retired().producers_died, 1u);
}

// A thread that grew leaves several rings; when its process dies they are reclaimed one by one
// as dead, and the producer gets one tombstone holding all of them (so 256 tombstones cover 256
// dead threads, not 256 rings), counted once in producers_died.
TEST_F(Dir, ADeadProducersRingsShareOneTombstone) {
  control.set_budget_bytes(1 << 20);
  Result<SharedRing> first = dir.create_ring(RingIdentity{}, 8192, control);
  ASSERT_TRUE(first.is_ok());
  RingIdentity grown;
  grown.producer_id = first->producer_id();
  grown.generation = 1;
  Result<SharedRing> second = dir.create_ring(grown, 16384, control);
  ASSERT_TRUE(second.is_ok());
  Result<SharedRing> other = dir.create_ring(RingIdentity{}, 8192, control);  // another thread
  ASSERT_TRUE(other.is_ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(first->try_push(1, 0, 0, std::vector<std::uint8_t>(10, 1)));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(second->try_push(1, 0, 0, std::vector<std::uint8_t>(10, 1)));
  second->count_drop(DropReason::kQueueFull);
  ASSERT_TRUE(other->try_push(1, 0, 0, std::vector<std::uint8_t>(10, 1)));

  Result<RingListing> listing = dir.list();
  ASSERT_TRUE(listing.is_ok());
  ASSERT_EQ(listing->rings.size(), 3u);
  for (SharedRing& ring : listing->rings) {
    std::vector<std::uint8_t> out(1 << 12);
    std::vector<DrainedEntry> entries;
    const DrainResult r = ring.drain(out, &entries, DrainLimits{}, [](auto, auto, auto) { return true; });
    ring.mark_written(r.read_end, entries.size());
    ASSERT_TRUE(dir.reclaim(std::move(ring), /*producer_dead=*/true, control).is_ok());
  }
  EXPECT_EQ(control.retired().appended, 8u);
  EXPECT_EQ(control.retired().producers_died, 2u) << "two threads died, with three rings";
  const std::vector<ControlTombstone> dead = control.tombstones();
  ASSERT_EQ(dead.size(), 2u);
  for (const ControlTombstone& t : dead) {
    if (t.producer_id == first->producer_id()) {
      EXPECT_EQ(t.appended, 7u);
      EXPECT_EQ(t.dropped[static_cast<std::size_t>(DropReason::kQueueFull)], 1u);
    } else {
      EXPECT_EQ(t.producer_id, other->producer_id());
      EXPECT_EQ(t.appended, 1u);
    }
  }
}

TEST_F(Dir, RingOfAnotherBootIsDeleted) {
  RingIdentity id;
  id.log_id = kLogId;
  id.boot_id = current_boot_id();
  id.boot_id[0] ^= 1;
  id.ring_id = 0xabc;
  ASSERT_TRUE(SharedRing::create(dir.ring_path(0xabc), 4096, id).is_ok());
  Result<RingListing> listing = dir.list();
  ASSERT_TRUE(listing.is_ok());
  EXPECT_TRUE(listing->rings.empty());
  EXPECT_EQ(listing->deleted_other_boot, 1u);
  struct stat st;
  EXPECT_NE(::stat(dir.ring_path(0xabc).c_str(), &st), 0);
}

TEST(RingDirectoryNames, OnlyLowercaseSixteenDigitNames) {
  EXPECT_EQ(RingDirectory::ring_id_of("00000000000000ff.ring"), 0xffu);
  EXPECT_EQ(RingDirectory::ring_id_of("00000000000000FF.ring"), 0u);
  EXPECT_EQ(RingDirectory::ring_id_of("ff.ring"), 0u);
  EXPECT_EQ(RingDirectory::ring_id_of("CONTROL"), 0u);
  EXPECT_EQ(RingDirectory::ring_id_of("00000000000000ff.ring.tmp"), 0u);
}

TEST_F(Dir, FutexWakesAcrossProcesses) {
  // A child waits (no timeout) for the progress word to move; the parent bumps it. The test
  // fails by the child's safety limit, never by a timing threshold.
  const std::uint32_t seen = control.progress();
  control.set_writer_sleeping(true);
  testing::ForkedChild child = testing::ForkedChild::start([&] {
    Result<RingControl> c = dir.open_control();
    if (!c.is_ok()) return 2;
    c->announce_ring();  // wakes the "writer" (the parent)
    while (c->progress() == seen) c->wait_progress(seen, -1);
    return 0;
  });
  while (control.rings_version() == 0) control.writer_wait(-1);
  control.bump_progress();
  EXPECT_EQ(child.wait(), 0);
}

}  // namespace
}  // namespace spool::engine
