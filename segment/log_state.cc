#include "io/errno_status.h"
#include "segment/log_state.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "io/clock.h"
#include "io/file.h"
#include "io/little_endian.h"
#include "io/process_identity.h"
#include "segment/frame_format.h"
#include "segment/segment_file.h"

namespace spool::segment {

namespace {

constexpr char kMagic[8] = {'S', 'P', 'O', 'O', 'L', 'S', 'T', 'A'};
constexpr std::uint32_t kVersion = 1;

// Byte positions of the fields (see the layout in log_state.h).
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kLogIdAt = 16;
constexpr std::size_t kGenerationAt = 24;
constexpr std::size_t kIdentitySeqAt = 32;
constexpr std::size_t kWriterPidAt = 40;
constexpr std::size_t kWriterStartAt = 48;
constexpr std::size_t kWriterSinceAt = 56;
constexpr std::size_t kWrittenAt = 64;
constexpr std::size_t kCommittedAt = 72;
constexpr std::size_t kSegmentsVersionAt = 80;

bool header_valid(const std::uint8_t* p) {
  return std::memcmp(p + kMagicAt, kMagic, sizeof kMagic) == 0 && io::load_u32(p + kVersionAt) == kVersion;
}

}  // namespace

std::uint64_t LogState::load(std::size_t at) const noexcept {
  return __atomic_load_n(reinterpret_cast<const std::uint64_t*>(region_.data() + at), __ATOMIC_ACQUIRE);
}

void LogState::store(std::size_t at, std::uint64_t value) noexcept {
  __atomic_store_n(reinterpret_cast<std::uint64_t*>(region_.mutable_data() + at), value, __ATOMIC_RELEASE);
}

Result<LogState> LogState::open_for_writer(const std::string& dir, std::uint64_t log_id,
                                           std::uint64_t next_offset, mode_t file_mode) {
  const std::string path = dir + "/" + kFileName;
  io::File file;
  int rc = io::File::create(path, O_RDWR, file_mode, &file);
  if (rc < 0) return io::errno_status(rc, "open " + path);
  const std::int64_t size = file.size();
  if (size < 0) return io::errno_status(static_cast<int>(size), "stat " + path);
  std::uint8_t header[kVersionAt + 4] = {};
  bool reuse = false;
  if (static_cast<std::uint64_t>(size) == kBytes) {
    const ssize_t got = file.pread_full(header, sizeof header, 0);
    reuse = got == static_cast<ssize_t>(sizeof header) && header_valid(header);
  }
  if (!reuse) {
    // Initialised afresh: zero bytes of exactly the right size, the magic written last.
    if ((rc = file.truncate(0)) < 0 || (rc = file.truncate(kBytes)) < 0) {
      return io::errno_status(rc, "size " + path);
    }
  }
  io::MmapRegion region;
  if ((rc = io::MmapRegion::map(file.fd(), kBytes, /*writable=*/true, &region)) < 0) {
    return io::errno_status(rc, "mmap " + path);
  }
  LogState state(std::move(region));
  if (reuse && state.log_id() != log_id) reuse = false;  // another log's file: start over
  if (!reuse) {
    std::memset(state.region_.mutable_data(), 0, kBytes);
    io::store_u32(state.region_.mutable_data() + kVersionAt, kVersion);
    state.store(kLogIdAt, log_id);
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(state.region_.mutable_data() + kMagicAt, kMagic, sizeof kMagic);
  }
  state.store(kWrittenAt, next_offset);
  state.store(kCommittedAt, next_offset);
  const std::uint64_t start_ticks = io::own_start_ticks();
  if (start_ticks == 0) return Status::io_error("cannot read the start time of this process (/proc/self/stat)");
  state.set_writer(LogWriterIdentity{::getpid(), start_ticks, io::wall_clock_ns(), state.generation() + 1});
  // The new writer's recovery may have cut a tail or removed leftovers: readers re-list.
  state.bump_segments_version();
  return state;
}

Result<std::optional<LogState>> LogState::open_for_reader(const std::string& dir) {
  const std::string path = dir + "/" + kFileName;
  io::File file;
  int rc = io::File::open(path, O_RDONLY | O_NOFOLLOW, 0, &file);
  if (rc == -ENOENT) return std::optional<LogState>();
  if (rc < 0) return io::errno_status(rc, "open " + path);
  const std::int64_t size = file.size();
  if (size < 0) return io::errno_status(static_cast<int>(size), "stat " + path);
  if (static_cast<std::uint64_t>(size) != kBytes) return std::optional<LogState>();
  io::MmapRegion region;
  if ((rc = io::MmapRegion::map(file.fd(), kBytes, /*writable=*/false, &region)) < 0) {
    return io::errno_status(rc, "mmap " + path);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  if (!header_valid(region.data())) return std::optional<LogState>();
  return std::optional<LogState>(LogState(std::move(region)));
}

void LogState::set_writer(const LogWriterIdentity& w) noexcept {
  // Even before the update: a writer killed inside one left it odd.
  std::uint64_t seq = load(kIdentitySeqAt);
  if ((seq & 1) != 0) ++seq;
  __atomic_store_n(reinterpret_cast<std::uint64_t*>(region_.mutable_data() + kIdentitySeqAt), seq + 1,
                   __ATOMIC_RELAXED);
  std::atomic_thread_fence(std::memory_order_release);
  store(kWriterPidAt, static_cast<std::uint64_t>(w.pid));
  store(kWriterStartAt, w.start_ticks);
  store(kWriterSinceAt, static_cast<std::uint64_t>(w.since_ns));
  store(kGenerationAt, w.generation);
  store(kIdentitySeqAt, seq + 2);
}

void LogState::publish_written(std::uint64_t next_offset) noexcept { store(kWrittenAt, next_offset); }

void LogState::publish_committed(std::uint64_t next_offset) noexcept {
  // Whatever is committed has been written (a sync without a write publishes both).
  if (written_offset() < next_offset) store(kWrittenAt, next_offset);
  store(kCommittedAt, next_offset);
}

void LogState::bump_segments_version() noexcept { store(kSegmentsVersionAt, segments_version() + 1); }

void LogState::clear_writer() noexcept {
  LogWriterIdentity w = writer();
  set_writer(LogWriterIdentity{0, 0, w.since_ns, w.generation});
}

std::uint64_t LogState::log_id() const noexcept { return load(kLogIdAt); }
std::uint64_t LogState::generation() const noexcept { return load(kGenerationAt); }
std::uint64_t LogState::written_offset() const noexcept { return load(kWrittenAt); }
std::uint64_t LogState::committed_offset() const noexcept { return load(kCommittedAt); }
std::uint64_t LogState::segments_version() const noexcept { return load(kSegmentsVersionAt); }

LogWriterIdentity LogState::writer() const noexcept {
  // An update takes a few stores; a sequence that stays odd belongs to a writer killed in
  // the middle of one, which is no writer.
  constexpr int kAttempts = 10'000;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::uint64_t before = load(kIdentitySeqAt);
    LogWriterIdentity w;
    w.pid = static_cast<pid_t>(load(kWriterPidAt));
    w.start_ticks = load(kWriterStartAt);
    w.since_ns = static_cast<std::int64_t>(load(kWriterSinceAt));
    w.generation = load(kGenerationAt);
    std::atomic_thread_fence(std::memory_order_acquire);
    if ((before & 1) == 0 && load(kIdentitySeqAt) == before) return w;
  }
  return LogWriterIdentity{0, 0, 0, generation()};
}

bool LogState::writer_alive() const noexcept {
  const LogWriterIdentity w = writer();
  return w.pid > 0 && io::process_alive(w.pid, w.start_ticks);
}

}  // namespace spool::segment
