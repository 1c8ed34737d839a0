#include "log_spec.h"

#include <cstdlib>

namespace spool::fuzz {

namespace {

// Reads fields front to back; past the end every byte is zero.
class SpecReader {
 public:
  explicit SpecReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  void u8(std::uint8_t& v) { v = next(); }
  void u16(std::uint16_t& v) {
    v = next();
    v = static_cast<std::uint16_t>(v | (next() << 8));
  }
  void u64(std::uint64_t& v) {
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(next()) << (8 * i);
  }
  // A u8 count (mod max + 1); the vector is resized to it.
  template <typename T>
  void count(std::vector<T>& v, std::size_t max) {
    v.resize(next() % (max + 1));
  }
  // A u16 length (mod max + 1) and that many bytes.
  void bytes(std::vector<std::uint8_t>& v, std::size_t max) {
    std::uint16_t n;
    u16(n);
    v.resize(n % (max + 1));
    for (auto& b : v) b = next();
  }

 private:
  std::uint8_t next() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

// Writes the same fields, so that reading the output gives back the spec.
class SpecWriter {
 public:
  void u8(std::uint8_t& v) { out.push_back(v); }
  void u16(std::uint16_t& v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  void u64(std::uint64_t& v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  template <typename T>
  void count(std::vector<T>& v, std::size_t max) {
    if (v.size() > max) std::abort();  // a seed that cannot be encoded is a generator bug
    out.push_back(static_cast<std::uint8_t>(v.size()));
  }
  void bytes(std::vector<std::uint8_t>& v, std::size_t max) {
    if (v.size() > max) std::abort();
    std::uint16_t n = static_cast<std::uint16_t>(v.size());
    u16(n);
    out.insert(out.end(), v.begin(), v.end());
  }
  std::vector<std::uint8_t> out;
};

template <typename Codec>
void visit_edits(Codec& c, std::vector<EditSpec>& edits) {
  c.count(edits, kMaxEdits);
  for (EditSpec& e : edits) {
    c.u16(e.position);
    c.u8(e.op);
    c.u8(e.value);
  }
}

template <typename Codec>
void visit_forgeries(Codec& c, std::vector<ForgerySpec>& forgeries) {
  c.count(forgeries, kMaxForgeries);
  for (ForgerySpec& f : forgeries) {
    c.u8(f.field);
    c.u64(f.value);
  }
}

template <typename Codec>
void visit_segment(Codec& c, SegmentSpec& s) {
  c.u8(s.base_mode);
  switch (static_cast<BaseMode>(s.base_mode % 4)) {
    case BaseMode::kGap:
    case BaseMode::kNearPrevious: {
      std::uint8_t arg = static_cast<std::uint8_t>(s.base_arg);
      c.u8(arg);
      s.base_arg = arg;
      break;
    }
    case BaseMode::kAbsolute: c.u64(s.base_arg); break;
    case BaseMode::kContinue: break;
  }
  c.u8(s.header_mode);
  c.u8(s.raw);
  if (s.raw % 2 == 1) {
    c.bytes(s.raw_bytes, kMaxRawSegmentBytes);
  } else {
    c.u8(s.offset_mode);
    c.count(s.frames, kMaxFrames);
    for (FrameSpec& f : s.frames) {
      c.u8(f.length);
      c.u8(f.offset);
      c.u8(f.timestamp);
      c.u8(f.type);
    }
  }
  c.u8(s.tail_mode);
  c.u8(s.tail_arg);
  visit_edits(c, s.edits);
  c.u16(s.truncate);
  c.u8(s.index_mode);
  switch (static_cast<IndexMode>(s.index_mode % 5)) {
    case IndexMode::kRaw: c.bytes(s.index_raw, kMaxRawIndexBytes); break;
    case IndexMode::kGenuineEdited: visit_edits(c, s.index_edits); break;
    case IndexMode::kForged: visit_forgeries(c, s.index_forgeries); break;
    case IndexMode::kNone:
    case IndexMode::kGenuine: break;
  }
}

template <typename Codec>
void visit_log_spec(Codec& c, LogSpec& spec) {
  c.u8(spec.options);
  c.count(spec.segments, kMaxSegments);
  for (SegmentSpec& s : spec.segments) visit_segment(c, s);
  CheckpointSpec& k = spec.checkpoint;
  c.u8(k.mode);
  switch (static_cast<CheckpointMode>(k.mode % 5)) {
    case CheckpointMode::kRaw: c.bytes(k.raw, kMaxRawCheckpointBytes); break;
    case CheckpointMode::kUnclean: c.u8(k.recovery_segment); break;
    case CheckpointMode::kForged: visit_forgeries(c, k.forgeries); break;
    case CheckpointMode::kNone:
    case CheckpointMode::kClean: break;
  }
  if (k.mode % 5 != static_cast<std::uint8_t>(CheckpointMode::kNone)) visit_edits(c, k.edits);
  c.u8(spec.strays);
  c.u8(spec.batch_mode);
  c.count(spec.appends, kMaxAppends);
  for (AppendSpec& a : spec.appends) {
    c.u8(a.length);
    c.u8(a.type);
  }
  c.u8(spec.time_probe);
}

}  // namespace

LogSpec decode_log_spec(std::span<const std::uint8_t> bytes) {
  LogSpec spec;
  SpecReader reader(bytes);
  visit_log_spec(reader, spec);
  return spec;
}

std::vector<std::uint8_t> encode_log_spec(const LogSpec& spec) {
  LogSpec copy = spec;
  SpecWriter writer;
  visit_log_spec(writer, copy);
  return std::move(writer.out);
}

}  // namespace spool::fuzz
