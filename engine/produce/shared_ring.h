// SharedRing: one producer thread's queue to the writer, as a file in DIR/rings/ mapped
// MAP_SHARED by the producer (in whatever process) and by the writer (whichever process holds
// DIR/LOCK). Single producer, single consumer. The file outlives the process that made it, so
// an entry whose push returned true survives the kill -9 of the producer, of the writer or of
// both: the next writer drains it. Only a machine crash loses it (the ring is not synced).
//
// File layout (<ring id as 16 lowercase hex digits>.ring, mode = the log's file_mode; every
// integer little-endian, as the machine stores it; offsets in bytes):
//
//   page 0: the header (kHeaderBytes = 4096)
//     identity line, written once by create() before the file is visible under its name:
//       0    char[8]  magic "SPOOLRNG"
//       8    u32      version (kVersion)
//       12   u32      header_bytes (4096)
//       16   u64      capacity: bytes of the data area, a power of two >= 4096
//       24   u64      log id of the log the ring belongs to
//       32   u64      ring id (random, not 0; equal to the file name)
//       40   u8[16]   boot id (the 16 bytes of the kernel's boot_id UUID) of the boot it was made
//       in 56   u64      producer id (unique per process and thread: the ring id of its first ring)
//       64   u32      generation (the producer's Nth ring: successors are drained in order)
//       68   i32      pid of the producing process
//       72   u64      its start time (/proc/<pid>/stat field 22), to tell pid reuse
//       80   i32      tid of the producing thread
//       84   u32      role (RingRole: in the writer's process or attached)
//       88   i64      created, wall-clock ns since the epoch
//       96   ..127    zero
//     producer line (offset 128, two cache lines, written only by the producer):
//       128  u64      tail: end of the last complete entry (monotonic byte position, release)
//       136  u64      claim: end of the entry being written, stored before writing it; a dead
//                     producer with claim != tail died mid-entry (producer_died)
//       144  u32      state (RingState: active, sealed)
//       148  u32      zero
//       152  u64      appended: entries pushed
//       160  u64[8]   dropped, by spool::DropReason (kProducerDropReasons: not disk_full,
//                     which only the writer decides)
//       224  i64      first_push_ns: buffered-at of an entry pushed into an (apparently) empty ring
//       232  ..255    zero
//     consumer line (offset 256, written by the writer; `read` and `head` also CAS'd by the
//     producer when it evicts its oldest entries):
//       256  u64      read: entries before it are taken by the writer or evicted
//       264  u64      head: space before it is free (stored once taken entries are in the log)
//       272  u64      malformed: entries the writer refused
//       280  u64      written: entries the writer has in the log
//       288  u64      copied: entries before it are copied out by the writer; those in
//                     [copied, read) are taken (the producer may no longer evict them) but not
//                     yet copied, because the writer's buffer (or its intent) was full
//       296  u64[9]   writer_dropped: entries the writer took and dropped, by DropReason
//                     (disk_full, the 9th, at 360: zero in rings made before it existed)
//       368  ..4095   zero
//   data area: capacity bytes at offset 4096. A byte position p lives at 4096 + p % capacity.
//
// Invariants the writer relies on only after checking them (the memory is shared with
// processes it does not trust): head <= read <= tail <= head + capacity, all multiples of 8;
// the writer copies from max(copied, head) (the producer moves head past its own evictions).
//
// Why the writer takes (CAS on read) before it copies: once taken, entries are the writer's
// until it stores head, so an honest producer never writes bytes the writer is reading (no
// data race, and no torn copy to throw away); only a hostile one can, and the writer checks
// its private copy, not the shared bytes.
//
// Entry, 8-aligned, never wrapping:
//   [u32 entry_bytes = 16 + payload bytes][u16 kind][u16 flags][i64 buffered_at_ns][payload]
//   then zero to 7 bytes of padding up to the next multiple of 8 (not part of entry_bytes, so
//   the payload size is exact). An entry that does not fit before the end of the data area is
//   preceded by a PAD entry (kind kPadKind, entry_bytes = the rest of the area, no padding);
//   when the rest is 8 bytes there is no room for a header and the consumer skips it without
//   one.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <sys/stat.h>
#include <string>
#include <vector>

#include "io/file.h"
#include "io/mmap_region.h"
#include "spool/buffer_stats.h"
#include "spool/status.h"

namespace spool::engine {

using BootId = std::array<std::uint8_t, 16>;

// The boot id of the running kernel as 16 bytes (all zero when it cannot be read).
BootId current_boot_id();

// A file or directory of the ring directory is trusted only when it is of the expected type
// (a regular file, or a directory when `directory`), this user's, and of exactly `mode`;
// else PermissionDenied naming `path`.
Status check_trusted(const std::string& path, const struct stat& st, mode_t mode, bool directory = false);

enum class RingRole : std::uint32_t { kWriterProcess = 1, kAttached = 2 };
enum class RingState : std::uint32_t { kActive = 0, kSealed = 1 };

// Who a ring belongs to: the caller's part of the identity line.
struct RingIdentity {
  std::uint64_t log_id = 0;
  BootId boot_id{};
  std::uint64_t ring_id = 0;
  std::uint64_t producer_id = 0;  // 0: this ring's id (a thread's first ring)
  std::uint32_t generation = 0;
  RingRole role = RingRole::kAttached;
};

// What an opener expects of a ring file it did not make.
struct RingExpectation {
  std::uint64_t log_id = 0;
  BootId boot_id{};
  std::uint64_t ring_id = 0;  // 0: any (else the file name's id)
  mode_t file_mode = io::kPrivateFileMode;
};

// The reasons a producer counts in its ring: every DropReason before kDiskFull (the ring
// header's producer line has room for these eight).
inline constexpr std::size_t kProducerDropReasons = static_cast<std::size_t>(DropReason::kDiskFull);

// The header page, byte for byte as documented above.
struct RingHeader {
  static constexpr char kMagic[8] = {'S', 'P', 'O', 'O', 'L', 'R', 'N', 'G'};
  static constexpr std::uint32_t kVersion = 1;

  struct Identity {
    char magic[8];
    std::uint32_t version;
    std::uint32_t header_bytes;
    std::uint64_t capacity;
    std::uint64_t log_id;
    std::uint64_t ring_id;
    std::uint8_t boot_id[16];
    std::uint64_t producer_id;
    std::uint32_t generation;
    std::int32_t pid;
    std::uint64_t start_ticks;
    std::int32_t tid;
    std::uint32_t role;
    std::int64_t created_unix_ns;
    std::uint8_t reserved[32];
  };
  struct alignas(64) ProducerLine {
    std::atomic<std::uint64_t> tail;
    std::atomic<std::uint64_t> claim;
    std::atomic<std::uint32_t> state;
    std::uint32_t reserved0;
    std::atomic<std::uint64_t> appended;
    std::array<std::atomic<std::uint64_t>, kProducerDropReasons> dropped;
    std::atomic<std::int64_t> first_push_ns;
    std::uint8_t reserved1[24];
  };
  struct alignas(64) ConsumerLine {
    std::atomic<std::uint64_t> read;
    std::atomic<std::uint64_t> head;
    std::atomic<std::uint64_t> malformed;
    std::atomic<std::uint64_t> written;
    std::atomic<std::uint64_t> copied;
    // Entries the writer took and then dropped, by spool::DropReason (too_large: the log
    // refuses the size; write_failed: the log failed a sync; disk_full: the log is at its
    // cap and its disk_full_policy drops).
    std::array<std::atomic<std::uint64_t>, kDropReasonCount> writer_dropped;
  };

  Identity identity;
  ProducerLine producer;
  ConsumerLine consumer;
};

inline constexpr std::size_t kRingHeaderBytes = 4096;
inline constexpr std::size_t kRingEntryHeaderBytes = 16;
inline constexpr std::uint16_t kPadKind = 0xFFFF;
inline constexpr std::uint64_t kMinRingCapacity = 4096;
// In the message of open_existing's refusal of a ring made in another boot (which the writer
// deletes rather than leaves).
inline constexpr const char* kOtherBootRefusal = "was made in another boot";
// create() makes <path><kRingTempSuffix> and renames it to <path> once whole.
inline constexpr const char* kRingTempSuffix = ".tmp";

// Ring counters as the writer and `spoolctl stats` see them.
struct RingCounters {
  std::uint64_t appended = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};
  std::uint64_t malformed = 0;
  std::uint64_t written = 0;
  std::array<std::uint64_t, kDropReasonCount> writer_dropped{};
  std::uint64_t queued_bytes = 0;  // tail - head
  std::int64_t first_push_ns = 0;  // buffered-at of an entry pushed into an empty ring
};

// One entry drain() copied out. Its 16-byte header and payload are at out[out_offset...].
struct DrainedEntry {
  std::uint16_t kind = 0;
  std::uint16_t flags = 0;
  std::int64_t buffered_at_ns = 0;
  std::size_t out_offset = 0;       // where its header starts in the caller's buffer
  std::uint32_t payload_bytes = 0;  // the payload follows the header
  std::uint64_t ring_start = 0;     // byte positions in the ring: [ring_start, ring_end)
  std::uint64_t ring_end = 0;
  // False when an entry the writer refused (malformed) lies between this entry and the
  // previous one returned by the same drain: an intent run must end before it.
  bool follows_previous = true;

  std::span<const std::uint8_t> payload(std::span<const std::uint8_t> out) const noexcept {
    return out.subspan(out_offset + kRingEntryHeaderBytes, payload_bytes);
  }
};

enum class DrainOutcome : std::uint8_t {
  kOk,          // entries (maybe none) taken
  kCorrupt,     // the ring's positions break the invariants: stop using it, seal and reclaim
  kUnreadable,  // the mapping faulted (the file was truncated or is unreadable): reclaim
};

struct DrainResult {
  DrainOutcome outcome = DrainOutcome::kOk;
  std::size_t entries = 0;      // appended to the caller's vector
  std::size_t out_bytes = 0;    // bytes of the caller's buffer used
  std::uint64_t malformed = 0;  // entries refused (also added to the ring's counter)
  std::uint64_t read_end = 0;   // `read` after the drain: the end of everything taken
};

struct DrainLimits {
  std::size_t max_payload_bytes = 4u << 20;  // larger payloads are malformed
  // Intent runs one drain may start (kept entries separated by a refused one start a new
  // run): the drain stops before the entry that would start one more, so a ring full of
  // alternating good and bad entries cannot overflow the writer's intent.
  std::size_t max_runs = SIZE_MAX;
  // The drain stops taking entries once it copied this many bytes (the entry that crosses it
  // included): a writer batch's size, while `out` may be larger to fit the largest entry.
  std::size_t batch_bytes = SIZE_MAX;
};

// The writer's check of one copied entry: (kind, flags, payload) -> keep it. It sees a copy,
// never shared memory, so a producer cannot change the bytes after they were checked.
using EntryValidator = std::function<bool(std::uint16_t kind, std::uint16_t flags,
                                          std::span<const std::uint8_t> payload)>;

// One run of an intent (ring_control.h): entries [pos_start, pos_end) of one ring that got
// the consecutive log offsets [first_offset, first_offset + count).
struct IntentRun {
  std::uint64_t ring_id = 0;
  std::uint64_t pos_start = 0;
  std::uint64_t pos_end = 0;
  std::uint64_t first_offset = 0;
  std::uint64_t count = 0;
};

class SharedRing {
 public:
  SharedRing() = default;
  SharedRing(SharedRing&&) noexcept = default;
  SharedRing& operator=(SharedRing&&) noexcept = default;
  SharedRing(const SharedRing&) = delete;
  SharedRing& operator=(const SharedRing&) = delete;

  // Makes a new ring file at `path`: made whole as <path>.tmp (O_EXCL, O_NOFOLLOW, exactly
  // `file_mode`, space allocated so a full disk fails here and not with SIGBUS on a push), then
  // renamed. An existing `path` is refused first (between that check and the rename only a
  // process drawing the same random 64-bit id could make it). capacity: a power of two >= 4096.
  static Result<SharedRing> create(const std::string& path, std::uint64_t capacity,
                                   const RingIdentity& identity, mode_t file_mode = io::kPrivateFileMode);
  // Opens a ring another process made. Refused (PermissionDenied) when owned by another user
  // or with another mode; Corruption for a bad magic/version/size or a truncated file;
  // InvalidArgument naming the field for another log id, boot id or ring id.
  static Result<SharedRing> open_existing(const std::string& path, const RingExpectation& expect);
  // Test and fuzz seam: a ring over caller-owned memory (kRingHeaderBytes + capacity bytes,
  // 64-aligned, header already filled in). No file, no checks beyond the capacity.
  static SharedRing over_memory(std::uint8_t* memory, std::uint64_t capacity);

  bool valid() const noexcept { return header_ != nullptr; }
  const std::string& path() const noexcept { return path_; }
  std::uint64_t capacity() const noexcept { return capacity_; }
  const RingHeader::Identity& identity() const noexcept { return header_->identity; }
  std::uint64_t ring_id() const noexcept { return header_->identity.ring_id; }
  std::uint64_t producer_id() const noexcept { return header_->identity.producer_id; }
  std::uint32_t generation() const noexcept { return header_->identity.generation; }

  // ---- Producer side (the owning thread only). ----

  // Queues one entry: no syscall, no lock, no read-modify-write. False when it does not fit
  // (the caller applies its full-queue policy) or the ring is sealed. A payload that can never
  // fit (max_payload_bytes()) is always refused.
  bool try_push(std::uint16_t kind, std::uint16_t flags, std::int64_t buffered_at_ns,
                std::span<const std::uint8_t> payload) noexcept {
    const std::uint64_t pos = tail_;
    const std::uint64_t entry_bytes = kRingEntryHeaderBytes + payload.size();
    const std::uint64_t need = (entry_bytes + 7) & ~std::uint64_t{7};
    const std::uint64_t index = pos & mask_;
    const std::uint64_t rest = capacity_ - index;
    const std::uint64_t total = need <= rest ? need : rest + need;
    if (need > capacity_) return false;  // also keeps entry_bytes within 32 bits
    if (pos + total - cached_head_ > capacity_ && !reload_head_for(pos + total)) return false;
    RingHeader::ProducerLine& p = header_->producer;
    p.claim.store(pos + total, std::memory_order_relaxed);
    std::uint8_t* at = data_ + index;
    if (need > rest) {
      write_pad(at, rest);
      at = data_;
    }
    write_entry_header(at, static_cast<std::uint32_t>(entry_bytes), kind, flags, buffered_at_ns);
    if (!payload.empty()) std::memcpy(at + kRingEntryHeaderBytes, payload.data(), payload.size());
    if (pos == cached_head_) p.first_push_ns.store(buffered_at_ns, std::memory_order_relaxed);
    // Counted before the entry is published: a reader that sees it written (the writer may
    // take it at once) sees it appended too.
    p.appended.store(p.appended.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    tail_ = pos + total;
    p.tail.store(tail_, std::memory_order_release);
    return true;
  }
  // The largest payload try_push can ever take (an entry of capacity - 8 bytes at most, so
  // that a PAD never has to fill the whole ring).
  std::uint64_t max_payload_bytes() const noexcept { return capacity_ / 2 - kRingEntryHeaderBytes; }
  // kDropOldest: evicts the producer's own oldest entries not yet taken by the writer, one at a
  // time (each counted dropped[kDropOldest]), until a payload of `payload_bytes` fits or nothing
  // is left to evict. Space the writer still holds (taken, not yet written) is not freed.
  // Returns the number of entries evicted.
  std::uint64_t evict_oldest(std::size_t payload_bytes) noexcept;
  // Counts a drop decided by the producer's policy (plain store: producer only).
  void count_drop(DropReason reason) noexcept;
  // No more pushes into this ring (thread exit, or a successor ring took over).
  void seal() noexcept;
  bool sealed() const noexcept;
  // Bytes queued as the producer sees them (tail - the last head it saw): an upper bound.
  std::uint64_t producer_used_bytes() const noexcept;

  // ---- Release of an idle ring (ProducerRegistry::release_idle): by another thread of the
  // producer's process, once it knows the producer will never push into this ring again. ----

  // Marks the ring sealed in shared memory only: the producer-local fields stay its thread's.
  void seal_shared() noexcept;
  // Gives the data area's pages back to the system (a hole punched in the file; the area
  // reads as zeros after). For an empty, sealed ring. False when the file system cannot: the
  // pages then go when the writer unlinks the file and the last mapping goes.
  bool release_data_memory() noexcept;

  // ---- Consumer side (the writer). ----

  // Takes every entry the producer has published (read = tail) unless some taken earlier
  // are still uncopied, copies entries from `copied` onwards into `out` (header + payload
  // each, 8-aligned) while they fit, validates each copy, and advances `copied`. Entries that fail
  // the bounds rules or `validator` are skipped and counted malformed; a bad length skips to
  // the tail (nothing after it can be trusted). Appends the entries kept to `entries`.
  // Never loops more than capacity / 8 times. An entry that does not fit the rest of `out`
  // stays for the next drain: give it at least kRingEntryHeaderBytes +
  // limits.max_payload_bytes + 8 bytes when it is empty, or a large entry waits forever.
  DrainResult drain(std::span<std::uint8_t> out, std::vector<DrainedEntry>* entries,
                    const DrainLimits& limits, const EntryValidator& validator);
  // The entries taken up to `pos` (a read_end of a drain, or a DrainedEntry::ring_end) are in
  // the log: their space is free for the producer. `written` entries are added to the counter.
  void mark_written(std::uint64_t pos, std::uint64_t written) noexcept;
  // Counts `n` entries the writer took and dropped for `reason` (writer only).
  void count_writer_drop(DropReason reason, std::uint64_t n = 1) noexcept;
  // Test seam: runs inside drain() after it loaded `head` and before it loads `read` and
  // `tail`, where a producer may evict and push (a test makes it do so there).
  void set_drain_snapshot_hook(std::function<void()> hook) {
    drain_snapshot_hook_ = std::move(hook);
  }
  // Every published entry is taken (read == tail): nothing for a drain to do.
  // (and copied out: nothing waits in [copied, read) either).
  bool all_taken() const noexcept {
    const std::uint64_t tail = header_->producer.tail.load(std::memory_order_acquire);
    const std::uint64_t copied = std::max(header_->consumer.copied.load(std::memory_order_acquire),
                                          header_->consumer.head.load(std::memory_order_acquire));
    return header_->consumer.read.load(std::memory_order_acquire) == tail && copied >= tail;
  }
  // The end of the entries published so far, and of those whose space is free (written):
  // flush() waits until head_position() passes the published_tail() it saw.
  std::uint64_t published_tail() const noexcept { return header_->producer.tail.load(std::memory_order_acquire); }
  std::uint64_t head_position() const noexcept { return header_->consumer.head.load(std::memory_order_acquire); }
  // A new writer's first step for a ring in no intent run: entries taken by a dead writer but
  // never written are taken again (read = head).
  void retake_unwritten() noexcept;
  // Where `read` and `head` go for a run of a dead writer's intent, given the log's next offset
  // after recovery: the run's end if all of it is in the log, its start if none is, else the
  // position after the first (next_offset - first_offset) entries. Corruption when the run
  // does not walk (its bytes changed).
  Result<std::uint64_t> resolve_intent_run(const IntentRun& run, std::uint64_t next_offset) const;
  // read = head = pos (pos from resolve_intent_run). InvalidArgument when pos is outside
  // [head, tail].
  Status restart_consumer_at(std::uint64_t pos);

  // The producer died mid-entry: its claim is ahead of its tail.
  bool died_mid_entry() const noexcept;
  // The producing process lives (its pid is not gone nor reused). One kill(2), one /proc read.
  bool producer_alive() const;
  // Nothing left: every entry taken and written (read == head == tail).
  bool drained() const noexcept;
  RingCounters counters() const noexcept;

 private:
  void attach(std::uint8_t* base, std::uint64_t capacity) noexcept;
  // Slow path of try_push: reloads `head`, frees what the producer itself evicted.
  bool reload_head_for(std::uint64_t end) noexcept;
  static void write_pad(std::uint8_t* at, std::uint64_t bytes) noexcept {
    if (bytes >= kRingEntryHeaderBytes) write_entry_header(at, static_cast<std::uint32_t>(bytes), kPadKind, 0, 0);
  }
  static void write_entry_header(std::uint8_t* at, std::uint32_t entry_bytes, std::uint16_t kind,
                                 std::uint16_t flags, std::int64_t buffered_at_ns) noexcept {
    std::memcpy(at, &entry_bytes, 4);
    std::memcpy(at + 4, &kind, 2);
    std::memcpy(at + 6, &flags, 2);
    std::memcpy(at + 8, &buffered_at_ns, 8);
  }

  std::string path_;
  io::File file_;
  io::MmapRegion mapping_;
  RingHeader* header_ = nullptr;
  std::uint8_t* data_ = nullptr;
  std::uint64_t capacity_ = 0;
  std::uint64_t mask_ = 0;
  // Producer-local state: its own tail, the last head it saw, and the range it evicted whose
  // space it may free itself once the writer's head reaches it.
  std::uint64_t tail_ = 0;
  std::uint64_t cached_head_ = 0;
  // Writer-local: the end of what this writer took (read) itself; `read` beyond it was moved
  // by the producer's evictions.
  std::uint64_t taken_end_ = 0;
  std::uint64_t evicted_from_ = 0;
  std::uint64_t evicted_to_ = 0;
  bool sealed_here_ = false;  // seal() was called on this object: every push goes the slow way
  std::function<void()> drain_snapshot_hook_;
};

// Resolves a dead writer's intent against the log recovered up to `next_offset`: for each ring
// named by a run, the first run not entirely below next_offset decides where its consumer
// restarts (the end of its last run when all are below). `ring_of` gives the open ring of an
// id, or nullptr when the file is gone (its runs are skipped). Runs are in batch order.
Status resolve_intent(std::span<const IntentRun> runs, std::uint64_t next_offset,
                      const std::function<SharedRing*(std::uint64_t ring_id)>& ring_of);

}  // namespace spool::engine
