#include "support/frames.h"

#include "segment/frame_format.h"
#include "segment/segment_header.h"

namespace spool::testing {

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string payload_for(std::uint64_t i) {
  std::string p(static_cast<std::size_t>((i * 7) % 58), '\0');
  for (std::size_t k = 0; k < p.size(); ++k) {
    p[k] = static_cast<char>('a' + (i + k) % 26);
  }
  return p;
}

std::vector<TestFrame> sequential_frames(std::uint64_t base, std::size_t count) {
  std::vector<TestFrame> frames;
  frames.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    TestFrame f;
    f.offset = base + i;
    f.timestamp_ns = 1000 + 10 * static_cast<std::int64_t>(i);
    f.record_type = static_cast<std::uint16_t>(i % 5);
    f.flags = static_cast<std::uint16_t>(i % 3);
    f.payload = payload_for(i);
    frames.push_back(std::move(f));
  }
  return frames;
}

std::vector<std::uint8_t> encode_test_frame(std::uint64_t log_id, const TestFrame& frame) {
  std::vector<std::uint8_t> out(segment::frame_size(frame.payload.size()), 0xEE);
  segment::FrameHeader h;
  h.payload_length = static_cast<std::uint32_t>(frame.payload.size());
  h.offset = frame.offset;
  h.timestamp_ns = frame.timestamp_ns;
  h.record_type = frame.record_type;
  h.flags = frame.flags;
  segment::encode_frame(out.data(), log_id, h, as_bytes(frame.payload));
  return out;
}

SegmentImage build_segment_image(std::uint64_t log_id, std::uint64_t base_offset,
                                 const std::vector<TestFrame>& frames, std::size_t zero_tail) {
  SegmentImage image;
  image.bytes.resize(segment::kSegmentHeaderBytes);
  segment::encode_segment_header(segment::SegmentHeader{log_id, base_offset, 12345},
                                 image.bytes.data());
  for (const TestFrame& f : frames) {
    image.positions.push_back(image.bytes.size());
    const std::vector<std::uint8_t> encoded = encode_test_frame(log_id, f);
    image.bytes.insert(image.bytes.end(), encoded.begin(), encoded.end());
  }
  image.data_end = image.bytes.size();
  image.bytes.resize(image.bytes.size() + zero_tail, 0);
  return image;
}

}  // namespace spool::testing
