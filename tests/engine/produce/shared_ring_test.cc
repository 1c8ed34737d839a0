// SharedRing (engine/produce/shared_ring.h): push, drain, wrap with PAD, eviction, seal,
// validation of every malformed shape, intent resolution, and a two-thread stress.
#include "engine/produce/shared_ring.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "io/file.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

constexpr std::uint64_t kCapacity = 4096;

// Ring memory owned by the test: header page + data, 64-aligned, zeroed.
struct Memory {
  explicit Memory(std::uint64_t capacity) : capacity(capacity) {
    bytes = static_cast<std::uint8_t*>(std::aligned_alloc(4096, kRingHeaderBytes + capacity));
    std::memset(bytes, 0, kRingHeaderBytes + capacity);
  }
  ~Memory() { std::free(bytes); }
  RingHeader& header() { return *reinterpret_cast<RingHeader*>(bytes); }
  std::uint8_t* data() { return bytes + kRingHeaderBytes; }
  std::uint64_t capacity;
  std::uint8_t* bytes;
};

std::vector<std::uint8_t> payload_of(std::uint64_t seq, std::size_t bytes) {
  std::vector<std::uint8_t> p(bytes);
  for (std::size_t i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(seq * 31 + i);
  if (bytes >= 8) std::memcpy(p.data(), &seq, 8);
  return p;
}

// Pushes entries of `payload_bytes` numbered from `seq` until the ring is full; returns the
// number of the next one.
std::uint64_t fill(SharedRing& producer, std::uint64_t seq, std::size_t payload_bytes) {
  while (producer.try_push(1, 0, 0, payload_of(seq, payload_bytes))) ++seq;
  return seq;
}

bool accept_all(std::uint16_t, std::uint16_t, std::span<const std::uint8_t>) { return true; }

struct Drained {
  DrainResult result;
  std::vector<DrainedEntry> entries;
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> payload(std::size_t i) const {
    auto p = entries[i].payload(out);
    return {p.begin(), p.end()};
  }
};

Drained drain(SharedRing& ring, const EntryValidator& validator = accept_all, std::size_t out_bytes = 1 << 16,
              std::size_t max_payload = 1 << 20) {
  Drained d;
  d.out.resize(out_bytes);
  d.result = ring.drain(d.out, &d.entries, DrainLimits{max_payload}, validator);
  return d;
}

TEST(SharedRing, PushDrainMarkWritten) {
  Memory m(kCapacity);
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto p = payload_of(i, 10 + i);
    ASSERT_TRUE(producer.try_push(static_cast<std::uint16_t>(i + 1), 7, 100 + i, p));
  }
  Drained d = drain(consumer);
  ASSERT_EQ(d.result.outcome, DrainOutcome::kOk);
  ASSERT_EQ(d.entries.size(), 3u);
  std::uint64_t pos = 0;
  for (std::uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(d.entries[i].kind, i + 1);
    EXPECT_EQ(d.entries[i].flags, 7);
    EXPECT_EQ(d.entries[i].buffered_at_ns, static_cast<std::int64_t>(100 + i));
    EXPECT_EQ(d.payload(i), payload_of(i, 10 + i));
    EXPECT_EQ(d.entries[i].ring_start, pos);
    pos = d.entries[i].ring_end;
    EXPECT_TRUE(d.entries[i].follows_previous);
  }
  EXPECT_EQ(d.result.read_end, pos);
  EXPECT_FALSE(consumer.drained());  // taken, not yet written
  consumer.mark_written(d.result.read_end, 3);
  EXPECT_TRUE(consumer.drained());
  EXPECT_EQ(consumer.counters().appended, 3u);
  EXPECT_EQ(consumer.counters().written, 3u);
  EXPECT_EQ(drain(consumer).entries.size(), 0u);
}

TEST(SharedRing, FullUntilTheWriterMarksWritten) {
  Memory m(kCapacity);
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  const auto p = payload_of(1, 100);  // 120 bytes per entry
  int pushed = 0;
  while (producer.try_push(1, 0, 0, p)) ++pushed;
  EXPECT_EQ(pushed, static_cast<int>(kCapacity / 120));
  Drained d = drain(consumer);
  EXPECT_EQ(d.entries.size(), static_cast<std::size_t>(pushed));
  EXPECT_FALSE(producer.try_push(1, 0, 0, p)) << "space taken but not written is not free";
  consumer.mark_written(d.result.read_end, d.entries.size());
  EXPECT_TRUE(producer.try_push(1, 0, 0, p));
}

TEST(SharedRing, WrapsWithPadAndWithAnImplicitSkip) {
  // The second entry leaves 8 bytes (skipped without a header) or 64 bytes (a PAD entry)
  // before the end of the data area; the third must start at the area's start.
  for (const std::uint64_t leftover : {std::uint64_t{8}, std::uint64_t{64}}) {
    Memory m(kCapacity);
    SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
    SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
    ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(0, 8)));  // [0, 24)
    ASSERT_TRUE(producer.try_push(2, 0, 0, payload_of(1, kCapacity - leftover - 24 - 16)));
    Drained d0 = drain(consumer);
    ASSERT_EQ(d0.entries.size(), 2u);
    EXPECT_EQ(d0.result.read_end, kCapacity - leftover);
    consumer.mark_written(d0.result.read_end, 2);
    ASSERT_TRUE(producer.try_push(3, 0, 0, payload_of(2, 100)));
    ASSERT_TRUE(producer.try_push(4, 0, 0, payload_of(3, 100)));
    Drained d = drain(consumer);
    ASSERT_EQ(d.result.outcome, DrainOutcome::kOk);
    ASSERT_EQ(d.entries.size(), 2u) << leftover;
    EXPECT_EQ(d.result.malformed, 0u);
    EXPECT_EQ(d.payload(0), payload_of(2, 100));
    EXPECT_EQ(d.payload(1), payload_of(3, 100));
    EXPECT_EQ(d.entries[0].ring_start, kCapacity) << "positions are monotonic; the index wrapped to 0";
    EXPECT_FALSE(d.entries[0].ring_start == d0.result.read_end) << "the skipped bytes are not an entry";
  }
}

TEST(SharedRing, EvictOldestMakesRoomAndCountsDrops) {
  Memory m(kCapacity);
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  std::uint64_t seq = fill(producer, 0, 100);
  const std::uint64_t evicted = producer.evict_oldest(100);
  EXPECT_EQ(evicted, 1u);
  ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(seq, 100))) << "no writer needed to free evicted space";
  ++seq;
  EXPECT_EQ(producer.counters().dropped[static_cast<std::size_t>(DropReason::kDropOldest)], 1u);
  Drained d = drain(consumer);
  ASSERT_EQ(d.entries.size(), seq - 1);
  for (std::size_t i = 0; i < d.entries.size(); ++i) {
    std::uint64_t got;
    std::memcpy(&got, d.payload(i).data(), 8);
    EXPECT_EQ(got, i + 1) << "the oldest went, the rest in order";
  }
  // Everything is taken by the writer now: nothing left to evict until it is written.
  EXPECT_EQ(producer.evict_oldest(100), 0u);
  consumer.mark_written(d.result.read_end, d.entries.size());
  EXPECT_TRUE(producer.try_push(1, 0, 0, payload_of(seq, 100)));
}

TEST(SharedRing, EvictedSpaceBehindEntriesInFlightComesBackWithTheWritersHead) {
  Memory m(kCapacity);
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(0, 8)));  // 24 bytes
  Drained in_flight = drain(consumer);                          // taken, not written
  std::uint64_t seq = fill(producer, 1, 100);
  // Evicting one entry is enough once the writer's 24 bytes come back; no more is evicted.
  EXPECT_EQ(producer.evict_oldest(100), 1u);
  EXPECT_FALSE(producer.try_push(1, 0, 0, payload_of(seq, 100))) << "the writer's head still holds the space";
  consumer.mark_written(in_flight.result.read_end, 1);
  EXPECT_TRUE(producer.try_push(1, 0, 0, payload_of(seq, 100)));
}

// The producer evicts, moves head past what it evicted and pushes a ring's worth beyond that
// new head, all between the drain's load of head and its load of tail: the drain sees a tail
// more than a capacity ahead of the head it loaded. That is a stale snapshot, not a corrupt
// ring (a ring called corrupt is reclaimed while its producer keeps pushing into it, and
// everything it pushes after that is never written).
TEST(SharedRing, EvictionAndPushDuringADrainsSnapshotAreNotCorruption) {
  Memory m(kCapacity);
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  std::uint64_t seq = fill(producer, 0, 100);
  const std::uint64_t pushed_before = seq;
  int interleaved = 0;
  consumer.set_drain_snapshot_hook([&] {
    if (interleaved++ != 0) return;
    ASSERT_EQ(producer.evict_oldest(100), 1u);
    ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(seq, 100)));
    ++seq;
    ASSERT_GT(m.header().producer.tail.load(), kCapacity)
        << "more than a ring ahead of the head (0) the drain loaded";
  });
  Drained d = drain(consumer);
  ASSERT_GE(interleaved, 1);
  ASSERT_EQ(d.result.outcome, DrainOutcome::kOk);
  ASSERT_EQ(d.entries.size(), pushed_before)
      << "all but the evicted one, and the one pushed after it";
  for (std::size_t i = 0; i < d.entries.size(); ++i) {
    std::uint64_t got;
    std::memcpy(&got, d.payload(i).data(), 8);
    EXPECT_EQ(got, i + 1);
  }
  consumer.mark_written(d.result.read_end, d.entries.size());
  EXPECT_TRUE(consumer.drained());
  const RingCounters c = consumer.counters();
  EXPECT_EQ(c.appended, seq);
  EXPECT_EQ(c.written + c.dropped[static_cast<std::size_t>(DropReason::kDropOldest)], seq);
}

TEST(SharedRing, SealedRingTakesNoPush) {
  Memory m(kCapacity);
  SharedRing ring = SharedRing::over_memory(m.bytes, kCapacity);
  ASSERT_TRUE(ring.try_push(1, 0, 0, payload_of(0, 8)));
  ring.seal();
  EXPECT_TRUE(ring.sealed());
  EXPECT_FALSE(ring.try_push(1, 0, 0, payload_of(1, 8)));
  EXPECT_EQ(ring.producer_used_bytes(), 24u);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  Drained d = drain(consumer);
  EXPECT_EQ(d.entries.size(), 1u) << "what was pushed before the seal is drained";
  consumer.mark_written(d.result.read_end, 1);
  EXPECT_TRUE(consumer.drained());
}

TEST(SharedRing, RefusesPayloadsThatCanNeverFit) {
  Memory m(kCapacity);
  SharedRing ring = SharedRing::over_memory(m.bytes, kCapacity);
  std::vector<std::uint8_t> huge(kCapacity);
  EXPECT_FALSE(ring.try_push(1, 0, 0, huge));
  std::vector<std::uint8_t> largest(ring.max_payload_bytes());
  EXPECT_TRUE(ring.try_push(1, 0, 0, largest));
}

// ---- Validation: every malformed shape is counted, never trusted. ----

struct Corrupted : ::testing::Test {
  Memory m{kCapacity};
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  void push_three() {
    for (std::uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(i, 40)));
  }
  // The entry_bytes field of the entry at byte position `pos`.
  void set_entry_bytes(std::uint64_t pos, std::uint32_t v) { std::memcpy(m.data() + pos, &v, 4); }
};

TEST_F(Corrupted, BadLengthSkipsToTheTail) {
  push_three();
  set_entry_bytes(56, 7);  // the second entry: shorter than a header
  Drained d = drain(consumer);
  ASSERT_EQ(d.result.outcome, DrainOutcome::kOk);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.result.malformed, 1u);
  EXPECT_EQ(d.result.read_end, 168u) << "nothing after a bad length is trusted";
  EXPECT_EQ(consumer.counters().malformed, 1u);
}

TEST_F(Corrupted, LengthPastTheTailOrTheAreaEnd) {
  push_three();
  set_entry_bytes(112, 4000);  // the third entry runs past the tail
  Drained d = drain(consumer);
  EXPECT_EQ(d.entries.size(), 2u);
  EXPECT_EQ(d.result.malformed, 1u);
  EXPECT_EQ(d.result.read_end, 168u);
}

TEST_F(Corrupted, KindRefusedByTheValidatorSplitsRuns) {
  push_three();
  std::uint16_t kind = 99;
  std::memcpy(m.data() + 56 + 4, &kind, 2);
  Drained d = drain(consumer, [](std::uint16_t k, std::uint16_t, std::span<const std::uint8_t>) { return k == 1; });
  ASSERT_EQ(d.entries.size(), 2u);
  EXPECT_EQ(d.result.malformed, 1u);
  EXPECT_TRUE(d.entries[0].follows_previous);
  EXPECT_FALSE(d.entries[1].follows_previous) << "a refused entry ends the run";
}

TEST_F(Corrupted, OversizedPayload) {
  push_three();
  Drained d = drain(consumer, accept_all, 1 << 16, /*max_payload=*/39);
  EXPECT_EQ(d.entries.size(), 0u);
  EXPECT_EQ(d.result.malformed, 3u);
  EXPECT_EQ(d.result.read_end, 168u);
}

TEST_F(Corrupted, ImpossiblePositionsMakeTheRingCorrupt) {
  push_three();
  auto& tail = m.header().producer.tail;
  auto& read = m.header().consumer.read;
  for (const auto& [t, r] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {kCapacity + 8, 0},  // tail past head + capacity
           {100, 0},            // not a multiple of 8
           {8, 16},             // tail behind read
       }) {
    tail.store(t);
    read.store(r);
    Drained d = drain(consumer);
    EXPECT_EQ(d.result.outcome, DrainOutcome::kCorrupt) << t << " " << r;
    EXPECT_TRUE(d.entries.empty());
  }
}

TEST_F(Corrupted, AnEntryThatDoesNotFitTheBufferWaitsForTheNextDrain) {
  push_three();
  Drained small = drain(consumer, accept_all, /*out_bytes=*/32);
  EXPECT_EQ(small.entries.size(), 0u);
  EXPECT_EQ(small.result.malformed, 0u);
  Drained room = drain(consumer);
  EXPECT_EQ(room.entries.size(), 3u) << "taken by the first drain, copied by the second";
  EXPECT_EQ(room.result.read_end, 168u);
}

// ---- Files. ----

RingIdentity identity_for(std::uint64_t ring_id) {
  RingIdentity id;
  id.log_id = 42;
  id.boot_id = current_boot_id();
  id.ring_id = ring_id;
  return id;
}

TEST(SharedRingFile, CreateOpenAndRefusals) {
  testing::TempDir dir;
  const std::string path = dir.sub("ring");
  Result<SharedRing> made = SharedRing::create(path, kCapacity, identity_for(5));
  ASSERT_TRUE(made.is_ok()) << made.status().to_string();
  ASSERT_TRUE(made->try_push(3, 0, 9, payload_of(1, 20)));
  EXPECT_FALSE(SharedRing::create(path, kCapacity, identity_for(5)).is_ok()) << "O_EXCL";
  EXPECT_FALSE(SharedRing::create(dir.sub("odd"), 5000, identity_for(6)).is_ok());

  RingExpectation expect{42, current_boot_id(), 5, io::kPrivateFileMode};
  Result<SharedRing> opened = SharedRing::open_existing(path, expect);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  EXPECT_EQ(opened->producer_id(), 5u);
  EXPECT_EQ(opened->identity().pid, ::getpid());
  EXPECT_TRUE(opened->producer_alive());
  Drained d = drain(*opened);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].kind, 3);

  RingExpectation other_log = expect;
  other_log.log_id = 43;
  EXPECT_EQ(SharedRing::open_existing(path, other_log).status().code(), StatusCode::kInvalidArgument);
  RingExpectation other_boot = expect;
  other_boot.boot_id[0] ^= 1;
  Result<SharedRing> b = SharedRing::open_existing(path, other_boot);
  EXPECT_NE(b.status().message().find(kOtherBootRefusal), std::string::npos) << b.status().to_string();
  RingExpectation other_id = expect;
  other_id.ring_id = 6;
  EXPECT_FALSE(SharedRing::open_existing(path, other_id).is_ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(SharedRing::open_existing(path, expect).status().code(), StatusCode::kPermissionDenied);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  // Bad magic.
  {
    io::File f;
    ASSERT_EQ(io::File::open(path, O_RDWR, 0, &f), 0);
    ASSERT_EQ(f.pwrite_full("X", 1, 0), 0);
  }
  EXPECT_EQ(SharedRing::open_existing(path, expect).status().code(), StatusCode::kCorruption);
}

TEST(SharedRingFile, TruncatedFileIsAnErrorNotACrash) {
  testing::TempDir dir;
  const std::string path = dir.sub("ring");
  Result<SharedRing> producer = SharedRing::create(path, 4 * kCapacity, identity_for(5));
  ASSERT_TRUE(producer.is_ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(producer->try_push(1, 0, 0, payload_of(i, 500)));
  RingExpectation expect{42, current_boot_id(), 5, io::kPrivateFileMode};
  Result<SharedRing> consumer = SharedRing::open_existing(path, expect);
  ASSERT_TRUE(consumer.is_ok());
  // A hostile process cuts the file under both mappings.
  {
    io::File f;
    ASSERT_EQ(io::File::open(path, O_RDWR, 0, &f), 0);
    ASSERT_EQ(f.truncate(kRingHeaderBytes + 4096), 0);
  }
  Drained d = drain(*consumer);
  EXPECT_EQ(d.result.outcome, DrainOutcome::kUnreadable);
  EXPECT_EQ(SharedRing::open_existing(path, expect).status().code(), StatusCode::kCorruption);
}

// ---- Intent resolution. ----

TEST(SharedRingIntent, RunBelowStraddlingAndAfterTheLogEnd) {
  Memory m(kCapacity);
  SharedRing producer = SharedRing::over_memory(m.bytes, kCapacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, kCapacity);
  // Entries that wrap with a PAD in the middle of the run.
  ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(0, 3000)));
  Drained first = drain(consumer);
  consumer.mark_written(first.result.read_end, 1);
  for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(producer.try_push(1, 0, 0, payload_of(i, 300)));
  Drained d = drain(consumer);
  ASSERT_EQ(d.entries.size(), 5u);
  const IntentRun run{1, d.entries[0].ring_start, d.result.read_end, 10, 5};
  EXPECT_EQ(consumer.resolve_intent_run(run, 15).value(), run.pos_end);
  EXPECT_EQ(consumer.resolve_intent_run(run, 20).value(), run.pos_end);
  EXPECT_EQ(consumer.resolve_intent_run(run, 10).value(), run.pos_start);
  EXPECT_EQ(consumer.resolve_intent_run(run, 3).value(), run.pos_start);
  for (std::uint64_t in_log = 1; in_log < 5; ++in_log) {
    // The position after the last entry in the log (a PAD after it is skipped by the next drain).
    EXPECT_EQ(consumer.resolve_intent_run(run, 10 + in_log).value(), d.entries[in_log - 1].ring_end) << in_log;
  }
  // A new writer restarts after the two entries in the log: it gets the other three, once.
  consumer.retake_unwritten();
  ASSERT_TRUE(consumer.restart_consumer_at(consumer.resolve_intent_run(run, 12).value()).is_ok());
  Drained again = drain(consumer);
  ASSERT_EQ(again.entries.size(), 3u);
  std::uint64_t seq;
  std::memcpy(&seq, again.payload(0).data(), 8);
  EXPECT_EQ(seq, 3u);
  EXPECT_FALSE(consumer.restart_consumer_at(run.pos_start - 8).is_ok()) << "before head";
}

TEST(SharedRingIntent, TheFirstRunNotInTheLogDecidesEachRing) {
  Memory ma(kCapacity), mb(kCapacity);
  SharedRing pa = SharedRing::over_memory(ma.bytes, kCapacity), ca = SharedRing::over_memory(ma.bytes, kCapacity);
  SharedRing pb = SharedRing::over_memory(mb.bytes, kCapacity), cb = SharedRing::over_memory(mb.bytes, kCapacity);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pa.try_push(1, 0, 0, payload_of(i, 8)));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(pb.try_push(1, 0, 0, payload_of(i, 8)));
  Drained a = drain(ca), b = drain(cb);
  // Batch: A0 A1 (10, 11) | B0 B1 (12, 13) | A2 A3 (14, 15); the log recovered up to 13.
  const std::vector<IntentRun> runs{{1, a.entries[0].ring_start, a.entries[1].ring_end, 10, 2},
                                    {2, b.entries[0].ring_start, b.entries[1].ring_end, 12, 2},
                                    {1, a.entries[2].ring_start, a.entries[3].ring_end, 14, 2}};
  ca.retake_unwritten();
  cb.retake_unwritten();
  const Status s = resolve_intent(runs, 13, [&](std::uint64_t id) -> SharedRing* {
    return id == 1 ? &ca : id == 2 ? &cb : nullptr;
  });
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(drain(ca).entries.size(), 2u) << "A2 A3 again";
  EXPECT_EQ(drain(cb).entries.size(), 1u) << "B1 again";
}

// ---- Two threads: one producer, one consumer. ----

TEST(SharedRingStress, OneProducerOneConsumerOrderAndCompleteness) {
  constexpr std::uint64_t kEntries = 200'000;
  Memory m(64 * 1024);
  std::atomic<bool> producer_done{false};
  SharedRing producer = SharedRing::over_memory(m.bytes, m.capacity);
  SharedRing consumer = SharedRing::over_memory(m.bytes, m.capacity);
  std::thread t([&] {
    for (std::uint64_t seq = 0; seq < kEntries;) {
      const auto p = payload_of(seq, 8 + seq % 200);
      if (producer.try_push(1, 0, static_cast<std::int64_t>(seq), p)) {
        ++seq;
      } else if (seq % 3 == 0 && producer.evict_oldest(p.size()) > 0) {
        // Some evictions race with the consumer's takes; evicted entries are counted.
      } else {
        std::this_thread::yield();
      }
    }
    producer_done.store(true, std::memory_order_release);
  });
  std::uint64_t next = 0;
  std::uint64_t received = 0;
  std::vector<std::uint8_t> out(1 << 16);
  std::vector<DrainedEntry> entries;
  auto check = [&](std::uint16_t, std::uint16_t, std::span<const std::uint8_t> p) {
    std::uint64_t seq;
    std::memcpy(&seq, p.data(), 8);
    return p.size() == 8 + seq % 200 && std::memcmp(p.data(), payload_of(seq, p.size()).data(), p.size()) == 0;
  };
  for (;;) {
    entries.clear();
    const DrainResult r = consumer.drain(out, &entries, DrainLimits{}, check);
    ASSERT_EQ(r.outcome, DrainOutcome::kOk);
    ASSERT_EQ(r.malformed, 0u);
    for (const DrainedEntry& e : entries) {
      std::uint64_t seq;
      std::memcpy(&seq, e.payload(out).data(), 8);
      ASSERT_GE(seq, next) << "order";
      next = seq + 1;
      ++received;
    }
    consumer.mark_written(r.read_end, entries.size());
    if (producer_done.load(std::memory_order_acquire) && consumer.drained()) break;
    if (entries.empty()) std::this_thread::yield();
  }
  t.join();
  const RingCounters c = consumer.counters();
  EXPECT_EQ(received + c.dropped[static_cast<std::size_t>(DropReason::kDropOldest)], kEntries)
      << "every entry received or counted evicted";
  EXPECT_EQ(c.appended, kEntries);
}

}  // namespace
}  // namespace spool::engine
