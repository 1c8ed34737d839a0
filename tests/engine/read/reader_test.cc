// spool::Reader (include/spool/reader.h): offset and time ranges across segments, kind and
// record-type filters, latest(type), empty and crashed logs, a writer appending meanwhile,
// and that reading never changes a file of the log.
#include "spool/reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "segment/segment_log.h"
#include "spool/record_encoder.h"
#include "support/child_process.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::as_string;
using testing::bytes_of;
using testing::open_log;
using testing::sample_payload;
using testing::small_segments;
using testing::TempDir;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
// Buffered-at time of record i in the tests' logs: 1 ms apart.
std::int64_t time_of(std::uint64_t i) { return kT0 + static_cast<std::int64_t>(i) * 1'000'000; }

// A log of `n` raw records (payload sample_payload(i), time time_of(i)) in 4 KiB segments.
void write_raw_log(const std::string& dir, std::uint64_t n) {
  auto log = open_log(dir, small_segments());
  ASSERT_TRUE(log);
  for (std::uint64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i)), time_of(i)));
  }
  ASSERT_GT(log->segment_count(), 5u);
}

std::unique_ptr<Reader> open_reader(const std::string& dir) {
  auto reader = Reader::open(dir);
  EXPECT_TRUE(reader) << reader.status().to_string();
  return reader ? std::move(*reader) : nullptr;
}

// A Reader of a new log of `n` raw records in tmp/log (write_raw_log); null after a failure.
std::unique_ptr<Reader> reader_of_raw_log(const TempDir& tmp, std::uint64_t n) {
  write_raw_log(tmp.sub("log"), n);
  if (::testing::Test::HasFatalFailure()) return nullptr;
  return open_reader(tmp.sub("log"));
}

template <typename T>
void expect_error(const Result<T>& result, StatusCode code) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().code(), code) << result.status().to_string();
}

// Every record a selection returns (the scan must end without error).
std::vector<StoredRecord> read_selection(const Reader& reader, const ReadSelection& selection) {
  std::vector<StoredRecord> out;
  auto scan = reader.scan(selection);
  EXPECT_TRUE(scan) << scan.status().to_string();
  if (!scan) return out;
  StoredRecord r;
  while (scan->next(&r)) out.push_back(r);
  EXPECT_TRUE(scan->status().is_ok()) << scan->status().to_string();
  EXPECT_EQ(scan->skipped_bytes(), 0u);
  return out;
}

std::vector<std::uint64_t> offsets_of(const std::vector<StoredRecord>& records) {
  std::vector<std::uint64_t> offsets;
  for (const StoredRecord& r : records) offsets.push_back(r.offset);
  return offsets;
}

std::vector<std::uint64_t> iota(std::uint64_t from, std::uint64_t until) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = from; i < until; ++i) v.push_back(i);
  return v;
}

// Appends a Record of `type` whose data is `data`; returns its offset.
std::uint64_t append_typed(segment::SegmentLog& log, std::string_view type, const std::string& data,
                           std::int64_t timestamp_ns = segment::kTimestampNow) {
  RecordEncoder encoder;
  RawRecord raw;
  raw.type_tag = type;
  raw.data = bytes_of(data);
  const EncodedRecord encoded = encoder.encode(raw);
  auto offset =
      log.append(static_cast<std::uint16_t>(RecordKind::kRecord), encoded.bytes, timestamp_ns);
  EXPECT_TRUE(offset) << offset.status().to_string();
  return offset ? *offset : 0;
}

// Every file of a directory tree with its bytes: what "never modifies the log" compares.
std::map<std::string, std::string> snapshot_files(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      files[entry.path().string()] = testing::read_file(entry.path().string());
  }
  return files;
}

TEST(Reader, OffsetRangesAcrossSegmentBoundaries) {
  TempDir tmp;
  auto reader = reader_of_raw_log(tmp, 300);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->first_offset(), 0u);
  EXPECT_EQ(reader->next_offset(), 300u);

  ReadSelection sel;
  sel.from_offset = 37;
  sel.until_offset = 251;  // exclusive
  const auto records = read_selection(*reader, sel);
  EXPECT_EQ(offsets_of(records), iota(37, 251));
  for (const StoredRecord& r : records) {
    ASSERT_EQ(as_string(r.payload), sample_payload(r.offset));
    ASSERT_EQ(r.timestamp_ns, time_of(r.offset));
    ASSERT_EQ(r.kind, RecordKind::kRawFrame);
    ASSERT_EQ(r.priority, Priority::kLow);  // raw frames carry flags 0
    ASSERT_TRUE(r.record_type.empty());
  }
  sel.from_offset = 290;
  sel.until_offset = kEndOfLog;
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), iota(290, 300));
  EXPECT_EQ(offsets_of(read_selection(*reader, {})), iota(0, 300));
  sel.from_offset = 120;
  sel.until_offset = 120;  // an empty range
  EXPECT_TRUE(read_selection(*reader, sel).empty());
  sel.from_offset = 1000;  // past the end
  sel.until_offset = kEndOfLog;
  EXPECT_TRUE(read_selection(*reader, sel).empty());
  sel.from_offset = 10;
  sel.until_offset = 5;
  expect_error(reader->scan(sel), StatusCode::kInvalidArgument);
}

TEST(Reader, TimeRangesStartAtTheFirstRecordAtOrAfterFromAndEndBeforeUntil) {
  TempDir tmp;
  auto reader = reader_of_raw_log(tmp, 300);
  ASSERT_TRUE(reader);
  ReadSelection sel;
  sel.from_ns = time_of(50) + 1;  // between records 50 and 51
  sel.until_ns = time_of(200);    // record 200 is the first at or after it: excluded
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), iota(51, 200));
  sel.from_ns = time_of(50);
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), iota(50, 200));
  // With an offset range too: both bounds hold.
  sel.from_offset = 120;
  sel.until_offset = 150;
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), iota(120, 150));
  sel = {};
  sel.until_ns = time_of(3);
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), iota(0, 3));
  sel = {};
  sel.from_ns = time_of(299) + 1;  // after every record
  EXPECT_TRUE(read_selection(*reader, sel).empty());
  sel.from_ns = time_of(10);
  sel.until_ns = time_of(10);
  EXPECT_TRUE(read_selection(*reader, sel).empty());
  sel.until_ns = time_of(9);
  expect_error(reader->scan(sel), StatusCode::kInvalidArgument);
}

TEST(Reader, FiltersByKindAndRecordType) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  std::vector<std::uint64_t> checkpoints, predictions, raws, logs;
  {
    auto log = open_log(dir, small_segments());
    ASSERT_TRUE(log);
    RecordEncoder encoder;
    for (int i = 0; i < 60; ++i) {
      switch (i % 4) {
        case 0:
          checkpoints.push_back(append_typed(*log, "checkpoint", "step " + std::to_string(i)));
          break;
        case 1:
          predictions.push_back(append_typed(*log, "prediction", std::string(100, 'p')));
          break;
        case 2: {
          LogRecord line;
          line.body = "line";
          const EncodedRecord e = encoder.encode(line);
          auto offset = log->append(static_cast<std::uint16_t>(RecordKind::kLog), e.bytes);
          ASSERT_TRUE(offset);
          logs.push_back(*offset);
          break;
        }
        default: {
          auto offset = log->append(0, bytes_of("raw " + std::to_string(i)));
          ASSERT_TRUE(offset);
          raws.push_back(*offset);
        }
      }
    }
    ASSERT_GT(log->segment_count(), 1u);
  }
  auto reader = open_reader(dir);
  ASSERT_TRUE(reader);
  ReadSelection sel;
  sel.kinds = {RecordKind::kLog};
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), logs);
  sel.kinds = {RecordKind::kRawFrame, RecordKind::kLog};
  auto both = logs;
  both.insert(both.end(), raws.begin(), raws.end());
  std::sort(both.begin(), both.end());
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), both);

  sel.kinds = {};
  sel.record_types = {"checkpoint"};
  const auto found = read_selection(*reader, sel);
  EXPECT_EQ(offsets_of(found), checkpoints);
  for (std::size_t i = 0; i < found.size(); ++i) {
    EXPECT_EQ(found[i].kind, RecordKind::kRecord);
    EXPECT_EQ(found[i].record_type, "checkpoint");
    EXPECT_EQ(as_string(found[i].data), "step " + std::to_string(i * 4));
  }
  sel.record_types = {"prediction", "checkpoint"};
  auto typed = checkpoints;
  typed.insert(typed.end(), predictions.begin(), predictions.end());
  std::sort(typed.begin(), typed.end());
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), typed);
  // A type filter only ever matches kRecord records, whatever the kinds say.
  sel.kinds = {RecordKind::kLog};
  EXPECT_TRUE(read_selection(*reader, sel).empty());
  sel.kinds = {};
  sel.record_types = {"never-written"};
  EXPECT_TRUE(read_selection(*reader, sel).empty());
}

TEST(Reader, LatestFindsTheNewestRecordOfATypeInAnOlderSegment) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  std::uint64_t second = 0;
  {
    auto log = open_log(dir, small_segments());
    ASSERT_TRUE(log);
    append_typed(*log, "checkpoint", "first");
    for (std::uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
    second = append_typed(*log, "checkpoint", "second");
    append_typed(*log, "other", "not a checkpoint");
    // Many segments after it: the checkpoint is several segments back.
    for (std::uint64_t i = 0; i < 300; ++i)
      ASSERT_TRUE(log->append(0, bytes_of(sample_payload(i))));
    const auto segments = log->segments();
    ASSERT_GT(segments.size(), 5u);
    ASSERT_LT(second, segments[segments.size() - 3]->base_offset());
  }
  auto reader = open_reader(dir);
  ASSERT_TRUE(reader);
  auto latest = reader->latest("checkpoint");
  ASSERT_TRUE(latest) << latest.status().to_string();
  EXPECT_EQ(latest->offset, second);
  EXPECT_EQ(latest->record_type, "checkpoint");
  EXPECT_EQ(as_string(latest->data), "second");
  auto other = reader->latest("other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->offset, second + 1);
  expect_error(reader->latest("nothing-of-this-type"), StatusCode::kNotFound);
}

TEST(Reader, RecordsOutliveTheirScanAndReader) {
  TempDir tmp;
  std::vector<StoredRecord> kept;
  {
    auto reader = reader_of_raw_log(tmp, 300);
    ASSERT_TRUE(reader);
    kept = read_selection(*reader, {});
  }
  ASSERT_EQ(kept.size(), 300u);
  for (const StoredRecord& r : kept) ASSERT_EQ(as_string(r.payload), sample_payload(r.offset));
}

TEST(Reader, AnEmptyLogHasNoRecords) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_TRUE(open_log(dir, small_segments()));
  auto reader = open_reader(dir);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->first_offset(), reader->next_offset());
  EXPECT_TRUE(read_selection(*reader, {}).empty());
  ReadSelection sel;
  sel.from_ns = 0;
  sel.until_ns = kT0;
  EXPECT_TRUE(read_selection(*reader, sel).empty());
  expect_error(reader->latest("checkpoint"), StatusCode::kNotFound);
}

TEST(Reader, OpenRefusesWhatIsNotALog) {
  TempDir tmp;
  expect_error(Reader::open(tmp.sub("missing")), StatusCode::kNotFound);
  std::filesystem::create_directory(tmp.sub("empty"));
  {
    auto empty = open_reader(tmp.sub("empty"));
    ASSERT_TRUE(empty);
    EXPECT_TRUE(read_selection(*empty, {}).empty());
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.sub("empty"))) << "a reader creates nothing";
  testing::write_file(tmp.sub("notes.txt"), "not a log");
  expect_error(Reader::open(tmp.path()), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(tmp.sub("LOCK")));
}

// A writer killed in the middle of a frame: the records before it are read, the torn bytes
// end the log, and reading changes no file (no truncation, no lock, no checkpoint).
TEST(Reader, ATornTailEndsTheRecordsAndIsLeftAsItIs) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  testing::ForkedChild child = testing::ForkedChild::start([&]() -> int {
    auto log = segment::SegmentLog::open(dir, small_segments());
    if (!log) return 10;
    for (std::uint64_t i = 0; i < 50; ++i) {
      if (!(*log)->append(0, bytes_of(sample_payload(i)), time_of(i))) return 11;
    }
    ::_exit(testing::write_torn_frame(**log));  // a crash: no close, no checkpoint
  });
  ASSERT_EQ(child.wait(), 0);
  const auto before = snapshot_files(dir);
  auto reader = open_reader(dir);
  ASSERT_TRUE(reader);
  EXPECT_FALSE(reader->follows_live_writer());
  EXPECT_EQ(offsets_of(read_selection(*reader, {})), iota(0, 50));
  ReadSelection sel;
  sel.from_ns = time_of(45);
  EXPECT_EQ(offsets_of(read_selection(*reader, sel)), iota(45, 50));
  EXPECT_FALSE(reader->latest("checkpoint"));
  reader.reset();
  EXPECT_EQ(snapshot_files(dir), before);
}

// A writer in another thread appends (and rotates, and keeps checkpoints) while scans run:
// every scan returns the records committed when it started, gap-free and intact, and the
// checkpoints latest() finds only move forwards.
TEST(Reader, AWriterAppendingMeanwhile) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  constexpr std::uint64_t kRecords = 3000;
  auto log = open_log(dir, small_segments());
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->append(0, bytes_of(sample_payload(0)), time_of(0)));
  auto reader = open_reader(dir);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->follows_live_writer());

  std::atomic<bool> failed{false};
  std::jthread writer([&] {  // joined on every way out of the test
    for (std::uint64_t i = 1; i < kRecords; ++i) {
      const bool ok = i % 100 == 0
                          ? append_typed(*log, "checkpoint", std::to_string(i), time_of(i)) == i
                          : log->append(0, bytes_of(sample_payload(i)), time_of(i)).is_ok();
      if (!ok) failed = true;
    }
  });
  std::uint64_t seen_end = 0;
  std::uint64_t last_checkpoint = 0;
  while (seen_end < kRecords && !failed) {
    auto scan = reader->scan({});
    ASSERT_TRUE(scan);
    StoredRecord r;
    std::uint64_t expected = 0;
    while (scan->next(&r)) {
      ASSERT_EQ(r.offset, expected);
      if (r.kind == RecordKind::kRawFrame) {
        ASSERT_EQ(as_string(r.payload), sample_payload(r.offset));
      }
      ++expected;
    }
    ASSERT_TRUE(scan->status().is_ok()) << scan->status().to_string();
    ASSERT_EQ(scan->skipped_bytes(), 0u);
    ASSERT_GE(expected, seen_end);
    seen_end = expected;
    if (auto latest = reader->latest("checkpoint")) {
      const std::uint64_t step = std::stoull(std::string(as_string(latest->data)));
      ASSERT_EQ(step, latest->offset);
      ASSERT_GE(step, last_checkpoint);
      last_checkpoint = step;
    }
  }
  writer.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(seen_end, kRecords);
  EXPECT_EQ(last_checkpoint, kRecords - 100);
}

}  // namespace
}  // namespace spool
