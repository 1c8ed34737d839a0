#include "engine/forward/dead_letter_log.h"

#include <algorithm>
#include <cstring>

#include "engine/forward/utf8_cut.h"
#include "io/clock.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "segment/log_marker.h"
#include "segment/segment_file.h"

namespace spool::engine {

namespace {

constexpr char kMagic[4] = {'S', 'P', 'D', 'L'};
constexpr std::uint16_t kVersion = 1;
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // "…" in UTF-8
// Requeue appends to the main log in chunks of at most this many records / payload bytes,
// committing the cursor after each, so memory stays bounded by the chunk, not the backlog.
constexpr std::size_t kRequeueChunkRecords = 1024;
constexpr std::size_t kRequeueChunkBytes = 8u << 20;

constexpr std::size_t padded_error_bytes(std::size_t e) { return (e + 7) & ~std::size_t{7}; }

constexpr std::string_view kDroppedKey = "dropped=";

// The retention cursor's state: "dropped=<n>\n"; 0 when absent or unreadable as a number.
std::uint64_t parse_dropped(const std::string& state) {
  if (!state.starts_with(kDroppedKey)) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = kDroppedKey.size(); i < state.size() && state[i] >= '0' && state[i] <= '9'; ++i) {
    n = n * 10 + static_cast<std::uint64_t>(state[i] - '0');
  }
  return n;
}

Result<std::uint64_t> load_dropped(const segment::CursorStore& cursors) {
  auto cursor = cursors.load(DeadLetterLog::kRetentionCursor);
  if (!cursor) return cursor.status();
  return cursor->has_value() ? parse_dropped((*cursor)->state) : 0;
}

}  // namespace

std::string truncate_dead_letter_error(std::string_view error) {
  if (error.size() <= kMaxDeadLetterErrorBytes) return std::string(error);
  std::string out(error.substr(0, utf8_cut(error, kMaxDeadLetterErrorBytes - kEllipsis.size())));
  out += kEllipsis;
  return out;
}

void encode_dead_letter_payload(const DeadLetterInput& letter, std::int64_t dead_lettered_at_ns,
                                std::vector<std::uint8_t>* out) {
  const std::string error = truncate_dead_letter_error(letter.error);
  const std::size_t start = out->size();
  const std::size_t padded = padded_error_bytes(error.size());
  out->resize(start + kDeadLetterHeaderBytes + padded + letter.payload.size(), 0);
  std::uint8_t* p = out->data() + start;
  std::memcpy(p, kMagic, 4);
  io::store_u16(p + 4, kVersion);
  io::store_u16(p + 6, static_cast<std::uint16_t>(error.size()));
  io::store_u64(p + 8, letter.log_id);
  io::store_u64(p + 16, letter.offset);
  io::store_u64(p + 24, static_cast<std::uint64_t>(dead_lettered_at_ns));
  io::store_u32(p + 32, letter.attempts);
  // bytes 36..39 reserved, zero from resize; padding after the error likewise.
  std::memcpy(p + kDeadLetterHeaderBytes, error.data(), error.size());
  if (!letter.payload.empty()) {
    std::memcpy(p + kDeadLetterHeaderBytes + padded, letter.payload.data(), letter.payload.size());
  }
}

Result<DeadLetterPayload> decode_dead_letter_payload(std::span<const std::uint8_t> bytes) {
  const std::size_t size = bytes.size();
  if (size < kDeadLetterHeaderBytes) {
    return Status::corruption("dead letter truncated: " + std::to_string(size) +
                              " bytes, the header alone is " + std::to_string(kDeadLetterHeaderBytes));
  }
  const std::uint8_t* p = bytes.data();
  if (std::memcmp(p, kMagic, 4) != 0) return Status::corruption("dead letter has a bad magic");
  const std::uint16_t version = io::load_u16(p + 4);
  if (version != kVersion) {
    return Status::corruption("dead letter has unsupported version " + std::to_string(version));
  }
  const std::size_t e = io::load_u16(p + 6);
  if (e > kMaxDeadLetterErrorBytes) {
    return Status::corruption("dead letter error length " + std::to_string(e) + " above " +
                              std::to_string(kMaxDeadLetterErrorBytes));
  }
  const std::size_t padded = padded_error_bytes(e);
  if (padded > size - kDeadLetterHeaderBytes) {
    return Status::corruption("dead letter error text (" + std::to_string(e) +
                              " bytes) runs past the end of the frame payload (" +
                              std::to_string(size) + " bytes)");
  }
  if (io::load_u32(p + 36) != 0) return Status::corruption("dead letter reserved bytes are not zero");
  for (std::size_t i = kDeadLetterHeaderBytes + e; i < kDeadLetterHeaderBytes + padded; ++i) {
    if (p[i] != 0) return Status::corruption("dead letter padding is not zero");
  }
  DeadLetterPayload d;
  d.log_id = io::load_u64(p + 8);
  d.offset = io::load_u64(p + 16);
  d.dead_lettered_at_ns = static_cast<std::int64_t>(io::load_u64(p + 24));
  d.attempts = io::load_u32(p + 32);
  d.error = std::string_view(reinterpret_cast<const char*>(p + kDeadLetterHeaderBytes), e);
  d.payload = bytes.subspan(kDeadLetterHeaderBytes + padded);
  return d;
}

Result<std::unique_ptr<DeadLetterLog>> DeadLetterLog::open(const std::string& log_dir,
                                                           std::uint32_t max_payload_bytes,
                                                           std::uint64_t segment_bytes) {
  // The dead-letter log gets the main log's modes (from its marker; private without one).
  auto main_options = segment::log_options_from_marker(log_dir);
  if (!main_options) return main_options.status();
  int rc = io::make_directory(log_dir, main_options->dir_mode);
  if (rc < 0) return io::errno_status(rc, "create log directory " + log_dir);
  const std::string dir = log_dir + "/" + std::string(kDirName);
  LogOptions o;
  o.file_mode = main_options->file_mode;
  o.dir_mode = main_options->dir_mode;
  o.durability = Durability::kBatch;  // durable before the main cursor moves past it
  const std::uint64_t max_frame_payload =
      std::uint64_t{max_payload_bytes} + kDeadLetterHeaderBytes + kMaxDeadLetterErrorBytes;
  if (max_frame_payload > std::numeric_limits<std::uint32_t>::max()) {
    return Status::invalid_argument("dead-letter max_payload_bytes too large");
  }
  o.max_record_bytes = static_cast<std::uint32_t>(max_frame_payload);
  // Small segments (dead letters are rare) that still fit the largest dead letter.
  o.segment_bytes = std::max<std::uint64_t>(segment_bytes == 0 ? 16ull << 20 : segment_bytes,
                                            2 * segment::frame_size(max_frame_payload) + 4096);
  auto log = segment::SegmentLog::open(dir, o);
  if (!log) return log.status();
  auto cursors = segment::CursorStore::open(dir);
  if (!cursors) return cursors.status();
  auto cursor = cursors->load(kRequeueCursor);
  if (!cursor) return cursor.status();  // damaged: refuse rather than requeue everything again
  const std::uint64_t requeued_next = cursor->has_value() ? (*cursor)->next_offset : 0;
  auto dropped = load_dropped(*cursors);
  if (!dropped) return dropped.status();
  return std::unique_ptr<DeadLetterLog>(new DeadLetterLog(std::move(log).value(), std::move(cursors).value(),
                                                          max_payload_bytes, requeued_next, *dropped));
}

Result<std::unique_ptr<DeadLetterLog>> DeadLetterLog::open_read_only(const std::string& log_dir) {
  const std::string dir = log_dir + "/" + std::string(kDirName);
  LogOptions o;
  o.max_record_bytes = std::numeric_limits<std::uint32_t>::max() / 2;  // read what is there
  auto log = segment::SegmentLog::open(dir, o, segment::OpenMode::kReadOnly);
  if (!log) return log.status();
  segment::CursorStore cursors = segment::CursorStore::at(dir);
  auto cursor = cursors.load(kRequeueCursor);
  if (!cursor) return cursor.status();
  const std::uint64_t requeued_next = cursor->has_value() ? (*cursor)->next_offset : 0;
  auto dropped = load_dropped(cursors);
  if (!dropped) return dropped.status();
  return std::unique_ptr<DeadLetterLog>(
      new DeadLetterLog(std::move(log).value(), std::move(cursors), 0, requeued_next, *dropped));
}

Status DeadLetterLog::append(std::span<const DeadLetterInput> letters) {
  if (letters.empty()) return Status::ok();
  for (const DeadLetterInput& l : letters) {
    if (l.payload.size() > max_payload_bytes_) {
      return Status::invalid_argument("dead letter of " + std::to_string(l.payload.size()) +
                                      "-byte payload above the limit of " +
                                      std::to_string(max_payload_bytes_));
    }
  }
  const std::int64_t now = io::wall_clock_ns();
  std::lock_guard<std::mutex> lock(write_mu_);
  // One buffer for all frame payloads; the records point into it once it stops growing.
  std::vector<std::uint8_t> bytes;
  std::vector<std::size_t> ends;
  ends.reserve(letters.size());
  for (const DeadLetterInput& l : letters) {
    encode_dead_letter_payload(l, now, &bytes);
    ends.push_back(bytes.size());
  }
  std::vector<segment::AppendRecord> records(letters.size());
  std::size_t begin = 0;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    records[i].type = letters[i].type;
    records[i].flags = letters[i].flags;
    records[i].timestamp_ns = letters[i].timestamp_ns;
    records[i].payload = std::span<const std::uint8_t>(bytes.data() + begin, ends[i] - begin);
    begin = ends[i];
  }
  auto first = log_->append_batch(records);  // batch durability: synced when OK
  return first ? Status::ok() : first.status();
}

Result<std::vector<DeadLetter>> DeadLetterLog::list(std::size_t limit) const {
  std::vector<DeadLetter> out;
  const std::uint64_t requeued_next = requeued_next_.load(std::memory_order_acquire);
  segment::LogReader reader = log_->scan(log_->first_offset());
  segment::RecordView v;
  while (out.size() < limit && reader.next(&v)) {
    auto d = decode_dead_letter_payload(v.payload);
    if (!d) {
      return Status::corruption("dead letter at offset " + std::to_string(v.offset) + " in " +
                                log_->dir() + ": " + d.status().message());
    }
    DeadLetter l;
    l.log_id = d->log_id;
    l.offset = d->offset;
    l.type = v.type;
    l.flags = v.flags;
    l.timestamp_ns = v.timestamp_ns;
    l.attempts = d->attempts;
    l.dead_lettered_at_ns = d->dead_lettered_at_ns;
    l.error.assign(d->error);
    l.payload.assign(d->payload.begin(), d->payload.end());
    l.dead_letter_offset = v.offset;
    l.requeued = v.offset < requeued_next;
    out.push_back(std::move(l));
  }
  return out;
}

std::uint64_t DeadLetterLog::count() const { return log_->next_offset(); }

std::uint64_t DeadLetterLog::pending() const {
  const std::uint64_t total = log_->next_offset();
  const std::uint64_t done = std::max(requeued_next_.load(std::memory_order_acquire), log_->first_offset());
  return total > done ? total - done : 0;
}

std::int64_t DeadLetterLog::newest_set_aside_ns(const segment::SegmentFile& seg) const {
  const segment::SegmentSummary s = seg.summary();
  auto last = log_->read(s.last_offset);
  if (last) {
    auto d = decode_dead_letter_payload(last->payload);
    if (d) return d->dead_lettered_at_ns;
  }
  return s.max_timestamp;  // the original record's time: older than when it was set aside
}

Result<std::uint64_t> DeadLetterLog::enforce_retention(const DeadLetterRetention& caps) {
  if (caps.max_bytes == 0 && caps.max_age_ms == 0) return std::uint64_t{0};
  std::lock_guard<std::mutex> lock(write_mu_);
  const std::int64_t now = io::wall_clock_ns();
  const std::int64_t max_age_ns = static_cast<std::int64_t>(
      std::min<std::uint64_t>(caps.max_age_ms, std::numeric_limits<std::int64_t>::max() / 1'000'000) * 1'000'000);
  // Which oldest segments go: decided here (by when dead letters were set aside, which the
  // segment layer does not know), then deleted by the segment log's own crash-safe size
  // retention with the cap set to exactly what is left.
  const auto segments = log_->segments();
  std::uint64_t left = log_->disk_bytes();
  std::size_t doomed = 0;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {  // never the active segment
    const segment::SegmentFile& seg = *segments[i];
    const bool over = caps.max_bytes != 0 && left > caps.max_bytes;
    const bool old = caps.max_age_ms != 0 &&
                     (seg.summary().record_count == 0 || now - newest_set_aside_ns(seg) > max_age_ns);
    if (!over && !old) break;
    left -= std::min(left, seg.committed_end());
    ++doomed;
  }
  if (doomed == 0) return std::uint64_t{0};
  const std::uint64_t first_before = log_->first_offset();
  log_->set_retention(std::max<std::uint64_t>(left, 1), 0);
  auto deleted = log_->enforce_retention();
  log_->set_retention(0, 0);
  if (!deleted) return deleted.status();
  const std::uint64_t first_after = log_->first_offset();
  const std::uint64_t requeued = requeued_next_.load(std::memory_order_relaxed);
  const std::uint64_t from = std::max(first_before, requeued);
  const std::uint64_t dropped_now = first_after > from ? first_after - from : 0;
  if (first_after == first_before) return std::uint64_t{0};
  const std::uint64_t dropped = dropped_.load(std::memory_order_relaxed) + dropped_now;
  segment::CursorRecord c;
  c.name = std::string(kRetentionCursor);
  c.next_offset = first_after;
  c.state = std::string(kDroppedKey) + std::to_string(dropped) + "\n";
  dropped_.store(dropped, std::memory_order_release);
  // The count is in memory either way; a failed write is an error the caller reports.
  SPOOL_RETURN_IF_ERROR(cursors_.commit(c));
  return dropped_now;
}

Result<std::uint64_t> DeadLetterLog::requeue(segment::SegmentLog& main) {
  return requeue([&main](std::span<const segment::AppendRecord> records) -> Status {
    auto first = main.append_batch(records);
    if (!first) return first.status();
    return main.sync();
  });
}

Result<std::uint64_t> DeadLetterLog::requeue(const RequeueAppend& append_durably) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::uint64_t requeued = 0;
  const std::uint64_t end = log_->next_offset();
  segment::LogReader reader =
      log_->scan(std::max(requeued_next_.load(std::memory_order_relaxed), log_->first_offset()));
  std::vector<segment::RecordView> views;  // keep the mappings (and so the payloads) alive
  std::vector<segment::AppendRecord> records;
  std::size_t chunk_bytes = 0;

  // Appends the chunk to `main`, makes it durable there, then moves the cursor past it.
  auto flush = [&]() -> Status {
    if (views.empty()) return Status::ok();
    SPOOL_RETURN_IF_ERROR(append_durably(records));
    segment::CursorRecord c;
    c.name = std::string(kRequeueCursor);
    c.next_offset = views.back().offset + 1;
    SPOOL_RETURN_IF_ERROR(cursors_.commit(c));
    requeued_next_.store(c.next_offset, std::memory_order_release);
    requeued += views.size();
    views.clear();
    records.clear();
    chunk_bytes = 0;
    return Status::ok();
  };

  segment::RecordView v;
  while (reader.next(&v) && v.offset < end) {
    auto d = decode_dead_letter_payload(v.payload);
    if (!d) {
      SPOOL_RETURN_IF_ERROR(flush());  // keep what was requeued before the damage
      return Status::corruption("dead letter at offset " + std::to_string(v.offset) + " in " +
                                log_->dir() + ": " + d.status().message());
    }
    segment::AppendRecord r;
    r.type = v.type;
    r.flags = v.flags;
    r.timestamp_ns = v.timestamp_ns;
    r.payload = d->payload;
    records.push_back(r);
    chunk_bytes += r.payload.size();
    views.push_back(std::move(v));
    if (records.size() >= kRequeueChunkRecords || chunk_bytes >= kRequeueChunkBytes) {
      SPOOL_RETURN_IF_ERROR(flush());
    }
  }
  SPOOL_RETURN_IF_ERROR(flush());
  return requeued;
}

}  // namespace spool::engine
