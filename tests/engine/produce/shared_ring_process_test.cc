// The cross-process protocol of shared rings under SIGKILL (engine/produce/shared_ring.h):
// producer processes push numbered entries and are killed at random points (and some exactly
// between claim and tail); a consumer process drains them into a fake log (a file of 16-byte
// (producer id, seq) records whose next offset is its size / 16), publishing an intent before
// each write, and is itself killed at every step of its cycle and replaced. At the end every
// producer's entries in the log are a gap-free prefix of its sequence with no duplicates, at
// least as long as what its pushes acknowledged, and deaths mid-entry are counted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "engine/produce/ring_control.h"
#include "engine/produce/ring_directory.h"
#include "io/file.h"
#include "io/mmap_region.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

constexpr std::uint64_t kLogId = 99;
constexpr std::uint64_t kRingBytes = 64 * 1024;
constexpr std::size_t kRecordBytes = 16;

// Payload of entry `seq` of producer `id`: (id, seq), then filler derived from both. Some
// entries are large so that a kill lands inside a copy now and then.
std::vector<std::uint8_t> entry_payload(std::uint64_t id, std::uint64_t seq) {
  const std::size_t filler = seq % 50 == 0 ? 3000 : seq % 97;
  std::vector<std::uint8_t> p(16 + filler);
  std::memcpy(p.data(), &id, 8);
  std::memcpy(p.data() + 8, &seq, 8);
  for (std::size_t i = 0; i < filler; ++i) p[16 + i] = static_cast<std::uint8_t>(id + seq + i);
  return p;
}

bool valid_entry(std::uint16_t kind, std::uint16_t, std::span<const std::uint8_t> p) {
  if (kind != 1 || p.size() < 16) return false;
  std::uint64_t id, seq;
  std::memcpy(&id, p.data(), 8);
  std::memcpy(&seq, p.data() + 8, 8);
  const std::vector<std::uint8_t> want = entry_payload(id, seq);
  return want.size() == p.size() && std::memcmp(want.data(), p.data(), p.size()) == 0;
}

struct Paths {
  std::string log_dir;
  std::string fake_log() const { return log_dir + "/fakelog"; }
};

// ---- Producer child. ----

// Pushes entries forever (killed by the parent). With `die_mid_entry`, after `entries` pushes
// it does what a kill between claim and tail leaves behind: claim ahead of tail and half an
// entry in the data area, then SIGKILLs itself.
int producer_main(const Paths& paths, bool die_mid_entry, std::uint64_t entries) {
  Result<RingDirectory> dir = RingDirectory::open(paths.log_dir, kLogId, 0600, 0700);
  if (!dir.is_ok()) return 10;
  Result<RingControl> control = dir->open_control();
  if (!control.is_ok()) return 11;
  Result<SharedRing> ring = dir->create_ring(RingIdentity{}, kRingBytes, *control);
  if (!ring.is_ok()) return 12;
  const std::uint64_t id = ring->producer_id();
  for (std::uint64_t seq = 0; !die_mid_entry || seq < entries;) {
    const std::vector<std::uint8_t> p = entry_payload(id, seq);
    if (ring->try_push(1, 0, static_cast<std::int64_t>(seq), p)) {
      ++seq;
      control->wake_writer_if_sleeping();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  io::File f;
  io::MmapRegion m;
  if (io::File::open(ring->path(), O_RDWR, 0, &f) < 0) return 13;
  if (io::MmapRegion::map(f.fd(), kRingHeaderBytes + kRingBytes, true, &m) < 0) return 14;
  auto* header = reinterpret_cast<RingHeader*>(m.mutable_data());
  const std::uint64_t tail = header->producer.tail.load();
  // A push claims only free space: wait for room for the half-written entry, as try_push would.
  while (tail + 64 - header->consumer.head.load() > kRingBytes) std::this_thread::sleep_for(std::chrono::microseconds(200));
  header->producer.claim.store(tail + 64);
  std::memset(m.mutable_data() + kRingHeaderBytes + (tail % kRingBytes), 0x5a, 8);
  ::raise(SIGKILL);
  return 15;
}

// ---- Consumer child (the writer). ----

// Where a consumer kills itself (kill_step at iteration kill_iteration), to cover every step.
enum Step : int {
  kAfterDrain = 0,
  kAfterIntent,
  kMidLogWrite,
  kAfterLogWrite,
  kMidMarkWritten,
  kBeforeClear,
  kMidReclaim,
  kSteps,
};

struct ConsumerPlan {
  bool final = false;  // run until every ring is reclaimed, then exit 0
  int kill_step = -1;
  int kill_iteration = -1;
};

int consumer_main(const Paths& paths, const ConsumerPlan& plan) {
  Result<RingDirectory> dir = RingDirectory::open(paths.log_dir, kLogId, 0600, 0700);
  if (!dir.is_ok()) return 20;
  Result<RingControl> control = dir->open_control();
  if (!control.is_ok()) return 21;
  io::File log;
  if (io::File::create(paths.fake_log(), O_RDWR, 0600, &log) < 0) return 22;
  // Recovery of the fake log: whole records only.
  const std::int64_t size = log.size();
  if (size < 0) return 23;
  std::uint64_t next = static_cast<std::uint64_t>(size) / kRecordBytes;
  if (log.truncate(next * kRecordBytes) < 0) return 24;

  int iteration = 0;
  auto maybe_die = [&](int step) {
    if (iteration == plan.kill_iteration && step == plan.kill_step) ::raise(SIGKILL);
  };
  {
    // Finishes a reclaim a dead consumer left half done (its ring must not be folded twice),
    // takes back what a dead consumer took but did not write, then resolves its intent.
    if (!dir->finish_interrupted_reclaim(*control).is_ok()) return 33;
    Result<RingListing> listing = dir->list();
    if (!listing.is_ok()) return 25;
    for (SharedRing& r : listing->rings) r.retake_unwritten();
    Result<std::optional<Intent>> intent = control->read_intent();
    if (!intent.is_ok()) return 26;
    if (intent->has_value()) {
      const Status s = resolve_intent((*intent)->runs, next, [&](std::uint64_t id) -> SharedRing* {
        for (SharedRing& r : listing->rings) {
          if (r.ring_id() == id) return &r;
        }
        return nullptr;
      });
      if (!s.is_ok()) return 27;
      control->clear_intent();
    }
  }
  std::vector<std::uint8_t> out(1 << 20);
  std::vector<DrainedEntry> entries;
  for (;; ++iteration) {
    Result<RingListing> listing = dir->list();
    if (!listing.is_ok()) return 28;
    std::vector<std::uint8_t> records;
    std::vector<IntentRun> runs;
    struct Mark {
      SharedRing* ring;
      std::uint64_t pos;
      std::uint64_t count;
    };
    std::vector<Mark> marks;
    std::size_t used = 0;
    for (SharedRing& ring : listing->rings) {
      entries.clear();
      const DrainResult r = ring.drain(std::span(out).subspan(used), &entries, DrainLimits{}, valid_entry);
      if (r.outcome != DrainOutcome::kOk) return 40 + static_cast<int>(r.outcome);
      if (r.malformed != 0) return 29;
      for (const DrainedEntry& e : entries) {
        const std::uint64_t offset = next + records.size() / kRecordBytes;
        if (runs.empty() || runs.back().ring_id != ring.ring_id() || !e.follows_previous) {
          runs.push_back(IntentRun{ring.ring_id(), e.ring_start, e.ring_end, offset, 0});
        }
        runs.back().pos_end = e.ring_end;
        ++runs.back().count;
        const auto payload = e.payload(std::span<const std::uint8_t>(out).subspan(used));
        records.insert(records.end(), payload.begin(), payload.begin() + kRecordBytes);
      }
      if (!entries.empty()) marks.push_back(Mark{&ring, r.read_end, entries.size()});
      used += r.out_bytes;
    }
    maybe_die(kAfterDrain);
    if (records.empty()) {
      std::size_t live = 0;
      for (SharedRing& ring : listing->rings) {
        // Death first, then drained (as RingSet does: its dead flag comes from an earlier
        // liveness check): a dead producer pushes nothing more, so a ring seen drained after
        // its death stays drained. Seen drained first, the producer may still fill the ring
        // and die before the liveness check, and the ring would be reclaimed full.
        if (ring.producer_alive() || !ring.drained()) {
          ++live;
          continue;
        }
        if (plan.kill_step == kMidReclaim && iteration >= plan.kill_iteration) {
          control->begin_retire(ring, true);  // folded, not yet unlinked: the next consumer finishes it
          ::raise(SIGKILL);
        }
        if (!dir->reclaim(std::move(ring), /*producer_dead=*/true, *control).is_ok()) return 30;
      }
      if (plan.final && live == 0) return 0;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    const std::uint64_t count = records.size() / kRecordBytes;
    if (!control->publish_intent(runs, next, next + count).is_ok()) return 31;
    maybe_die(kAfterIntent);
    if (iteration == plan.kill_iteration && plan.kill_step == kMidLogWrite) {
      // A torn write: the first half of the batch, the last record cut in two.
      const std::size_t half = records.size() / 2 + 3;
      (void)log.pwrite_full(records.data(), half, next * kRecordBytes);
      ::raise(SIGKILL);
    }
    if (log.pwrite_full(records.data(), records.size(), next * kRecordBytes) < 0) return 32;
    next += count;
    maybe_die(kAfterLogWrite);
    for (std::size_t i = 0; i < marks.size(); ++i) {
      marks[i].ring->mark_written(marks[i].pos, marks[i].count);
      if (i == 0) maybe_die(kMidMarkWritten);
    }
    maybe_die(kBeforeClear);
    control->clear_intent();
  }
}

// ---- The test. ----

TEST(SharedRingProcesses, KillsOfProducersAndConsumersLoseAndRepeatNothing) {
  testing::TempDir tmp(testing::memory_backed_temp_base());
  const Paths paths{tmp.path()};
  Result<RingDirectory> dir = RingDirectory::open(paths.log_dir, kLogId, 0600, 0700);
  ASSERT_TRUE(dir.is_ok()) << dir.status().to_string();
  Result<RingControl> control = dir->open_control();
  ASSERT_TRUE(control.is_ok());

  // SPOOL_TEST_SEED=<seed> repeats a failed run's choices (the kills' timing still varies).
  const char* given = std::getenv("SPOOL_TEST_SEED");
  const unsigned seed = given != nullptr ? static_cast<unsigned>(std::strtoul(given, nullptr, 10))
                                         : std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  constexpr int kRounds = 70;
  constexpr int kMaxProducers = 4;
  constexpr int kProducersTotal = 40;
  std::vector<std::pair<testing::ForkedChild, bool>> producers;  // (child, dies mid-entry itself)
  int started = 0;
  int mid_entry_children = 0;
  int consumers = 0;
  auto start_consumer = [&](ConsumerPlan plan) {
    ++consumers;
    return testing::ForkedChild::start([&paths, plan] { return consumer_main(paths, plan); });
  };
  // Producers that ended by themselves must have ended by their own SIGKILL, between claim
  // and tail (the ones still running at the end are killed anywhere).
  auto reap_mid_entry_deaths = [&] {
    for (auto it = producers.begin(); it != producers.end();) {
      if (auto code = it->first.try_wait()) {
        EXPECT_TRUE(it->second) << "a producer ended by itself";
        EXPECT_EQ(*code, 128 + SIGKILL);
        ++mid_entry_children;
        it = producers.erase(it);
      } else {
        ++it;
      }
    }
  };
  ConsumerPlan plan{false, 0, 3};
  testing::ForkedChild consumer = start_consumer(plan);
  for (int round = 0; round < kRounds; ++round) {
    while (static_cast<int>(producers.size()) < kMaxProducers && started < kProducersTotal) {
      const bool mid_entry = started % 5 == 4;
      const std::uint64_t entries = 20 + rng() % 400;
      producers.emplace_back(testing::ForkedChild::start([&paths, mid_entry, entries] {
                               return producer_main(paths, mid_entry, entries);
                             }),
                             mid_entry);
      ++started;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 15));
    reap_mid_entry_deaths();
    const unsigned action = rng() % 3;
    if (action == 0 && !producers.empty()) {
      const std::size_t k = rng() % producers.size();
      if (!producers[k].second) {
        producers[k].first.kill_and_wait();
        producers.erase(producers.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
    if (auto code = consumer.try_wait()) {
      EXPECT_EQ(*code, 128 + SIGKILL) << "a consumer failed (exit code) in round " << round;
      plan = ConsumerPlan{false, static_cast<int>(rng() % kSteps), static_cast<int>(rng() % 20)};
      consumer = start_consumer(plan);
    } else if (action == 1) {
      EXPECT_EQ(consumer.kill_and_wait(), 128 + SIGKILL);
      plan = ConsumerPlan{false, static_cast<int>(rng() % kSteps), static_cast<int>(rng() % 20)};
      consumer = start_consumer(plan);
    }
  }
  reap_mid_entry_deaths();
  for (auto& p : producers) p.first.kill_and_wait();
  producers.clear();
  (void)consumer.kill_and_wait();
  testing::ForkedChild last = start_consumer(ConsumerPlan{true, -1, -1});
  ASSERT_EQ(last.wait(), 0) << "the final consumer drains and reclaims every ring";

  // Every ring reclaimed.
  Result<RingListing> left = dir->list();
  ASSERT_TRUE(left.is_ok());
  EXPECT_TRUE(left->rings.empty());
  EXPECT_TRUE(left->refused.empty());

  // The log: per producer, exactly 0, 1, ..., n-1.
  const std::string bytes = testing::read_file(paths.fake_log());
  ASSERT_EQ(bytes.size() % kRecordBytes, 0u);
  std::map<std::uint64_t, std::uint64_t> next_seq;
  for (std::size_t at = 0; at < bytes.size(); at += kRecordBytes) {
    std::uint64_t id, seq;
    std::memcpy(&id, bytes.data() + at, 8);
    std::memcpy(&seq, bytes.data() + at + 8, 8);
    ASSERT_EQ(seq, next_seq[id]) << "producer " << id << " at log record " << at / kRecordBytes
                                 << ": a gap or a duplicate";
    next_seq[id] = seq + 1;
  }
  // Against what each producer's pushes acknowledged: its tombstone, exactly one per producer
  // (a consumer killed while reclaiming must not fold a ring twice).
  std::map<std::uint64_t, ControlTombstone> dead;
  std::uint64_t appended_in_tombstones = 0;
  for (const ControlTombstone& t : control->tombstones()) {
    EXPECT_EQ(dead.count(t.producer_id), 0u) << "producer " << t.producer_id << " reclaimed twice";
    dead[t.producer_id] = t;
    appended_in_tombstones += t.appended;
  }
  EXPECT_LE(dead.size(), static_cast<std::size_t>(started));  // one killed before its ring existed has none
  EXPECT_EQ(control->retired().producers_died, dead.size());
  EXPECT_EQ(control->retired().appended, appended_in_tombstones);
  EXPECT_EQ(control->interrupted_retire(), 0u);
  int died_mid_entry = 0;
  for (const auto& [id, t] : dead) {
    const std::uint64_t in_log = next_seq.count(id) ? next_seq[id] : 0;
    EXPECT_GE(in_log, t.appended) << "producer " << id << ": an acknowledged entry is missing";
    EXPECT_LE(in_log, t.appended + 1) << "producer " << id;  // killed between tail and its count
    died_mid_entry += t.died == 2 ? 1 : 0;
  }
  for (const auto& [id, n] : next_seq) EXPECT_TRUE(dead.count(id)) << "records of an unknown producer " << id;
  EXPECT_GE(died_mid_entry, mid_entry_children) << "every death between claim and tail is counted";
  EXPECT_GE(control->retired().producer_died, static_cast<std::uint64_t>(mid_entry_children));
  EXPECT_GT(bytes.size() / kRecordBytes, 1000u) << "the run moved entries at all";
  std::printf("producers %d (of which %d died mid-entry on purpose, %d counted mid-entry), consumers %d, "
              "records %zu\n",
              started, mid_entry_children, died_mid_entry, consumers, bytes.size() / kRecordBytes);
}

}  // namespace
}  // namespace spool::engine
