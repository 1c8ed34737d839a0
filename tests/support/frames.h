// Building frames and segment images byte by byte for the segment/ unit tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace spool::testing {

struct TestFrame {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;
  std::uint16_t record_type = 0;
  std::uint16_t flags = 0;
  std::string payload;
};

// The bytes of a string, as the frame API takes them.
std::span<const std::uint8_t> as_bytes(const std::string& s);

// A deterministic payload whose length varies with `i` (0 .. 57 bytes), so frames of a
// test segment have different sizes and different amounts of padding.
std::string payload_for(std::uint64_t i);

// `count` frames with offsets base, base+1, ... and timestamps 1000 + 10 * i.
std::vector<TestFrame> sequential_frames(std::uint64_t base, std::size_t count);

// One encoded frame (header, payload, zero padding).
std::vector<std::uint8_t> encode_test_frame(std::uint64_t log_id, const TestFrame& frame);

// A segment file image: the 64-byte segment header, the frames back to back, then
// `zero_tail` zero bytes of unwritten space.
struct SegmentImage {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint64_t> positions;  // where each frame starts
  std::uint64_t data_end = 0;            // just after the last frame
};
SegmentImage build_segment_image(std::uint64_t log_id, std::uint64_t base_offset,
                                 const std::vector<TestFrame>& frames, std::size_t zero_tail);

}  // namespace spool::testing
