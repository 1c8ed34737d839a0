// Guarantee 3 inside the log: a flipped bit anywhere in a sealed segment costs at most the
// one frame it lands in; every other record is still read back, intact, and the damage is
// reported by a full scan. Damaged index files are rebuilt from their segment.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "segment/frame_format.h"
#include "segment/segment_header.h"
#include "segment/segment_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::segment {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::read_all;
using spool::testing::sample_payload;

constexpr std::uint64_t kRecords = 300;

void flip_bit(const std::string& path, std::uint64_t pos, int bit) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  f.seekg(static_cast<std::streamoff>(pos));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(static_cast<std::streamoff>(pos));
  f.write(&c, 1);
}

struct FrameSpan {
  std::uint64_t offset, start, payload_end;
};

class BitFlipIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.segment_bytes = 8192;
    auto log = open_log(dir_.path(), options_);
    ASSERT_NE(log, nullptr);
    for (std::uint64_t i = 0; i < kRecords; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
    auto segs = log->segments();
    ASSERT_GT(segs.size(), 4u);
    victim_ = segs[1];  // sealed, with segments on both sides
    auto reader = log->scan(victim_->base_offset());
    RecordView v;
    while (reader.next(&v) && v.segment == victim_) {
      const std::uint64_t payload_at =
          static_cast<std::uint64_t>(v.payload.data() - v.mapping->data());
      frames_.push_back(FrameSpan{v.offset, payload_at - kFrameHeaderBytes,
                                  payload_at + v.payload.size()});
    }
    victim_size_ = std::filesystem::file_size(victim_->path());
    ASSERT_EQ(victim_size_, victim_->summary().data_end) << "sealed segments are trimmed";
    ASSERT_TRUE(log->close());
  }

  // The record a flipped byte at `pos` destroys, if any.
  std::optional<std::uint64_t> record_hit(std::uint64_t pos) const {
    for (const FrameSpan& f : frames_) {
      if (pos >= f.start && pos < f.payload_end) return f.offset;
    }
    return std::nullopt;  // segment header or padding
  }

  void expect_only_lost(std::optional<std::uint64_t> lost, const LogOptions& o, std::uint64_t pos) {
    auto log = open_log(dir_.path(), o, OpenMode::kReadOnly);
    ASSERT_NE(log, nullptr);
    auto all = read_all(*log);
    ASSERT_EQ(all.size(), kRecords - (lost ? 1 : 0)) << "flip at byte " << pos;
    for (std::uint64_t i = 0; i < kRecords; ++i) {
      if (lost && i == *lost) {
        EXPECT_EQ(all.count(i), 0u);
        continue;
      }
      ASSERT_EQ(all[i], sample_payload(i)) << "record " << i << " after flip at byte " << pos;
    }
    if (o.full_recovery_scan) {
      const RecoveryReport& r = log->recovery_report();
      EXPECT_TRUE(r.truncated.empty());
      const bool header_hit = pos < kSegmentHeaderBytes;
      ASSERT_EQ(r.skipped.size(), (lost || header_hit) ? 1u : 0u) << "flip at byte " << pos;
      if (lost || header_hit) {
        EXPECT_EQ(r.skipped[0].segment_base, victim_->base_offset());
        EXPECT_LE(r.skipped[0].from_byte, pos);
        EXPECT_GT(r.skipped[0].to_byte, pos);
      }
    }
  }

  testing::TempDir dir_;
  LogOptions options_;
  std::shared_ptr<const SegmentFile> victim_;
  std::vector<FrameSpan> frames_;
  std::uint64_t victim_size_ = 0;
};

TEST_F(BitFlipIntegration, EachFlipLosesAtMostTheFrameItHits) {
  LogOptions trusting = options_;
  LogOptions full = options_;
  full.full_recovery_scan = true;
  int flips = 0, losses = 0;
  for (std::uint64_t pos = 0; pos < victim_size_; ++pos) {
    // Every byte of the header and the first frames; a stride through the rest.
    if (pos > 600 && pos % 5 != 0) continue;
    const int bit = static_cast<int>(pos % 8);
    flip_bit(victim_->path(), pos, bit);
    const auto lost = record_hit(pos);
    expect_only_lost(lost, trusting, pos);
    expect_only_lost(lost, full, pos);
    flip_bit(victim_->path(), pos, bit);  // restore
    ASSERT_FALSE(HasFatalFailure());
    ++flips;
    losses += lost ? 1 : 0;
  }
  EXPECT_GT(flips, 1000);
  EXPECT_GT(losses, flips / 2);  // most bytes are frame bytes: the test exercised real loss
}

TEST_F(BitFlipIntegration, WriterReopensAroundDamageAndKeepsAppending) {
  const std::uint64_t pos = frames_[3].start + kFrameHeaderBytes + 1;
  flip_bit(victim_->path(), pos, 2);
  LogOptions full = options_;
  full.full_recovery_scan = true;
  {
    auto log = open_log(dir_.path(), full);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->recovery_report().skipped.size(), 1u);
    EXPECT_TRUE(log->recovery_report().truncated.empty());
    EXPECT_EQ(log->next_offset(), kRecords);
    auto off = log->append(0, bytes_of("new"));
    ASSERT_TRUE(off);
    EXPECT_EQ(*off, kRecords);
  }
  // The damaged sealed segment is left as it was (for forensics) and still skipped.
  auto log = open_log(dir_.path(), options_);
  ASSERT_NE(log, nullptr);
  auto all = read_all(*log);
  EXPECT_EQ(all.size(), kRecords);  // 300 old - 1 lost + 1 new
  EXPECT_EQ(all.count(frames_[3].offset), 0u);
  EXPECT_EQ(log->read(frames_[3].offset).status().code(), StatusCode::kNotFound);
}

TEST_F(BitFlipIntegration, DamagedIndexIsRebuiltFromTheSegment) {
  const std::string idx = dir_.sub(index_file_name(victim_->base_offset()));
  const auto size = std::filesystem::file_size(idx);
  for (std::uint64_t pos = 0; pos < size; ++pos) {
    flip_bit(idx, pos, 0);
    auto log = open_log(dir_.path(), options_, OpenMode::kReadOnly);
    ASSERT_NE(log, nullptr);
    auto all = read_all(*log);
    ASSERT_EQ(all.size(), kRecords) << "index flip at byte " << pos;
    const auto& rebuilt = log->recovery_report().rebuilt_indexes;
    EXPECT_NE(std::find(rebuilt.begin(), rebuilt.end(), victim_->base_offset()), rebuilt.end());
    flip_bit(idx, pos, 0);
  }
  // A missing index is rebuilt (and rewritten) by a writer.
  std::filesystem::remove(idx);
  {
    auto log = open_log(dir_.path(), options_);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(read_all(*log).size(), kRecords);
  }
  EXPECT_TRUE(std::filesystem::exists(idx));
}

}  // namespace
}  // namespace spool::segment
