// Retention that runs by itself: an idle log ages out (the writer's timer), Forwarder::open
// applies the log's own retention from its marker (and on a timer), and the zstd dictionary
// goes when the records it was trained on go.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/forward/batch_compressor.h"
#include "engine/forward/log_dictionary.h"
#include "engine/produce/retention_timer.h"
#include "segment/log_marker.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::TempDir;

std::size_t segment_files(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".seg";
  return n;
}

// Waits for `done` (an event), failing after a safety limit that is not a timing check.
template <typename Pred>
bool eventually(Pred done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST(RetentionTimerTest, IntervalIsATenthOfTheAgeCapWithinBounds) {
  EXPECT_EQ(engine::age_retention_interval_ns(0), 0);
  EXPECT_EQ(engine::age_retention_interval_ns(1000), 100'000'000);
  EXPECT_EQ(engine::age_retention_interval_ns(1), 10'000'000);
  EXPECT_EQ(engine::age_retention_interval_ns(24ull * 3600 * 1000), 60'000'000'000);
}

TEST(RetentionTimerTest, IdleBufferAgesOutWithoutAppends) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  Options options;
  options.log.segment_bytes = 4096;
  options.log.retention_max_age_ms = 1500;
  auto buffer = Buffer::open(dir, options);
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  for (std::uint64_t i = 0; i < 200; ++i) ASSERT_TRUE(testing::append_seq(**buffer, 0, i, 100));
  ASSERT_TRUE((*buffer)->flush());
  ASSERT_GE(segment_files(dir), 3u);
  // No more appends, so no rotation: only the timer can delete the sealed segments.
  EXPECT_TRUE(eventually([&] { return segment_files(dir) == 1; })) << segment_files(dir) << " segments left";
  ASSERT_TRUE((*buffer)->shutdown());
}

// A log written with retention off, whose marker then says what its writer now wants.
std::uint64_t make_log_with_marker_retention(const std::string& dir, std::uint64_t max_age_ms,
                                             std::int64_t record_ts_ns) {
  LogOptions o;
  o.segment_bytes = 4096;
  auto log = segment::SegmentLog::open(dir, o);
  EXPECT_TRUE(log.is_ok());
  const std::vector<std::uint8_t> payload(200, 'r');
  for (int i = 0; i < 60; ++i) EXPECT_TRUE((*log)->append(1, payload, record_ts_ns).is_ok());
  const std::uint64_t segments = (*log)->segment_count();
  EXPECT_TRUE((*log)->close().is_ok());
  auto marker = segment::LogMarker::read(dir);
  EXPECT_TRUE(marker.is_ok() && marker->has_value());
  segment::LogMarker m = **marker;
  m.retention_max_age_ms = max_age_ms;
  EXPECT_TRUE(m.write(dir).is_ok());
  return segments;
}

class NullSink : public Sink {
 public:
  FlushResult send(const ForwardBatch&) override { return FlushResult::succeeded(); }
  std::string name() const override { return "null"; }
};

TEST(RetentionTimerTest, ForwarderOpenAppliesTheMarkersRetention) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::int64_t two_hours_ago =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() -
      2ll * 3600 * 1'000'000'000;
  ASSERT_GE(make_log_with_marker_retention(dir, 3'600'000, two_hours_ago), 3u);
  ForwarderOptions fo;
  fo.start_at = SeekTarget::kLatest;  // a cursor that needs nothing of the old records
  auto fwd = Forwarder::open(dir, std::make_unique<NullSink>(), fo);
  ASSERT_TRUE(fwd.is_ok()) << fwd.status().to_string();
  EXPECT_EQ(segment_files(dir), 1u);  // the hour-old cap deleted every sealed segment
  ASSERT_TRUE((*fwd)->stop());
}

TEST(RetentionTimerTest, ForwarderOpenAgesOutOnItsTimer) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  // Records that are not old yet when the forwarder opens, but will be soon.
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  ASSERT_GE(make_log_with_marker_retention(dir, 60'000, now - 59'500'000'000), 3u);
  ForwarderOptions fo;
  fo.start_at = SeekTarget::kLatest;
  auto fwd = Forwarder::open(dir, std::make_unique<NullSink>(), fo);
  ASSERT_TRUE(fwd.is_ok()) << fwd.status().to_string();
  EXPECT_TRUE(eventually([&] { return segment_files(dir) == 1; })) << segment_files(dir) << " segments left";
  ASSERT_TRUE((*fwd)->stop());
}

TEST(RetentionTimerTest, TimerRunsEnforceRetentionOnAnIdleLog) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  make_log_with_marker_retention(dir, 2000, now);
  auto options = segment::log_options_from_marker(dir);
  ASSERT_TRUE(options.is_ok());
  auto log = segment::SegmentLog::open(dir, *options);
  ASSERT_TRUE(log.is_ok());
  ASSERT_GE((*log)->segment_count(), 3u) << "aged out before the timer started";
  engine::RetentionTimer timer(**log);
  // The timer counts a pass once enforce_retention() has returned.
  EXPECT_TRUE(eventually([&] { return timer.segments_deleted() >= 2; }));
  EXPECT_EQ((*log)->segment_count(), 1u);
  EXPECT_TRUE(timer.last_error().is_ok());
}

std::vector<std::uint8_t> trainable_record(int i) {
  const std::string s = "{\"service\":\"checkout\",\"span\":\"GET /cart/" + std::to_string(i % 37) +
                        "\",\"user\":\"u" + std::to_string(i * 7919 % 1000) +
                        "\",\"prompt\":\"please summarise order " + std::to_string(i) + "\",\"status\":\"ok\"}";
  return {s.begin(), s.end()};
}

TEST(LogDictionaryTest, DictionaryGoesWhenItsRecordsGo) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  LogOptions o;
  o.segment_bytes = 16384;
  auto log = segment::SegmentLog::open(dir, o);
  ASSERT_TRUE(log.is_ok());
  for (int i = 0; i < 600; ++i) ASSERT_TRUE((*log)->append(1, trainable_record(i)).is_ok());
  CompressionOptions co;
  co.train_dictionary = true;
  co.dictionary_bytes = 4096;
  engine::BatchCompressor compressor(1);
  ASSERT_TRUE(engine::load_or_train_dictionary(**log, co, &compressor).is_ok());
  const std::string dict = engine::dictionary_path(dir);
  ASSERT_TRUE(std::filesystem::exists(dict));
  const auto through = engine::dictionary_trained_through(dir);
  ASSERT_TRUE(through.has_value());
  EXPECT_EQ(*through, 599u);  // every record so far was a sample
  EXPECT_EQ(std::filesystem::status(dict).permissions(), std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);

  engine::tie_dictionary_to_retention(**log);
  // Newer records, so the trained ones can leave.
  for (int i = 600; i < 1800; ++i) ASSERT_TRUE((*log)->append(1, trainable_record(i)).is_ok());
  auto segs = (*log)->segments();
  ASSERT_GE(segs.size(), 4u);
  // Retention that deletes only the oldest segment keeps it: its newest record is still there.
  (*log)->set_retention((*log)->disk_bytes() - 1, 0);
  ASSERT_TRUE((*log)->enforce_retention().is_ok());
  ASSERT_LE((*log)->first_offset(), *through);
  EXPECT_TRUE(std::filesystem::exists(dict));
  // Retention past offset 599 deletes it (and its zstd.dict.trained).
  while ((*log)->first_offset() <= *through) {
    (*log)->set_retention((*log)->disk_bytes() - 1, 0);
    ASSERT_TRUE((*log)->enforce_retention().is_ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dict));
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + engine::kDictionaryTrainedFileName));
  // The next forwarder trains a new one on what is left.
  engine::BatchCompressor again(1);
  ASSERT_TRUE(engine::load_or_train_dictionary(**log, co, &again).is_ok());
  EXPECT_GE(*engine::dictionary_trained_through(dir), (*log)->first_offset());
}

TEST(LogDictionaryTest, DictionaryOfUnknownProvenanceIsDeleted) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_TRUE(segment::SegmentLog::open(dir, LogOptions{}).is_ok());
  testing::write_file(engine::dictionary_path(dir), "an old dictionary");
  auto forgotten = engine::forget_expired_dictionary(dir, 0);
  ASSERT_TRUE(forgotten.is_ok());
  EXPECT_TRUE(*forgotten);
  EXPECT_FALSE(std::filesystem::exists(engine::dictionary_path(dir)));
}

}  // namespace
}  // namespace spool
