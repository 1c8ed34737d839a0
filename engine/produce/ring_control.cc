#include "io/errno_status.h"
#include "engine/produce/ring_control.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "io/clock.h"
#include "io/env.h"
#include "io/futex.h"
#include "segment/segment_file.h"

namespace spool::engine {

namespace {
constexpr char kControlMagic[8] = {'S', 'P', 'O', 'O', 'L', 'C', 'T', 'L'};
constexpr std::uint32_t kControlVersion = 1;
constexpr std::size_t kRunsOffset = 4096;
constexpr std::size_t kTombstonesOffset = 24576;
constexpr std::size_t kRetiringOffset = 51200;

// Plain fields of the mapped arrays, accessed through atomic_ref-free relaxed copies: only
// the writer writes them, readers copy them out and check them.
struct StoredRun {
  std::uint64_t ring_id, pos_start, pos_end, first_offset, count;
};
static_assert(sizeof(StoredRun) == 40);

struct StoredTombstone {
  std::uint64_t ring_id;
  std::uint64_t producer_id;
  std::int32_t pid;
  std::uint32_t died;
  std::uint64_t appended;
  std::uint64_t dropped[kProducerDropReasons];
  std::int64_t retired_unix_ns;
};
static_assert(sizeof(StoredTombstone) == 104);

// A reclaim in progress (RingControl::begin_retire): the retired counters as they are once
// this ring is folded in, as absolute values, so that storing them again is harmless.
struct StoredRetiring {
  std::atomic<std::uint64_t> ring_id;  // 0: none; stored last, cleared last
  std::uint64_t capacity;              // bytes to return to the budget
  std::atomic<std::uint64_t> released; // 1 once they were returned
  std::uint64_t appended;
  std::uint64_t dropped[kProducerDropReasons];
  std::uint64_t malformed, written, producer_died, producers_died, tombstones_added;
  std::uint64_t has_tombstone;         // 1: `tombstone` goes to slot tombstone_index % kTombstones
  std::uint64_t tombstone_index;
  StoredTombstone tombstone;
};
static_assert(sizeof(StoredRetiring) == 256);
}  // namespace

struct RingControl::Layout {
  struct Identity {
    char magic[8];
    std::uint32_t version;
    std::uint32_t control_bytes;
    std::uint64_t log_id;
    std::uint8_t boot_id[16];
    std::int64_t created_unix_ns;
    std::uint8_t reserved[16];
  };
  struct alignas(64) WakeLine {
    std::atomic<std::uint32_t> writer_sleeping;
    std::atomic<std::uint32_t> progress;
    std::atomic<std::uint32_t> log_failed;
    std::uint32_t reserved;
    std::atomic<std::uint64_t> sync_requested;
    std::atomic<std::uint64_t> sync_completed;
    std::atomic<std::uint64_t> committed_offset;
  };
  struct alignas(64) RingsLine {
    std::atomic<std::uint64_t> rings_version;
    std::atomic<std::uint64_t> ring_bytes_total;
    std::atomic<std::uint64_t> budget_bytes;
  };
  struct alignas(64) RetiredLine {
    std::atomic<std::uint64_t> appended;
    std::array<std::atomic<std::uint64_t>, kProducerDropReasons> dropped;  // the producers'

    std::atomic<std::uint64_t> malformed;
    std::atomic<std::uint64_t> written;
    std::atomic<std::uint64_t> producer_died;
    std::atomic<std::uint64_t> producers_died;
    std::atomic<std::uint64_t> tombstones_added;
  };
  struct alignas(64) IntentLine {
    std::atomic<std::uint64_t> sequence;
    std::uint64_t run_count;
    std::uint64_t first_offset;
    std::uint64_t end_offset;
    std::uint64_t batches;
  };

  Identity identity;
  WakeLine wake;
  RingsLine rings;
  RetiredLine retired;
  IntentLine intent;

  StoredRun* runs() noexcept { return reinterpret_cast<StoredRun*>(reinterpret_cast<std::uint8_t*>(this) + kRunsOffset); }
  StoredTombstone* tombstones() noexcept {
    return reinterpret_cast<StoredTombstone*>(reinterpret_cast<std::uint8_t*>(this) + kTombstonesOffset);
  }
  StoredRetiring* retiring() noexcept {
    return reinterpret_cast<StoredRetiring*>(reinterpret_cast<std::uint8_t*>(this) + kRetiringOffset);
  }
};
RingControl::Layout* RingControl::layout() const noexcept {
  static_assert(sizeof(RingControl::Layout::Identity) == 64);
  static_assert(offsetof(RingControl::Layout, wake) == 64 && offsetof(RingControl::Layout, rings) == 128 &&
                offsetof(RingControl::Layout, retired) == 192 && offsetof(RingControl::Layout, intent) == 320);
  static_assert(sizeof(RingControl::Layout) <= kRunsOffset);
  static_assert(kRunsOffset + RingControl::kMaxIntentRuns * sizeof(StoredRun) <= kTombstonesOffset);
  static_assert(kTombstonesOffset + RingControl::kTombstones * sizeof(StoredTombstone) <= kRetiringOffset);
  static_assert(kRetiringOffset + sizeof(StoredRetiring) <= RingControl::kControlBytes);
  return reinterpret_cast<Layout*>(const_cast<std::uint8_t*>(mapping_.data()));
}

Result<RingControl> RingControl::open(const std::string& rings_dir, const ControlIdentity& identity) {
  RingControl control;
  control.path_ = rings_dir + "/" + kFileName;
  const std::string& path = control.path_;
  // Open what is there; make it when absent (O_EXCL: of two makers, one wins, the other opens).
  int rc = -ENOENT;
  for (int attempt = 0; attempt < 3 && rc == -ENOENT; ++attempt) {
    rc = io::File::open(path, O_RDWR | O_NOFOLLOW, 0, &control.file_);
    if (rc == -ENOENT) {
      rc = io::File::create(path, O_RDWR | O_EXCL, identity.file_mode, &control.file_);
      if (rc == -EEXIST) rc = -ENOENT;
    }
  }
  if (rc < 0) return io::errno_status(rc, "open ring control file " + path);
  struct stat st {};
  rc = io::env().fstat(control.file_.fd(), &st);
  if (rc < 0) return io::errno_status(rc, "stat " + path);
  SPOOL_RETURN_IF_ERROR(check_trusted(path, st, identity.file_mode));
  // Initialization and its check under an flock: a process that dies while initializing
  // leaves the magic unset (it is written last) and its lock released.
  rc = io::env().flock(control.file_.fd(), LOCK_EX);
  if (rc < 0) return io::errno_status(rc, "lock " + path);
  struct Unlock {
    int fd;
    ~Unlock() { (void)io::env().flock(fd, LOCK_UN); }
  } unlock{control.file_.fd()};
  rc = io::env().fstat(control.file_.fd(), &st);
  if (rc < 0) return io::errno_status(rc, "stat " + path);
  if (st.st_size == 0) {
    rc = control.file_.allocate(0, kControlBytes);
    if (rc < 0) return io::errno_status(rc, "allocate " + path);
  } else if (static_cast<std::uint64_t>(st.st_size) != kControlBytes) {
    return Status::corruption(path + ": " + std::to_string(st.st_size) + " bytes, not " + std::to_string(kControlBytes));
  }
  rc = io::MmapRegion::map(control.file_.fd(), kControlBytes, /*writable=*/true, &control.mapping_);
  if (rc < 0) return io::errno_status(rc, "map " + path);
  Layout* l = control.layout();
  static constexpr char kZero[8] = {};
  const bool unset = std::memcmp(l->identity.magic, kZero, sizeof kZero) == 0;
  if (!unset) {
    if (std::memcmp(l->identity.magic, kControlMagic, sizeof kControlMagic) != 0) return Status::corruption(path + ": bad magic");
    if (l->identity.version != kControlVersion || l->identity.control_bytes != kControlBytes) {
      return Status::corruption(path + ": unknown version " + std::to_string(l->identity.version));
    }
    if (l->identity.log_id != identity.log_id) {
      return Status::invalid_argument(path + " belongs to another log (log id mismatch)");
    }
  }
  if (unset || std::memcmp(l->identity.boot_id, identity.boot_id.data(), sizeof l->identity.boot_id) != 0) {
    // New, half-made, or from another boot (no process of this boot can have it mapped: the
    // first of them would have initialized it). Everything restarts at zero.
    std::memset(control.mapping_.mutable_data(), 0, kControlBytes);
    l->identity.version = kControlVersion;
    l->identity.control_bytes = kControlBytes;
    l->identity.log_id = identity.log_id;
    std::memcpy(l->identity.boot_id, identity.boot_id.data(), sizeof l->identity.boot_id);
    l->identity.created_unix_ns = io::wall_clock_ns();
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(l->identity.magic, kControlMagic, sizeof kControlMagic);
  }
  return control;
}

void RingControl::set_writer_sleeping(bool sleeping) noexcept {
  layout()->wake.writer_sleeping.store(sleeping ? 1 : 0, std::memory_order_seq_cst);
}

void RingControl::writer_wait(std::int64_t timeout_ns) noexcept {
  io::futex_wait_shared(&layout()->wake.writer_sleeping, 1, timeout_ns);
}

bool RingControl::writer_sleeping() const noexcept {
  return layout()->wake.writer_sleeping.load(std::memory_order_seq_cst) != 0;
}

void RingControl::wake_writer_if_sleeping() noexcept {
  auto& word = layout()->wake.writer_sleeping;
  if (word.load(std::memory_order_relaxed) != 0) {
    word.store(0, std::memory_order_relaxed);
    io::futex_wake_shared(&word, 1);
  }
}

void RingControl::wake_writer() noexcept {
  auto& word = layout()->wake.writer_sleeping;
  word.store(0, std::memory_order_relaxed);
  io::futex_wake_shared(&word, 1);
}

void RingControl::bump_progress() noexcept {
  auto& word = layout()->wake.progress;
  word.fetch_add(1, std::memory_order_release);
  io::futex_wake_shared(&word, INT32_MAX);
}

std::uint32_t RingControl::progress() const noexcept {
  return layout()->wake.progress.load(std::memory_order_acquire);
}

void RingControl::wait_progress(std::uint32_t seen, std::int64_t timeout_ns) noexcept {
  io::futex_wait_shared(&layout()->wake.progress, seen, timeout_ns);
}

std::uint64_t RingControl::rings_version() const noexcept {
  return layout()->rings.rings_version.load(std::memory_order_acquire);
}

void RingControl::announce_ring() noexcept {
  layout()->rings.rings_version.fetch_add(1, std::memory_order_acq_rel);
  wake_writer_if_sleeping();
}

bool RingControl::try_reserve_ring_bytes(std::uint64_t bytes) noexcept {
  auto& total = layout()->rings.ring_bytes_total;
  const std::uint64_t budget = layout()->rings.budget_bytes.load(std::memory_order_acquire);
  std::uint64_t now = total.load(std::memory_order_relaxed);
  for (;;) {
    if (bytes > kMinRingBytes && budget != 0 && now + bytes > budget) return false;
    if (total.compare_exchange_weak(now, now + bytes, std::memory_order_acq_rel, std::memory_order_relaxed)) return true;
  }
}

void RingControl::release_ring_bytes(std::uint64_t bytes) noexcept {
  auto& total = layout()->rings.ring_bytes_total;
  std::uint64_t now = total.load(std::memory_order_relaxed);
  // Never below zero, whatever a confused caller releases.
  while (!total.compare_exchange_weak(now, now >= bytes ? now - bytes : 0, std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
  }
}

std::uint64_t RingControl::ring_bytes_total() const noexcept {
  return layout()->rings.ring_bytes_total.load(std::memory_order_acquire);
}

void RingControl::set_budget_bytes(std::uint64_t bytes) noexcept {
  layout()->rings.budget_bytes.store(bytes, std::memory_order_release);
}

std::uint64_t RingControl::budget_bytes() const noexcept {
  return layout()->rings.budget_bytes.load(std::memory_order_acquire);
}

Status RingControl::publish_intent(std::span<const IntentRun> runs, std::uint64_t first_offset,
                                   std::uint64_t end_offset) {
  if (runs.size() > kMaxIntentRuns) {
    return Status::invalid_argument(path_ + ": an intent holds at most " + std::to_string(kMaxIntentRuns) +
                                    " runs, not " + std::to_string(runs.size()));
  }
  Layout* l = layout();
  l->intent.sequence.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  StoredRun* stored = l->runs();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    stored[i] = StoredRun{runs[i].ring_id, runs[i].pos_start, runs[i].pos_end, runs[i].first_offset, runs[i].count};
  }
  l->intent.run_count = runs.size();
  l->intent.first_offset = first_offset;
  l->intent.end_offset = end_offset;
  l->intent.batches = l->intent.batches + 1;
  l->intent.sequence.store(l->intent.batches, std::memory_order_release);
  return Status::ok();
}

void RingControl::clear_intent() noexcept { layout()->intent.sequence.store(0, std::memory_order_release); }

Result<std::optional<Intent>> RingControl::read_intent() const {
  Layout* l = layout();
  Intent intent;
  intent.sequence = l->intent.sequence.load(std::memory_order_acquire);
  if (intent.sequence == 0) return std::optional<Intent>();
  const std::uint64_t count = l->intent.run_count;
  intent.first_offset = l->intent.first_offset;
  intent.end_offset = l->intent.end_offset;
  if (count > kMaxIntentRuns || intent.end_offset < intent.first_offset) {
    return Status::corruption(path_ + ": intent with " + std::to_string(count) + " runs");
  }
  const StoredRun* stored = l->runs();
  for (std::uint64_t i = 0; i < count; ++i) {
    const StoredRun s = stored[i];
    if (s.pos_end < s.pos_start || s.first_offset < intent.first_offset ||
        s.first_offset + s.count > intent.end_offset || s.count > s.pos_end - s.pos_start) {
      return Status::corruption(path_ + ": intent run " + std::to_string(i) + " outside its batch");
    }
    intent.runs.push_back(IntentRun{s.ring_id, s.pos_start, s.pos_end, s.first_offset, s.count});
  }
  return std::optional<Intent>(std::move(intent));
}

void RingControl::begin_retire(const SharedRing& ring, bool producer_dead) {
  Layout* l = layout();
  StoredRetiring* r = l->retiring();
  const RingCounters c = ring.counters();
  const bool mid_entry = producer_dead && ring.died_mid_entry();
  r->capacity = ring.capacity();
  r->released.store(0, std::memory_order_relaxed);
  r->appended = l->retired.appended.load(std::memory_order_relaxed) + c.appended;
  for (std::size_t i = 0; i < kProducerDropReasons; ++i) {
    r->dropped[i] = l->retired.dropped[i].load(std::memory_order_relaxed) + c.dropped[i];
  }
  r->malformed = l->retired.malformed.load(std::memory_order_relaxed) + c.malformed;
  r->written = l->retired.written.load(std::memory_order_relaxed) + c.written;
  r->producer_died = l->retired.producer_died.load(std::memory_order_relaxed) + (mid_entry ? 1 : 0);
  r->producers_died = l->retired.producers_died.load(std::memory_order_relaxed);
  const std::uint64_t n = l->retired.tombstones_added.load(std::memory_order_relaxed);
  r->tombstones_added = n;
  r->has_tombstone = producer_dead ? 1 : 0;
  if (producer_dead) {
    // One tombstone per producer (thread), however many of its rings die with it (a thread
    // that grew leaves several): merged into the one kept, if any; else a new one, and one
    // more producer counted dead. Written to its slot by apply_retiring.
    std::uint64_t index = n;
    for (std::uint64_t i = n > kTombstones ? n - kTombstones : 0; i < n; ++i) {
      if (ring.producer_id() != 0 && l->tombstones()[i % kTombstones].producer_id == ring.producer_id()) index = i;
    }
    StoredTombstone t{};
    if (index != n) {
      t = l->tombstones()[index % kTombstones];
    } else {
      r->tombstones_added = n + 1;
      ++r->producers_died;
    }
    t.ring_id = ring.ring_id();
    t.producer_id = ring.producer_id();
    t.pid = ring.identity().pid;
    t.died = std::max<std::uint32_t>(t.died, mid_entry ? 2 : 1);
    t.appended += c.appended;
    for (std::size_t i = 0; i < kProducerDropReasons; ++i) t.dropped[i] += c.dropped[i];
    t.retired_unix_ns = io::wall_clock_ns();
    r->tombstone = t;
    r->tombstone_index = index;
  }
  r->ring_id.store(ring.ring_id(), std::memory_order_release);
  apply_retiring();
}

void RingControl::apply_retiring() noexcept {
  Layout* l = layout();
  const StoredRetiring* r = l->retiring();
  l->retired.appended.store(r->appended, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kProducerDropReasons; ++i)
    l->retired.dropped[i].store(r->dropped[i], std::memory_order_relaxed);
  l->retired.malformed.store(r->malformed, std::memory_order_relaxed);
  l->retired.written.store(r->written, std::memory_order_relaxed);
  l->retired.producer_died.store(r->producer_died, std::memory_order_relaxed);
  l->retired.producers_died.store(r->producers_died, std::memory_order_relaxed);
  if (r->has_tombstone != 0) l->tombstones()[r->tombstone_index % kTombstones] = r->tombstone;
  l->retired.tombstones_added.store(r->tombstones_added, std::memory_order_release);
}

void RingControl::end_retire() noexcept {
  StoredRetiring* r = layout()->retiring();
  if (r->released.load(std::memory_order_relaxed) == 0) {
    release_ring_bytes(r->capacity);
    r->released.store(1, std::memory_order_relaxed);
  }
  r->ring_id.store(0, std::memory_order_release);
}

std::uint64_t RingControl::interrupted_retire() const noexcept {
  return layout()->retiring()->ring_id.load(std::memory_order_acquire);
}

RetiredCounters RingControl::retired() const noexcept {
  const Layout* l = layout();
  RetiredCounters r;
  r.appended = l->retired.appended.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kProducerDropReasons; ++i)
    r.dropped[i] = l->retired.dropped[i].load(std::memory_order_relaxed);
  r.malformed = l->retired.malformed.load(std::memory_order_relaxed);
  r.written = l->retired.written.load(std::memory_order_relaxed);
  r.producer_died = l->retired.producer_died.load(std::memory_order_relaxed);
  r.producers_died = l->retired.producers_died.load(std::memory_order_relaxed);
  return r;
}

std::vector<ControlTombstone> RingControl::tombstones() const {
  Layout* l = layout();
  const std::uint64_t n = l->retired.tombstones_added.load(std::memory_order_acquire);
  const std::uint64_t first = n > kTombstones ? n - kTombstones : 0;
  std::vector<ControlTombstone> out;
  for (std::uint64_t i = first; i < n; ++i) {
    const StoredTombstone s = l->tombstones()[i % kTombstones];
    ControlTombstone t;
    t.ring_id = s.ring_id;
    t.producer_id = s.producer_id;
    t.pid = s.pid;
    t.died = s.died;
    t.appended = s.appended;
    for (std::size_t k = 0; k < kProducerDropReasons; ++k) t.dropped[k] = s.dropped[k];
    t.retired_unix_ns = s.retired_unix_ns;
    out.push_back(t);
  }
  return out;
}

bool RingControl::log_failed() const noexcept {
  return layout()->wake.log_failed.load(std::memory_order_relaxed) != 0;
}
void RingControl::set_log_failed() noexcept { layout()->wake.log_failed.store(1, std::memory_order_release); }
std::uint64_t RingControl::request_sync() noexcept {
  const std::uint64_t ticket = layout()->wake.sync_requested.fetch_add(1, std::memory_order_acq_rel) + 1;
  wake_writer();
  return ticket;
}
std::uint64_t RingControl::sync_requested() const noexcept {
  return layout()->wake.sync_requested.load(std::memory_order_acquire);
}
void RingControl::set_sync_completed(std::uint64_t ticket) noexcept {
  auto& done = layout()->wake.sync_completed;
  std::uint64_t seen = done.load(std::memory_order_relaxed);
  while (seen < ticket && !done.compare_exchange_weak(seen, ticket, std::memory_order_acq_rel)) {
  }
}
std::uint64_t RingControl::sync_completed() const noexcept {
  return layout()->wake.sync_completed.load(std::memory_order_acquire);
}
void RingControl::set_committed_offset(std::uint64_t offset) noexcept {
  layout()->wake.committed_offset.store(offset, std::memory_order_release);
}
std::uint64_t RingControl::committed_offset() const noexcept {
  return layout()->wake.committed_offset.load(std::memory_order_acquire);
}

Result<RingControl> RingControl::open_existing(const std::string& rings_dir, std::uint64_t log_id, mode_t file_mode) {
  struct stat st {};
  const std::string path = rings_dir + "/" + kFileName;
  const int rc = io::env().lstat(path, &st);
  if (rc == -ENOENT) return Status::not_found(path + " does not exist");
  if (rc < 0) return io::errno_status(rc, "stat " + path);
  ControlIdentity identity;
  identity.log_id = log_id;
  identity.boot_id = current_boot_id();
  identity.file_mode = file_mode;
  return open(rings_dir, identity);
}

}  // namespace spool::engine
