#include "io/errno_status.h"
#include "engine/produce/shared_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstddef>

#include "io/boot_id.h"
#include "io/clock.h"
#include "io/env.h"
#include "io/mapped_read_guard.h"
#include "io/process_identity.h"
#include "segment/segment_file.h"

namespace spool::engine {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "ring counters must be address-free atomics");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint64_t>) == 8 && sizeof(std::atomic<std::uint32_t>) == 4);
static_assert(sizeof(RingHeader::Identity) == 128);
static_assert(sizeof(RingHeader::ProducerLine) == 128);
static_assert(sizeof(RingHeader::ConsumerLine) == 128 && offsetof(RingHeader::ConsumerLine, copied) == 32 &&
              offsetof(RingHeader::ConsumerLine, writer_dropped) == 40);
static_assert(offsetof(RingHeader::ProducerLine, dropped) == 32 &&
                  offsetof(RingHeader::ProducerLine, first_push_ns) == 96,
              "the producer line's layout is shared with rings of earlier versions");
static_assert(sizeof(RingHeader) <= kRingHeaderBytes);
static_assert(offsetof(RingHeader, producer) == 128 && offsetof(RingHeader, consumer) == 256);

namespace {

std::uint64_t align8(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }

bool power_of_two(std::uint64_t n) noexcept { return n != 0 && (n & (n - 1)) == 0; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 16-byte header of the entry at `at` (shared memory), copied out once.
struct EntryHeaderCopy {
  std::uint32_t entry_bytes;
  std::uint16_t kind;
  std::uint16_t flags;
  std::int64_t buffered_at_ns;
};
static_assert(sizeof(EntryHeaderCopy) == kRingEntryHeaderBytes);

EntryHeaderCopy read_entry_header(const std::uint8_t* at) noexcept {
  EntryHeaderCopy h;
  std::memcpy(&h, at, sizeof h);
  return h;
}

// What the entry at position `pos` is, under the bounds rules (no trust in the bytes).
enum class Step : std::uint8_t { kSkip, kEntry, kBadLength };
struct Walk {
  Step step;
  std::uint64_t advance;  // bytes to the next entry (kSkip, kEntry)
  EntryHeaderCopy header;
};

Walk walk_one(const std::uint8_t* data, std::uint64_t capacity, std::uint64_t pos, std::uint64_t end) noexcept {
  const std::uint64_t index = pos & (capacity - 1);
  const std::uint64_t rest = capacity - index;
  const std::uint64_t left = end - pos;
  Walk w{Step::kBadLength, 0, {}};
  if (rest < kRingEntryHeaderBytes) {
    // No header fits before the end of the area: the producer skipped it.
    if (rest > left) return w;
    return Walk{Step::kSkip, rest, {}};
  }
  if (left < kRingEntryHeaderBytes) return w;
  w.header = read_entry_header(data + index);
  const std::uint64_t bytes = align8(w.header.entry_bytes);
  if (w.header.entry_bytes < kRingEntryHeaderBytes || bytes > left || bytes > rest) return w;
  w.step = w.header.kind == kPadKind ? Step::kSkip : Step::kEntry;
  w.advance = bytes;
  return w;
}

Status ring_error(const std::string& path, const std::string& what) {
  return Status::corruption("ring " + path + ": " + what);
}

}  // namespace

BootId current_boot_id() {
  BootId id{};
  const std::string text = io::boot_id();
  std::size_t n = 0;
  int high = -1;
  for (char c : text) {
    const int v = hex_value(c);
    if (v < 0) continue;  // the dashes of the UUID
    if (high < 0) {
      high = v;
    } else {
      if (n == id.size()) break;
      id[n++] = static_cast<std::uint8_t>(high << 4 | v);
      high = -1;
    }
  }
  return id;
}

Status check_trusted(const std::string& path, const struct stat& st, mode_t mode, bool directory) {
  if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return Status::permission_denied(path + (directory ? " is not a directory" : " is not a regular file"));
  }
  if (st.st_uid != ::geteuid()) {
    return Status::permission_denied(path + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user");
  }
  if ((st.st_mode & 07777) != mode) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " has mode %04o, not the log's %04o", static_cast<unsigned>(st.st_mode & 07777),
                  static_cast<unsigned>(mode));
    return Status::permission_denied(path + buf);
  }
  return Status::ok();
}

void SharedRing::attach(std::uint8_t* base, std::uint64_t capacity) noexcept {
  header_ = reinterpret_cast<RingHeader*>(base);
  data_ = base + kRingHeaderBytes;
  capacity_ = capacity;
  mask_ = capacity - 1;
}

SharedRing SharedRing::over_memory(std::uint8_t* memory, std::uint64_t capacity) {
  SharedRing ring;
  ring.attach(memory, capacity);
  ring.tail_ = ring.header_->producer.tail.load(std::memory_order_relaxed);
  ring.cached_head_ = ring.header_->consumer.head.load(std::memory_order_relaxed);
  return ring;
}

Result<SharedRing> SharedRing::create(const std::string& path, std::uint64_t capacity,
                                      const RingIdentity& identity, mode_t file_mode) {
  if (!power_of_two(capacity) || capacity < kMinRingCapacity) {
    return Status::invalid_argument("ring " + path + ": capacity " + std::to_string(capacity) +
                                    " is not a power of two >= 4096");
  }
  if (identity.ring_id == 0) return Status::invalid_argument("ring " + path + ": ring id 0");
  struct stat existing {};
  if (io::env().lstat(path, &existing) == 0) return io::errno_status(-EEXIST, "create ring " + path);
  SharedRing ring;
  ring.path_ = path;
  // Made whole under a temporary name, then renamed: the writer never lists a half-made ring,
  // and a producer killed while making one leaves a .tmp file the writer deletes.
  const std::string temp = path + kRingTempSuffix;
  int rc = io::File::create(temp, O_RDWR | O_EXCL, file_mode, &ring.file_);
  if (rc < 0) return io::errno_status(rc, "create ring " + temp);
  const std::uint64_t file_bytes = kRingHeaderBytes + capacity;
  rc = ring.file_.allocate(0, file_bytes);
  if (rc == 0) rc = io::MmapRegion::map(ring.file_.fd(), file_bytes, /*writable=*/true, &ring.mapping_);
  if (rc < 0) {
    (void)io::remove_path(temp);
    return io::errno_status(rc, "allocate and map ring " + temp);
  }
  ring.attach(ring.mapping_.mutable_data(), capacity);
  // A fresh file reads as zeros: counters, positions and state start at 0 (kActive).
  RingHeader::Identity& id = ring.header_->identity;
  id.version = RingHeader::kVersion;
  id.header_bytes = kRingHeaderBytes;
  id.capacity = capacity;
  id.log_id = identity.log_id;
  id.ring_id = identity.ring_id;
  std::memcpy(id.boot_id, identity.boot_id.data(), sizeof id.boot_id);
  id.producer_id = identity.producer_id != 0 ? identity.producer_id : identity.ring_id;
  id.generation = identity.generation;
  id.pid = static_cast<std::int32_t>(::getpid());
  id.start_ticks = io::own_start_ticks();
  id.tid = static_cast<std::int32_t>(io::current_tid());
  id.role = static_cast<std::uint32_t>(identity.role);
  id.created_unix_ns = io::wall_clock_ns();
  std::memcpy(id.magic, RingHeader::kMagic, sizeof id.magic);
  rc = io::rename_path(temp, path);
  if (rc < 0) {
    (void)io::remove_path(temp);
    return io::errno_status(rc, "rename ring " + temp + " to " + path);
  }
  return ring;
}

Result<SharedRing> SharedRing::open_existing(const std::string& path, const RingExpectation& expect) {
  SharedRing ring;
  ring.path_ = path;
  int rc = io::File::open(path, O_RDWR | O_NOFOLLOW, 0, &ring.file_);
  if (rc < 0) return io::errno_status(rc, "open ring " + path);
  struct stat st {};
  rc = io::env().fstat(ring.file_.fd(), &st);
  if (rc < 0) return io::errno_status(rc, "stat ring " + path);
  SPOOL_RETURN_IF_ERROR(check_trusted(path, st, expect.file_mode));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kRingHeaderBytes + kMinRingCapacity) {
    return ring_error(path, "file of " + std::to_string(size) + " bytes is shorter than a ring");
  }
  // The header first (its capacity says how much to map), copied out before it is trusted.
  RingHeader::Identity id{};
  const ssize_t n = ring.file_.pread_full(&id, sizeof id, 0);
  if (n < 0) return io::errno_status(static_cast<int>(n), "read ring header " + path);
  if (static_cast<std::size_t>(n) < sizeof id) return ring_error(path, "short header");
  if (std::memcmp(id.magic, RingHeader::kMagic, sizeof id.magic) != 0) return ring_error(path, "bad magic");
  if (id.version != RingHeader::kVersion) return ring_error(path, "unknown version " + std::to_string(id.version));
  if (id.header_bytes != kRingHeaderBytes) return ring_error(path, "header_bytes " + std::to_string(id.header_bytes));
  if (!power_of_two(id.capacity) || id.capacity < kMinRingCapacity || id.capacity > (std::uint64_t{1} << 40)) {
    return ring_error(path, "capacity " + std::to_string(id.capacity));
  }
  if (size != kRingHeaderBytes + id.capacity) {
    return ring_error(path, "file of " + std::to_string(size) + " bytes for a capacity of " +
                                std::to_string(id.capacity) + " (truncated?)");
  }
  if (id.log_id != expect.log_id) {
    return Status::invalid_argument("ring " + path + " belongs to another log (log id mismatch)");
  }
  if (std::memcmp(id.boot_id, expect.boot_id.data(), sizeof id.boot_id) != 0) {
    return Status::invalid_argument("ring " + path + " " + kOtherBootRefusal + " (boot id mismatch)");
  }
  if (id.ring_id == 0 || (expect.ring_id != 0 && id.ring_id != expect.ring_id)) {
    return Status::invalid_argument("ring " + path + ": ring id does not match the file name");
  }
  rc = io::MmapRegion::map(ring.file_.fd(), size, /*writable=*/true, &ring.mapping_);
  if (rc < 0) return io::errno_status(rc, "map ring " + path);
  // The mapping may differ from what pread saw if another process rewrote the header in
  // between: keep the capacity that was checked, and the mapping size matches it.
  ring.attach(ring.mapping_.mutable_data(), id.capacity);
  return ring;
}

bool SharedRing::reload_head_for(std::uint64_t end) noexcept {
  if (sealed_here_) return false;
  RingHeader::ConsumerLine& c = header_->consumer;
  std::uint64_t head = c.head.load(std::memory_order_acquire);
  // Space the producer evicted itself comes back without the writer once the writer's head
  // reaches the evicted range (nothing of the writer's is in flight before it).
  if (evicted_to_ > evicted_from_ && head >= evicted_from_ && head < evicted_to_) {
    if (c.head.compare_exchange_strong(head, evicted_to_, std::memory_order_acq_rel)) head = evicted_to_;
  }
  if (head >= evicted_to_) evicted_from_ = evicted_to_ = 0;
  cached_head_ = head;
  return end - head <= capacity_;
}

std::uint64_t SharedRing::evict_oldest(std::size_t payload_bytes) noexcept {
  RingHeader::ConsumerLine& c = header_->consumer;
  const std::uint64_t need = align8(kRingEntryHeaderBytes + payload_bytes);
  if (need > capacity_) return 0;
  std::uint64_t evicted = 0;
  // Bounded: each pass evicts one entry (or a PAD) or stops, and at most capacity / 8 fit.
  for (std::uint64_t guard = 0; guard <= capacity_ / 8; ++guard) {
    const std::uint64_t index = tail_ & mask_;
    const std::uint64_t rest = capacity_ - index;
    const std::uint64_t end = tail_ + (need <= rest ? need : rest + need);
    if (reload_head_for(end)) return evicted;
    std::uint64_t r = c.read.load(std::memory_order_acquire);
    if (r >= tail_ || tail_ - r > capacity_) return evicted;  // all taken by the writer (or nonsense)
    // The writer took entries it has not copied yet ([copied, read)): it copies up to `read`,
    // so moving `read` now would hand it the evicted entries too. Wait for it.
    if (std::max(c.copied.load(std::memory_order_acquire), c.head.load(std::memory_order_acquire)) < r) return evicted;
    // Enough evicted: the rest of the space is the writer's, back when it stores its head.
    if (end - r <= capacity_) return evicted;
    const Walk w = walk_one(data_, capacity_, r, tail_);
    if (w.step == Step::kBadLength) return evicted;  // not what this producer wrote: leave it
    if (!c.read.compare_exchange_strong(r, r + w.advance, std::memory_order_acq_rel)) continue;
    if (evicted_to_ == r && evicted_to_ > evicted_from_) {
      evicted_to_ = r + w.advance;
    } else {
      evicted_from_ = r;
      evicted_to_ = r + w.advance;
    }
    if (w.step == Step::kEntry) {
      ++evicted;
      count_drop(DropReason::kDropOldest);
    }
  }
  return evicted;
}

void SharedRing::count_drop(DropReason reason) noexcept {
  if (static_cast<std::size_t>(reason) >= kProducerDropReasons) return;  // the writer's alone
  auto& counter = header_->producer.dropped[static_cast<std::size_t>(reason)];
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void SharedRing::seal() noexcept {
  header_->producer.state.store(static_cast<std::uint32_t>(RingState::kSealed), std::memory_order_release);
  // No test of the state on the hot path: a cached head a whole ring behind the tail sends
  // every later push to reload_head_for, which refuses it.
  sealed_here_ = true;
  cached_head_ = tail_ - capacity_;
}

void SharedRing::seal_shared() noexcept {
  header_->producer.state.store(static_cast<std::uint32_t>(RingState::kSealed), std::memory_order_release);
}

bool SharedRing::release_data_memory() noexcept {
  if (data_ == nullptr) return false;
  // The file's blocks and page-cache pages go (the mapping stays valid and reads zeros); where
  // the file system cannot punch holes, MADV_REMOVE is the same request through the mapping.
  if (::fallocate(file_.fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(kRingHeaderBytes),
                  static_cast<off_t>(capacity_)) == 0) {
    return true;
  }
  return ::madvise(data_, capacity_, MADV_REMOVE) == 0;
}

std::uint64_t SharedRing::producer_used_bytes() const noexcept {
  return sealed_here_ ? tail_ - header_->consumer.head.load(std::memory_order_relaxed) : tail_ - cached_head_;
}

bool SharedRing::sealed() const noexcept {
  return header_->producer.state.load(std::memory_order_acquire) == static_cast<std::uint32_t>(RingState::kSealed);
}

DrainResult SharedRing::drain(std::span<std::uint8_t> out, std::vector<DrainedEntry>* entries,
                              const DrainLimits& limits, const EntryValidator& validator) {
  DrainResult result;
  RingHeader::ConsumerLine& c = header_->consumer;
  const std::size_t first_entry = entries->size();
  // A hostile process may have truncated the file: probe the header and the range to read
  // before reading it, so a fault is an error and not the end of the writer.
  const auto* header_bytes = reinterpret_cast<const std::uint8_t*>(header_);
  if (io::readable_prefix(header_bytes, kRingHeaderBytes) != kRingHeaderBytes) {
    result.outcome = DrainOutcome::kUnreadable;
    return result;
  }
  // A few attempts: a failed CAS or a moved head means the producer evicted entries meanwhile.
  for (int attempt = 0; attempt < 4; ++attempt) {
    entries->resize(first_entry);
    // Head before read keeps head <= read, read before tail keeps read <= tail; but no order
    // of the loads also keeps tail <= head + capacity, since an evicting producer moves head
    // itself (reload_head_for) and then pushes up to that new head + capacity: a head loaded
    // before that and a tail loaded after it look a ring apart.
    const std::uint64_t h = c.head.load(std::memory_order_acquire);
    if (drain_snapshot_hook_) drain_snapshot_hook_();
    const std::uint64_t copied = c.copied.load(std::memory_order_relaxed);
    std::uint64_t r = c.read.load(std::memory_order_acquire);
    const std::uint64_t t = header_->producer.tail.load(std::memory_order_acquire);
    const std::uint64_t start = std::max(h, copied);
    result.read_end = start;
    if (start > r || t < r || t - start > capacity_ || t % 8 != 0 || r % 8 != 0 || start % 8 != 0) {
      // Positions only grow: with read and head unchanged since tail was loaded, all four held
      // together then and the ring is corrupt. Else an eviction moved them: look again (a ring
      // called corrupt is reclaimed while its producer keeps pushing into it, never drained).
      const bool moved = c.read.load(std::memory_order_acquire) != r ||
                         c.head.load(std::memory_order_acquire) != h;
      if (moved) continue;
      result.outcome = DrainOutcome::kCorrupt;
      return result;
    }
    // [start, read) holds entries this writer took but has not copied yet, up to where it
    // took them; beyond that the producer moved `read` over entries it evicted, which are
    // skipped (they are counted dropped, never written).
    std::uint64_t end = std::min(r, std::max(taken_end_, start));
    std::uint64_t first = start;
    if (first == end) {
      first = r;
      if (t == r) {
        result.read_end = r;
        return result;
      }
      // Take everything published: from now on the producer leaves these bytes alone.
      if (!c.read.compare_exchange_strong(r, t, std::memory_order_acq_rel)) continue;
      end = t;
      taken_end_ = t;
    }
    const std::uint64_t start_at = first;
    // Probe the bytes to read (at most two pieces: before and after the wrap).
    const std::uint64_t from = start_at & mask_;
    const std::uint64_t span_bytes = end - start_at;
    const std::uint64_t first_piece = std::min(span_bytes, capacity_ - from);
    if (io::readable_prefix(data_ + from, first_piece) != first_piece ||
        io::readable_prefix(data_, span_bytes - first_piece) != span_bytes - first_piece) {
      result.outcome = DrainOutcome::kUnreadable;
      return result;
    }
    std::size_t used = 0;
    std::uint64_t malformed = 0;
    bool follows = true;
    std::size_t runs = 0;  // intent runs the kept entries form (a refused entry ends one)
    std::uint64_t pos = start_at;
    while (pos < end && used < limits.batch_bytes) {
      const Walk w = walk_one(data_, capacity_, pos, end);
      if (w.step == Step::kBadLength) {
        ++malformed;  // nothing after a bad length can be trusted
        pos = end;
        break;
      }
      if (w.step == Step::kSkip) {
        pos += w.advance;
        continue;
      }
      const std::uint64_t payload_bytes = w.header.entry_bytes - kRingEntryHeaderBytes;
      const std::size_t copy_bytes = align8(w.header.entry_bytes);
      if (payload_bytes > limits.max_payload_bytes) {
        ++malformed;  // larger than the log takes
        follows = false;
        pos += w.advance;
        continue;
      }
      if (out.size() - used < copy_bytes) break;  // the next drain copies it (into a fuller buffer)
      std::memcpy(out.data() + used, data_ + (pos & mask_), w.header.entry_bytes);
      // Header fields from the copy: a hostile producer may rewrite shared memory any time.
      const EntryHeaderCopy copied_header = read_entry_header(out.data() + used);
      if (copied_header.entry_bytes != w.header.entry_bytes) {
        ++malformed;
        follows = false;
        pos += w.advance;
        continue;
      }
      DrainedEntry e;
      e.kind = copied_header.kind;
      e.flags = copied_header.flags;
      e.buffered_at_ns = copied_header.buffered_at_ns;
      e.out_offset = used;
      e.payload_bytes = static_cast<std::uint32_t>(payload_bytes);
      e.ring_start = pos;
      e.ring_end = pos + w.advance;
      e.follows_previous = follows;
      if (!validator(e.kind, e.flags, e.payload(out))) {
        // Refused on the private copy: skipped, and it ends the intent run it would be in.
        ++malformed;
        follows = false;
        pos += w.advance;
        continue;
      }
      if (!follows || entries->size() == first_entry) {
        // A new intent run: stop before it when the caller's intent has no room for it (the
        // entry waits, taken, for the next drain, like one that does not fit `out`).
        if (runs == limits.max_runs) break;
        ++runs;
      }
      follows = true;
      entries->push_back(e);
      used += copy_bytes;
      pos += w.advance;
    }
    c.copied.store(pos, std::memory_order_relaxed);
    result.entries = entries->size() - first_entry;
    result.out_bytes = used;
    result.malformed = malformed;
    result.read_end = pos;
    if (malformed != 0) c.malformed.store(c.malformed.load(std::memory_order_relaxed) + malformed, std::memory_order_relaxed);
    return result;
  }
  entries->resize(first_entry);
  return result;  // the producer kept evicting: nothing taken this time
}

void SharedRing::mark_written(std::uint64_t pos, std::uint64_t written) noexcept {
  RingHeader::ConsumerLine& c = header_->consumer;
  // Counted before head moves: whoever sees the ring drained (head == tail: the producer's
  // process folding a finished ring's counters, a flush) sees every written entry counted.
  if (written != 0) c.written.store(c.written.load(std::memory_order_relaxed) + written, std::memory_order_release);
  // Never backwards: the producer may have moved head past its own evictions already.
  std::uint64_t head = c.head.load(std::memory_order_relaxed);
  while (head < pos && !c.head.compare_exchange_weak(head, pos, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

void SharedRing::count_writer_drop(DropReason reason, std::uint64_t n) noexcept {
  auto& counter = header_->consumer.writer_dropped[static_cast<std::size_t>(reason)];
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

void SharedRing::retake_unwritten() noexcept {
  RingHeader::ConsumerLine& c = header_->consumer;
  taken_end_ = 0;
  const std::uint64_t head = c.head.load(std::memory_order_acquire);
  c.copied.store(head, std::memory_order_relaxed);
  c.read.store(head, std::memory_order_release);
}

Result<std::uint64_t> SharedRing::resolve_intent_run(const IntentRun& run, std::uint64_t next_offset) const {
  if (run.pos_end < run.pos_start || run.pos_end - run.pos_start > capacity_ || run.pos_start % 8 != 0) {
    return ring_error(path_, "intent run with impossible positions");
  }
  if (run.first_offset + run.count <= next_offset) return run.pos_end;
  if (run.first_offset >= next_offset) return run.pos_start;
  // Straddling: the log holds the first `in_log` entries of the run.
  const std::uint64_t in_log = next_offset - run.first_offset;
  if (io::readable_prefix(data_, capacity_) != capacity_) return ring_error(path_, "unreadable data area");
  std::uint64_t pos = run.pos_start;
  for (std::uint64_t seen = 0; seen < in_log;) {
    if (pos >= run.pos_end) return ring_error(path_, "intent run holds fewer entries than it says");
    const Walk w = walk_one(data_, capacity_, pos, run.pos_end);
    if (w.step == Step::kBadLength) return ring_error(path_, "intent run does not walk");
    if (w.step == Step::kEntry) ++seen;
    pos += w.advance;
  }
  return pos;
}

Status SharedRing::restart_consumer_at(std::uint64_t pos) {
  RingHeader::ConsumerLine& c = header_->consumer;
  const std::uint64_t head = c.head.load(std::memory_order_acquire);
  const std::uint64_t tail = header_->producer.tail.load(std::memory_order_acquire);
  if (pos < head || pos > tail || pos % 8 != 0) {
    return Status::invalid_argument("ring " + path_ + ": restart position " + std::to_string(pos) +
                                    " outside [head " + std::to_string(head) + ", tail " + std::to_string(tail) + "]");
  }
  c.copied.store(pos, std::memory_order_relaxed);
  c.read.store(pos, std::memory_order_release);
  mark_written(pos, 0);
  return Status::ok();
}

bool SharedRing::died_mid_entry() const noexcept {
  return header_->producer.claim.load(std::memory_order_acquire) != header_->producer.tail.load(std::memory_order_acquire);
}

bool SharedRing::producer_alive() const {
  return io::process_alive(header_->identity.pid, header_->identity.start_ticks);
}

bool SharedRing::drained() const noexcept {
  const std::uint64_t t = header_->producer.tail.load(std::memory_order_acquire);
  return header_->consumer.read.load(std::memory_order_acquire) == t &&
         header_->consumer.head.load(std::memory_order_acquire) == t;
}

RingCounters SharedRing::counters() const noexcept {
  RingCounters out;
  const RingHeader::ProducerLine& p = header_->producer;
  const RingHeader::ConsumerLine& c = header_->consumer;
  // What left the ring first, then what entered it: entries counted as gone were counted as
  // appended before (the producer counts before it publishes), so appended >= gone always.
  out.written = c.written.load(std::memory_order_acquire);
  out.malformed = c.malformed.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) out.writer_dropped[i] = c.writer_dropped[i].load(std::memory_order_acquire);
  const std::uint64_t h = c.head.load(std::memory_order_acquire);
  out.appended = p.appended.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < kProducerDropReasons; ++i)
    out.dropped[i] = p.dropped[i].load(std::memory_order_relaxed);
  const std::uint64_t t = p.tail.load(std::memory_order_acquire);
  out.queued_bytes = t >= h ? t - h : 0;
  out.first_push_ns = p.first_push_ns.load(std::memory_order_relaxed);
  return out;
}

Status resolve_intent(std::span<const IntentRun> runs, std::uint64_t next_offset,
                      const std::function<SharedRing*(std::uint64_t ring_id)>& ring_of) {
  struct Decision {
    std::uint64_t ring_id;
    std::uint64_t pos;
    bool final;  // a run not entirely below next_offset decided it
  };
  std::vector<Decision> decisions;
  for (const IntentRun& run : runs) {
    SharedRing* ring = ring_of(run.ring_id);
    if (ring == nullptr) continue;
    auto it = std::find_if(decisions.begin(), decisions.end(),
                           [&](const Decision& d) { return d.ring_id == run.ring_id; });
    if (it != decisions.end() && it->final) continue;
    Result<std::uint64_t> pos = ring->resolve_intent_run(run, next_offset);
    if (!pos.is_ok()) return pos.status();
    const bool final = run.first_offset + run.count > next_offset;
    if (it == decisions.end()) {
      decisions.push_back(Decision{run.ring_id, *pos, final});
    } else {
      it->pos = *pos;
      it->final = final;
    }
  }
  for (const Decision& d : decisions) SPOOL_RETURN_IF_ERROR(ring_of(d.ring_id)->restart_consumer_at(d.pos));
  return Status::ok();
}

}  // namespace spool::engine
