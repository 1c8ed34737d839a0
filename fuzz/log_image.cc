#include "log_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "segment/log_checkpoint.h"
#include "segment/segment_header.h"
#include "segment/segment_log.h"
#include "segment/sparse_index.h"

namespace spool::fuzz {

using segment::FrameHeader;
using segment::IndexEntry;
using segment::LogCheckpoint;
using segment::kFrameHeaderBytes;
using segment::kSegmentHeaderBytes;

namespace {

LogOptions options_from_bits(std::uint8_t b) {
  LogOptions o;
  switch (b & 3) {
    case 2: o.io_backend = IoBackend::kUring; break;
    case 3: o.io_backend = IoBackend::kAuto; break;
    default: o.io_backend = IoBackend::kPwrite; break;
  }
  static constexpr std::uint32_t kIntervals[] = {4096, 64, 256, 1024};
  o.index_interval_bytes = kIntervals[(b >> 3) & 3];
  o.segment_bytes = (b & 32) != 0 ? 1024 : 4096;
  // 512, or the most a segment holds (a larger max_record_bytes is refused at open).
  o.max_record_bytes = (b & 4) != 0 ? 512 : static_cast<std::uint32_t>(segment::segment_payload_room(o.segment_bytes));
  o.durability = (b & 64) != 0 ? Durability::kBatch : Durability::kNone;
  o.full_recovery_scan = (b & 128) != 0;
  return o;
}

std::uint32_t payload_length(std::uint8_t v) { return v < 200 ? v : (v - 200u) * 40u; }

void apply_edits(std::vector<std::uint8_t>& bytes, const std::vector<EditSpec>& edits) {
  if (bytes.empty()) return;
  for (const EditSpec& e : edits) {
    const std::size_t p = e.position % bytes.size();
    switch (e.op % 3) {
      case 0: bytes[p] ^= static_cast<std::uint8_t>(e.value | 1); break;
      case 1: bytes[p] = e.value; break;
      default:
        for (std::size_t i = p; i < bytes.size() && i < p + 8; ++i) bytes[i] = 0;
        break;
    }
  }
}

// An index file's fields (layout in segment/sparse_index.h), so any of them can be forged.
struct IndexContent {
  std::uint64_t base = 0;
  std::uint64_t data_end = kSegmentHeaderBytes;
  std::uint64_t record_count = 0;
  std::uint64_t last_offset = 0;
  std::int64_t max_timestamp = std::numeric_limits<std::int64_t>::min();
  std::vector<IndexEntry> entries;
};

std::vector<std::uint8_t> encode_index(const IndexContent& c) {
  const std::size_t entry_bytes = c.entries.size() * sizeof(IndexEntry);
  std::vector<std::uint8_t> out(64 + entry_bytes, 0);
  std::memcpy(out.data(), "SPOOLIDX", 8);
  io::store_u32(out.data() + 8, 1);
  io::store_u32(out.data() + 12, static_cast<std::uint32_t>(c.entries.size()));
  io::store_u64(out.data() + 16, c.base);
  io::store_u64(out.data() + 24, c.data_end);
  io::store_u64(out.data() + 32, c.record_count);
  io::store_u64(out.data() + 40, c.last_offset);
  io::store_u64(out.data() + 48, static_cast<std::uint64_t>(c.max_timestamp));
  if (entry_bytes > 0) std::memcpy(out.data() + 64, c.entries.data(), entry_bytes);
  // XXH3-64 of bytes 0..55 followed by the entries.
  std::vector<std::uint8_t> hashed(out.begin(), out.begin() + 56);
  hashed.insert(hashed.end(), out.begin() + 64, out.end());
  io::store_u64(out.data() + 56, XXH3_64bits(hashed.data(), hashed.size()));
  return out;
}

void forge_index(IndexContent& c, const ForgerySpec& f) {
  const std::uint64_t v = f.value;
  IndexEntry* entry = c.entries.empty() ? nullptr : &c.entries[(v >> 32) % c.entries.size()];
  switch (f.field % 8) {
    case 0: c.data_end = v; break;
    case 1: c.record_count = v; break;
    case 2: c.last_offset = v; break;
    case 3: c.max_timestamp = static_cast<std::int64_t>(v); break;
    case 4: if (entry) entry->position = static_cast<std::uint32_t>(v); break;
    case 5: if (entry) entry->relative_offset = static_cast<std::uint32_t>(v); break;
    case 6: if (entry) entry->max_timestamp_before = static_cast<std::int64_t>(v); break;
    default:
      if ((v & 1) != 0 && !c.entries.empty()) {
        c.entries.pop_back();
      } else {
        c.entries.push_back(IndexEntry{static_cast<std::uint32_t>(v >> 8),
                                       static_cast<std::uint32_t>(v >> 32) & ~7u,
                                       static_cast<std::int64_t>(v)});
      }
      break;
  }
}

void forge_checkpoint(LogCheckpoint& c, const ForgerySpec& f) {
  switch (f.field % 5) {
    case 0: c.clean = (f.value & 1) != 0; break;
    case 1: c.recovery_point = f.value; break;
    case 2: c.next_offset = f.value; break;
    case 3: c.active_data_end = f.value; break;
    default: c.log_id = f.value; break;
  }
}

std::vector<std::uint8_t> encode_checkpoint(const LogCheckpoint& c) {
  std::vector<std::uint8_t> out(LogCheckpoint::kBytes);
  c.encode(out.data());
  return out;
}

// Whether `offset` belongs in the segment based at `base`: the format's offset rules as
// stated in log_image.h (kOffsetSpaceEnd, kSegmentOffsetSpan).
bool in_segment_span(std::uint64_t base, std::uint64_t offset) {
  const std::uint64_t end = base >= kOffsetSpaceEnd - kSegmentOffsetSpan
                                ? kOffsetSpaceEnd
                                : base + kSegmentOffsetSpan;
  return offset >= base && offset < end;
}

struct GeneratedFrame {
  std::uint64_t position = 0;
  std::uint64_t offset = 0;
  std::uint64_t end = 0;  // position just after the frame
};

struct BuiltSegment {
  std::uint64_t base = 0;
  std::vector<std::uint8_t> bytes;
  std::vector<GeneratedFrame> frames;   // every frame written whole, before any damage
  std::vector<GeneratedFrame> in_span;  // those a writer could have written (in the span)
  std::uint64_t data_end = kSegmentHeaderBytes;          // after the last generated frame
  std::uint64_t genuine_data_end = kSegmentHeaderBytes;  // after the last one in the span
  std::vector<std::uint8_t> genuine_index;
  bool has_index = false;
  std::vector<std::uint8_t> index_bytes;
};

std::vector<std::uint8_t> encode_frame_bytes(std::uint64_t offset, std::int64_t ts,
                                             std::uint16_t type, std::uint16_t flags,
                                             std::uint32_t length) {
  const std::string payload = generated_payload(offset * 2654435761u + length, length);
  std::vector<std::uint8_t> out(segment::frame_size(length));
  segment::encode_frame(out.data(), kFuzzLogId, FrameHeader{length, offset, ts, type, flags},
                        std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(payload.data()), length));
  return out;
}

BuiltSegment build_segment(const SegmentSpec& s, std::uint64_t base, const LogOptions& options,
                           std::int64_t* ts) {
  BuiltSegment b;
  b.base = base;

  // Header.
  b.bytes.resize(kSegmentHeaderBytes, 0);
  segment::SegmentHeader h{kFuzzLogId, base, *ts};
  switch (static_cast<HeaderMode>(s.header_mode % 5)) {
    case HeaderMode::kValid: segment::encode_segment_header(h, b.bytes.data()); break;
    case HeaderMode::kZero: break;
    case HeaderMode::kOtherLog:
      h.log_id = kFuzzLogId ^ 1;
      segment::encode_segment_header(h, b.bytes.data());
      break;
    case HeaderMode::kWrongBase:
      h.base_offset = base + 1;
      segment::encode_segment_header(h, b.bytes.data());
      break;
    case HeaderMode::kBadMagic:
      segment::encode_segment_header(h, b.bytes.data());
      b.bytes[0] ^= 0xFF;
      break;
  }

  // Contents.
  std::uint64_t last = base - 1;  // wraps for base 0; only used to derive the next offset
  if (s.raw % 2 == 1) {
    b.bytes.insert(b.bytes.end(), s.raw_bytes.begin(), s.raw_bytes.end());
  } else {
    for (const FrameSpec& f : s.frames) {
      std::uint64_t offset = last + 1;
      switch (static_cast<OffsetMode>(s.offset_mode % 4)) {
        case OffsetMode::kConsecutive: break;
        case OffsetMode::kGaps: offset += f.offset; break;
        case OffsetMode::kSigned:
          offset = last + static_cast<std::uint64_t>(static_cast<std::int64_t>(
                              static_cast<std::int8_t>(f.offset)));
          break;
        case OffsetMode::kFar: offset = last + (static_cast<std::uint64_t>(f.offset) << 26); break;
      }
      *ts += static_cast<std::int64_t>(static_cast<std::int8_t>(f.timestamp)) * 1'000'000;
      const std::uint32_t length = payload_length(f.length);
      const auto frame = encode_frame_bytes(offset, *ts, f.type, f.type >> 6, length);
      b.frames.push_back(GeneratedFrame{b.bytes.size(), offset, b.bytes.size() + frame.size()});
      if (in_segment_span(base, offset)) b.in_span.push_back(b.frames.back());
      b.bytes.insert(b.bytes.end(), frame.begin(), frame.end());
      last = offset;
    }
    b.data_end = b.bytes.size();
  }

  // Tail.
  switch (static_cast<TailMode>(s.tail_mode % 5)) {
    case TailMode::kNone: break;
    case TailMode::kZeros: b.bytes.resize(b.bytes.size() + s.tail_arg * 16u, 0); break;
    case TailMode::kTornFrame: {
      const auto frame = encode_frame_bytes(last + 1, *ts, 7, 0, s.tail_arg * 3u);
      const std::size_t cut = (s.tail_arg * 5u) % frame.size();  // never the whole frame
      b.bytes.insert(b.bytes.end(), frame.begin(), frame.begin() + static_cast<long>(cut));
      break;
    }
    case TailMode::kGarbage:
      for (unsigned i = 0; i < s.tail_arg; ++i) {
        b.bytes.push_back(static_cast<std::uint8_t>((0xA5 ^ (i * 13)) | 1));
      }
      break;
    case TailMode::kPreallocated:
      if (b.bytes.size() < 4096) b.bytes.resize(4096, 0);
      break;
  }

  // The index the writer would have written when sealing this segment (of the frames it
  // could have written: those in the segment's offset span).
  b.genuine_data_end = b.in_span.empty() ? kSegmentHeaderBytes : b.in_span.back().end;
  IndexContent index;
  index.base = base;
  index.data_end = b.genuine_data_end;
  {
    segment::SparseIndex sparse(options.index_interval_bytes);
    std::int64_t frame_ts = 0;
    for (const GeneratedFrame& f : b.in_span) {
      std::memcpy(&frame_ts, b.bytes.data() + f.position + 16, 8);
      sparse.on_frame(base, f.offset, f.position, frame_ts);
    }
    index.entries = sparse.entries();
    index.max_timestamp = sparse.max_timestamp();
    index.record_count = b.in_span.size();
    index.last_offset = b.in_span.empty() ? 0 : b.in_span.back().offset;
  }
  b.genuine_index = encode_index(index);

  // Damage.
  apply_edits(b.bytes, s.edits);
  if (s.truncate != 0) b.bytes.resize(std::min<std::size_t>(b.bytes.size(), s.truncate - 1u));

  switch (static_cast<IndexMode>(s.index_mode % 5)) {
    case IndexMode::kNone: break;
    case IndexMode::kRaw:
      b.has_index = true;
      b.index_bytes = s.index_raw;
      break;
    case IndexMode::kGenuine:
      b.has_index = true;
      b.index_bytes = b.genuine_index;
      break;
    case IndexMode::kGenuineEdited:
      b.has_index = true;
      b.index_bytes = b.genuine_index;
      apply_edits(b.index_bytes, s.index_edits);
      break;
    case IndexMode::kForged:
      b.has_index = true;
      for (const ForgerySpec& f : s.index_forgeries) forge_index(index, f);
      b.index_bytes = encode_index(index);
      break;
  }
  return b;
}

void relax(LogImage& image, const std::string& why) {
  if (image.honest) image.relaxed_because = why;
  image.honest = false;
}

}  // namespace

std::string generated_payload(std::uint64_t seed, std::size_t length) {
  // Words from a small vocabulary, like the standard span's text fields.
  static constexpr const char* kWords[] = {"model", "token", "span", "llm", "call", "edge",
                                           "gpt", "ok", "trace", "infer", "batch", "eu"};
  std::string out;
  out.reserve(length + 8);
  std::uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  while (out.size() < length) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out += kWords[(x >> 33) % 12];
    out += ' ';
  }
  out.resize(length);
  return out;
}

LogImage build_log_image(const LogSpec& spec) {
  LogImage image;
  image.options = options_from_bits(spec.options);

  std::vector<BuiltSegment> segs;
  std::set<std::uint64_t> used;
  std::uint64_t prev_base = 0;
  std::uint64_t prev_next = 0;
  std::int64_t ts = kFirstTimestampNs;
  for (const SegmentSpec& s : spec.segments) {
    std::uint64_t base = 0;
    switch (static_cast<BaseMode>(s.base_mode % 4)) {
      case BaseMode::kContinue: base = prev_next; break;
      case BaseMode::kGap: base = prev_next + s.base_arg; break;
      case BaseMode::kNearPrevious: base = prev_base + s.base_arg; break;
      case BaseMode::kAbsolute: base = s.base_arg; break;
    }
    if (!used.insert(base).second) continue;  // one file per name
    BuiltSegment b = build_segment(s, base, image.options, &ts);
    prev_base = base;
    prev_next = b.frames.empty() ? base : b.frames.back().offset + 1;
    segs.push_back(std::move(b));
  }
  std::sort(segs.begin(), segs.end(),
            [](const BuiltSegment& a, const BuiltSegment& b) { return a.base < b.base; });
  // A file named by a base outside the offset space is not a segment: it is written (recovery
  // must ignore it) but is no part of the log.
  std::vector<BuiltSegment> foreign;
  while (!segs.empty() && segs.back().base >= kOffsetSpaceEnd) {
    foreign.push_back(std::move(segs.back()));
    segs.pop_back();
  }
  for (const BuiltSegment& b : foreign) {
    image.files.push_back(ImageFile{segment::segment_file_name(b.base), b.bytes, false});
  }

  // The checkpoint the writer would have left after a clean close, and after a rotation.
  LogCheckpoint clean;
  clean.log_id = kFuzzLogId;
  clean.clean = true;
  clean.active_data_end = kSegmentHeaderBytes;
  for (const BuiltSegment& b : segs) {
    clean.next_offset = std::max(clean.next_offset, b.base);
    for (const GeneratedFrame& f : b.in_span) {
      clean.next_offset = std::max(clean.next_offset, f.offset + 1);
    }
  }
  if (!segs.empty()) {
    clean.recovery_point = segs.back().base;
    clean.active_data_end = segs.back().genuine_data_end;
  }
  const std::vector<std::uint8_t> clean_bytes = encode_checkpoint(clean);

  const CheckpointSpec& cs = spec.checkpoint;
  std::vector<std::uint8_t> checkpoint;
  std::vector<std::uint8_t> genuine_checkpoint = clean_bytes;
  bool has_checkpoint = true;
  switch (static_cast<CheckpointMode>(cs.mode % 5)) {
    case CheckpointMode::kNone: has_checkpoint = false; break;
    case CheckpointMode::kRaw: checkpoint = cs.raw; break;
    case CheckpointMode::kClean: checkpoint = clean_bytes; break;
    case CheckpointMode::kUnclean: {
      LogCheckpoint c = clean;
      c.clean = false;
      c.recovery_point = segs.empty() ? 0 : segs[cs.recovery_segment % segs.size()].base;
      c.next_offset = c.recovery_point;
      c.active_data_end = kSegmentHeaderBytes;
      checkpoint = genuine_checkpoint = encode_checkpoint(c);
      break;
    }
    case CheckpointMode::kForged: {
      LogCheckpoint c = clean;
      for (const ForgerySpec& f : cs.forgeries) forge_checkpoint(c, f);
      checkpoint = encode_checkpoint(c);
      break;
    }
  }
  if (has_checkpoint) {
    apply_edits(checkpoint, cs.edits);
    image.files.push_back(ImageFile{LogCheckpoint::kFileName, checkpoint, false});
    if (LogCheckpoint::decode(checkpoint.data(), checkpoint.size())) {
      image.log_id_known = true;
      if (checkpoint != genuine_checkpoint) relax(image, "checkpoint decodes but was forged");
    }
  }

  // Segments and indexes, and the oracle.
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const BuiltSegment& b = segs[i];
    image.files.push_back(ImageFile{segment::segment_file_name(b.base), b.bytes, false});
    if (b.has_index) {
      image.files.push_back(ImageFile{segment::index_file_name(b.base), b.index_bytes, false});
      segment::SparseIndex probe;
      segment::SegmentSummary summary;
      const std::string as_string(b.index_bytes.begin(), b.index_bytes.end());
      if (b.index_bytes != b.genuine_index &&
          probe.decode(as_string, b.base, b.bytes.size(), &summary)) {
        relax(image, "index of segment " + std::to_string(b.base) + " decodes but was forged");
      }
    }
    segment::SegmentHeader header;
    if (segment::decode_segment_header(b.bytes.data(), b.bytes.size(), &header) ==
        segment::HeaderCheck::kValid) {
      if (header.log_id != kFuzzLogId) {
        relax(image, "segment " + std::to_string(b.base) + " has another log's header");
      } else {
        image.log_id_known = true;
      }
    }

    // Frames outside the segment's span are damage. Those inside must increase and stay
    // below the next segment's base.
    std::map<std::uint64_t, std::uint64_t> written;  // position -> offset
    for (const GeneratedFrame& f : b.frames) written[f.position] = f.offset;
    for (std::size_t k = 1; k < b.in_span.size(); ++k) {
      if (b.in_span[k].offset <= b.in_span[k - 1].offset) {
        relax(image, "frames of segment " + std::to_string(b.base) + " are out of order");
      }
    }
    if (!b.in_span.empty() && i + 1 < segs.size() && b.in_span.back().offset >= segs[i + 1].base) {
      relax(image, "segment " + std::to_string(b.base) + " overlaps the next one");
    }

    // Every frame intact in the final bytes, at any aligned position.
    for (std::uint64_t pos = kSegmentHeaderBytes; pos + kFrameHeaderBytes <= b.bytes.size();
         pos += segment::kFrameAlignment) {
      if (io::load_u32(b.bytes.data() + pos) != segment::kFrameMagic) continue;
      FrameHeader fh;
      if (segment::check_frame(b.bytes.data() + pos, b.bytes.size() - pos, kFuzzLogId,
                               image.options.max_record_bytes,
                               &fh) != segment::FrameCheck::kValid) {
        continue;
      }
      auto it = written.find(pos);
      if (it == written.end() || it->second != fh.offset) {
        relax(image, "segment " + std::to_string(b.base) + " holds a frame the generator did "
                     "not write at byte " + std::to_string(pos));
      }
      if (!in_segment_span(b.base, fh.offset)) continue;  // damage, not data
      Record r;
      r.offset = fh.offset;
      r.timestamp_ns = fh.timestamp_ns;
      r.type = fh.record_type;
      r.flags = fh.flags;
      r.payload.assign(reinterpret_cast<const char*>(b.bytes.data() + pos + kFrameHeaderBytes),
                       fh.payload_length);
      image.reference.push_back(std::move(r));
    }
  }

  // Strays.
  const std::uint64_t first_base = segs.empty() ? 7 : segs.front().base;
  if (spec.strays & kStrayDeletedSegment) {
    image.files.push_back(ImageFile{segment::segment_file_name(first_base) + ".deleted",
                                    segs.empty() ? clean_bytes : segs.front().bytes, false});
  }
  if (spec.strays & kStrayDeletedIndex) {
    image.files.push_back(ImageFile{segment::index_file_name(first_base) + ".deleted",
                                    segs.empty() ? clean_bytes : segs.front().genuine_index,
                                    false});
  }
  if (spec.strays & kStrayCheckpointTmp) {
    image.files.push_back(ImageFile{"checkpoint.tmp", clean_bytes, false});
  }
  if (spec.strays & kStrayOrphanIndex) {
    std::uint64_t orphan = segs.empty() ? 1000 : segs.back().base + 1000;
    while (used.count(orphan) != 0) ++orphan;
    IndexContent c;
    c.base = orphan;
    image.files.push_back(ImageFile{segment::index_file_name(orphan), encode_index(c), false});
  }
  if (spec.strays & kStrayUnrelated) {
    image.files.push_back(ImageFile{"notes.txt", {'h', 'i', '\n'}, false});
    image.files.push_back(ImageFile{"123.seg", {1, 2, 3}, false});
  }
  if (spec.strays & kStrayIndexTmp) {
    image.files.push_back(ImageFile{segment::index_file_name(first_base) + ".tmp", {9, 9}, false});
  }
  if (spec.strays & kStrayDirectory) {
    image.files.push_back(ImageFile{"old.deleted", {}, true});
  }
  if (spec.strays & kStrayLockFile) {
    image.files.push_back(ImageFile{"LOCK", {'9', '9', '9', '9', '9', '9', '9', '\n'}, false});
  }
  return image;
}

bool write_log_image(const std::string& dir, const LogImage& image) {
  for (const ImageFile& f : image.files) {
    std::string path = dir + "/" + f.name;
    if (f.directory) {
      if (::mkdir(path.c_str(), 0755) != 0) return false;
      path += "/x";
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    std::size_t done = 0;
    while (done < f.bytes.size()) {
      const ssize_t n = ::write(fd, f.bytes.data() + done, f.bytes.size() - done);
      if (n <= 0) {
        ::close(fd);
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return false;
  }
  return true;
}

}  // namespace spool::fuzz
