// spool::Buffer with lanes (include/spool/lane_options.h): records land in their lane's log,
// each lane has its own offsets, log id and settings, counts balance per lane and summed, a
// directory without lanes stays exactly as it was, a lane no longer declared is still opened,
// and a flood in one lane's queue never evicts another lane's records.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

#include "engine/produce/lane_settings.h"
#include "segment/log_marker.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/lanes.h"
#include "spool/reader.h"
#include "spool/record_encoder.h"
#include "support/lanes.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

// Every wait of these tests ends: a flush that takes longer fails the test (TimedOut).
std::uint32_t wait_ms() { return static_cast<std::uint32_t>(testing::scaled(std::chrono::seconds(60)).count()); }

using testing::append_seq;
using testing::read_seq_records;
using testing::small_buffer_options;
using testing::TempDir;

using spool::testing::lane;

Options two_lanes() {
  Options o = small_buffer_options();
  o.lanes = {lane("logs", {"log"}), lane("actions", {"record:seq"})};
  return o;
}

std::unique_ptr<Buffer> open_buffer(const std::string& dir, const Options& o) {
  auto buffer = Buffer::open(dir, o);
  EXPECT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  return buffer ? std::move(*buffer) : nullptr;
}

// Records of each kind in the log at `dir`.
std::map<RecordKind, std::uint64_t> kinds_in(const std::string& dir) {
  std::map<RecordKind, std::uint64_t> counts;
  auto reader = Reader::open(dir);
  EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
  if (!reader) return counts;
  auto scan = (*reader)->scan();
  EXPECT_TRUE(scan.is_ok());
  StoredRecord r;
  while (scan->next(&r)) ++counts[r.kind];
  return counts;
}

Status append_log(Buffer& buffer, Priority priority = Priority::kNormal) {
  LogRecord log;
  log.body = "a line of a log";
  log.priority = priority;
  return buffer.append(log);
}

Status append_span(Buffer& buffer, Priority priority = Priority::kNormal) {
  Span span;
  span.name = "llm-call";
  span.priority = priority;
  return buffer.append(span);
}

void expect_balanced(const BufferStats& s) {
  EXPECT_EQ(s.appended, s.written + s.dropped_total() + s.queue_depth);
}

const LaneStats* lane_stats(const BufferStats& s, std::string_view name) {
  for (const LaneStats& l : s.lanes) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

TEST(BufferLanes, RecordsLandInTheLogOfTheirLane) {
  TempDir dir;
  auto buffer = open_buffer(dir.path(), two_lanes());
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer->lanes(), (std::vector<std::string>{"default", "logs", "actions"}));
  EXPECT_EQ(buffer->lane_of(RecordKind::kLog, Priority::kLow), "logs");
  EXPECT_EQ(buffer->lane_of(RecordKind::kRecord, Priority::kLow, "seq"), "actions");
  EXPECT_EQ(buffer->lane_of(RecordKind::kRecord, Priority::kLow, "other"), "default");
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(append_span(*buffer).is_ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(append_log(*buffer).is_ok());
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(append_seq(*buffer, 1, i).is_ok());
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());

  EXPECT_EQ(kinds_in(dir.path()), (std::map<RecordKind, std::uint64_t>{{RecordKind::kSpan, 30}}));
  EXPECT_EQ(kinds_in(dir.path() + "/lanes/logs"),
            (std::map<RecordKind, std::uint64_t>{{RecordKind::kLog, 20}}));
  const auto seqs = read_seq_records(dir.path() + "/lanes/actions");
  ASSERT_EQ(seqs.size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(seqs[i].seq, i);

  // Offsets of its own per lane, from 0.
  EXPECT_EQ(buffer->committed_offset(), 30u);
  EXPECT_EQ(buffer->committed_offset("logs").value(), 20u);
  EXPECT_EQ(buffer->committed_offset("actions").value(), 10u);
  EXPECT_EQ(buffer->committed_offset("nope").status().code(), StatusCode::kNotFound);
}

// append_checked verifies the bytes once and routes them by their type tag; bytes that do not
// verify are counted as malformed in the lane of their kind and priority.
TEST(BufferLanes, CheckedAppendsAreRoutedByTheirVerifiedType) {
  TempDir dir;
  auto buffer = open_buffer(dir.path(), two_lanes());
  ASSERT_TRUE(buffer);
  RawRecord raw;
  raw.type_tag = "seq";
  const std::uint8_t data[] = {1, 2, 3};
  raw.data = data;
  RecordEncoder encoder;
  ASSERT_TRUE(buffer->append_checked(encoder.encode(raw)).is_ok());
  alignas(8) const std::uint8_t junk[16] = {0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(buffer->append_checked(EncodedRecord{RecordKind::kRecord, Priority::kNormal, junk}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  const BufferStats s = buffer->stats();
  EXPECT_EQ(lane_stats(s, "actions")->stats.written, 1u);
  EXPECT_EQ(lane_stats(s, "default")->stats.dropped[static_cast<std::size_t>(DropReason::kMalformed)], 1u);
  EXPECT_EQ(lane_stats(s, "actions")->stats.dropped_total(), 0u);
}

TEST(BufferLanes, EachLaneIsALogWithAnIdOfItsOwn) {
  TempDir dir;
  Options o = two_lanes();
  o.log.log_id = 0x1234;  // the default lane's; lanes never share it
  {
    auto buffer = open_buffer(dir.path(), o);
    ASSERT_TRUE(buffer);
  }
  std::set<std::uint64_t> ids;
  for (std::string_view name : {"default", "logs", "actions"}) {
    auto marker = segment::LogMarker::read(engine::lane_directory(dir.path(), name));
    ASSERT_TRUE(marker.is_ok() && marker->has_value()) << name;
    ids.insert((*marker)->log_id);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.count(0x1234));
}

TEST(BufferLanes, CountsBalancePerLaneAndSummed) {
  TempDir dir;
  auto buffer = open_buffer(dir.path(), two_lanes());
  ASSERT_TRUE(buffer);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(append_span(*buffer).is_ok());
    ASSERT_TRUE(append_log(*buffer).is_ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(append_seq(*buffer, 0, static_cast<std::uint64_t>(i)).is_ok());
    }
  }
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  const BufferStats s = buffer->stats();
  ASSERT_EQ(s.lanes.size(), 3u);
  EXPECT_EQ(s.appended, 250u);
  EXPECT_EQ(s.written, 250u);
  expect_balanced(s);
  EXPECT_EQ(lane_stats(s, "default")->stats.written, 100u);
  EXPECT_EQ(lane_stats(s, "logs")->stats.written, 100u);
  EXPECT_EQ(lane_stats(s, "actions")->stats.written, 50u);
  EXPECT_EQ(lane_stats(s, "logs")->dir, dir.path() + "/lanes/logs");
  EXPECT_EQ(lane_stats(s, "logs")->route, (std::vector<std::string>{"log"}));
  for (const LaneStats& l : s.lanes) {
    expect_balanced(l.stats);
    EXPECT_TRUE(l.stats.lanes.empty());
  }
  EXPECT_EQ(s.committed_offset, 100u);  // the default lane's
}

TEST(BufferLanes, ADirectoryWithoutLanesIsLeftAsItWas) {
  TempDir dir;
  {
    auto buffer = open_buffer(dir.path(), small_buffer_options());
    ASSERT_TRUE(buffer);
    ASSERT_TRUE(append_span(*buffer).is_ok());
    const BufferStats s = buffer->stats();
    ASSERT_EQ(s.lanes.size(), 1u);
    EXPECT_EQ(s.lanes[0].name, "default");
    EXPECT_EQ(buffer->lanes(), (std::vector<std::string>{"default"}));
  }
  struct stat st;
  EXPECT_NE(::lstat((dir.path() + "/lanes").c_str(), &st), 0);
}

TEST(BufferLanes, ALaneNoLongerDeclaredIsStillOpenedButRoutedNothing) {
  TempDir dir;
  {
    auto buffer = open_buffer(dir.path(), two_lanes());
    ASSERT_TRUE(buffer);
    for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(append_seq(*buffer, 0, i).is_ok());
  }
  Options o = small_buffer_options();
  o.lanes = {lane("logs", {"log"})};
  auto buffer = open_buffer(dir.path(), o);
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer->lanes(), (std::vector<std::string>{"default", "logs", "actions"}));
  EXPECT_EQ(buffer->lane_of(RecordKind::kRecord, Priority::kNormal, "seq"), "default");
  ASSERT_TRUE(append_seq(*buffer, 0, 5).is_ok());
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  const BufferStats s = buffer->stats();
  ASSERT_NE(lane_stats(s, "actions"), nullptr);
  EXPECT_TRUE(lane_stats(s, "actions")->retired);
  EXPECT_EQ(buffer->committed_offset("actions").value(), 5u);  // what it held is still there
  EXPECT_EQ(read_seq_records(dir.path()).size(), 1u);  // the new one went to the default lane
}

TEST(BufferLanes, AProcessThatDeclaresNoLanesRoutesByTheWritersRecords) {
  TempDir dir;
  Options o = two_lanes();
  o.lanes[0].max_bytes = 8u << 20;
  o.lanes[0].disk_full_policy = FullPolicy::kDropNewest;
  o.lanes[0].breaker_failure_threshold = 2;
  { ASSERT_TRUE(open_buffer(dir.path(), o)); }
  auto recorded = recorded_lane(dir.path(), "logs");
  ASSERT_TRUE(recorded.is_ok()) << recorded.status().to_string();
  ASSERT_TRUE(recorded->has_value());
  EXPECT_EQ((*recorded)->route, (std::vector<std::string>{"log"}));
  EXPECT_EQ((*recorded)->max_bytes, 8u << 20);
  EXPECT_EQ((*recorded)->disk_full_policy, FullPolicy::kDropNewest);

  // An application attaching with default options: the writer's lanes, routes and all (in
  // name order: the records do not keep the order they were declared in).
  auto buffer = open_buffer(dir.path(), small_buffer_options());
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer->lanes(), (std::vector<std::string>{"default", "actions", "logs"}));
  EXPECT_EQ(buffer->lane_of(RecordKind::kLog, Priority::kNormal), "logs");
  EXPECT_EQ(buffer->lane_of(RecordKind::kRecord, Priority::kNormal, "seq"), "actions");
  ASSERT_TRUE(append_log(*buffer).is_ok());
  ASSERT_TRUE(append_seq(*buffer, 0, 0).is_ok());
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  EXPECT_EQ(kinds_in(dir.path() + "/lanes/logs")[RecordKind::kLog], 1u);
  EXPECT_EQ(read_seq_records(dir.path() + "/lanes/actions").size(), 1u);
  EXPECT_TRUE(read_seq_records(dir.path()).empty());
  const BufferStats s = buffer->stats();
  ASSERT_NE(lane_stats(s, "logs"), nullptr);
  EXPECT_FALSE(lane_stats(s, "logs")->retired);
  // Its records were not rewritten by a process that declared nothing.
  EXPECT_EQ(recorded_lane(dir.path(), "logs")->value().max_bytes, 8u << 20);
}

TEST(BufferLanes, AWriterRecordsALaneItNoLongerDeclaresAsRetired) {
  TempDir dir;
  { ASSERT_TRUE(open_buffer(dir.path(), two_lanes())); }
  Options o = small_buffer_options();
  o.lanes = {lane("logs", {"log"})};
  { ASSERT_TRUE(open_buffer(dir.path(), o)); }
  auto actions = recorded_lane(dir.path(), "actions");
  ASSERT_TRUE(actions.is_ok()) << actions.status().to_string();
  ASSERT_TRUE(actions->has_value());
  EXPECT_TRUE((*actions)->route.empty());
  // A process that declares nothing now routes seq records to the default lane.
  auto buffer = open_buffer(dir.path(), small_buffer_options());
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer->lane_of(RecordKind::kRecord, Priority::kNormal, "seq"), "default");
  EXPECT_EQ(buffer->lane_of(RecordKind::kLog, Priority::kNormal), "logs");
  EXPECT_TRUE(lane_stats(buffer->stats(), "actions")->retired);
}

TEST(BufferLanes, ADamagedLaneRecordIsRefusedNamingIt) {
  TempDir dir;
  { ASSERT_TRUE(open_buffer(dir.path(), two_lanes())); }
  const std::string record = dir.path() + "/lanes/logs/LANE";
  FILE* f = std::fopen(record.c_str(), "a");
  ASSERT_NE(f, nullptr);
  std::fputs("max_bytes 1\n", f);
  std::fclose(f);
  auto buffer = Buffer::open(dir.path(), small_buffer_options());
  ASSERT_FALSE(buffer.is_ok());
  EXPECT_EQ(buffer.status().code(), StatusCode::kCorruption);
  EXPECT_NE(buffer.status().message().find(record), std::string::npos) << buffer.status().message();
  // A writer that declares its lanes writes a good record again.
  ASSERT_TRUE(open_buffer(dir.path(), two_lanes()));
  EXPECT_TRUE(recorded_lane(dir.path(), "logs").is_ok());
}

TEST(BufferLanes, ABadLaneConfigurationIsRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  Options o = small_buffer_options();
  o.lanes = {lane("a", {"span"}), lane("b", {"span"})};
  auto buffer = Buffer::open(dir.path() + "/log", o);
  ASSERT_FALSE(buffer.is_ok());
  EXPECT_EQ(buffer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(buffer.status().message().find("lanes 'a' and 'b'"), std::string::npos)
      << buffer.status().message();
  struct stat st;
  EXPECT_NE(::lstat((dir.path() + "/log").c_str(), &st), 0);
}

TEST(BufferLanes, ALanesEntryThatIsNotADirectoryIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(open_buffer(dir.path(), small_buffer_options())); }
  ASSERT_EQ(::symlink("/tmp", (dir.path() + "/lanes").c_str()), 0);
  auto buffer = Buffer::open(dir.path(), two_lanes());
  ASSERT_FALSE(buffer.is_ok());
  EXPECT_NE(buffer.status().message().find("lanes"), std::string::npos)
      << buffer.status().message();
}

TEST(BufferLanes, ALaneOpensWithItsOwnSettings) {
  TempDir dir;
  Options o = small_buffer_options();
  LaneOptions logs = lane("logs", {"log"});
  logs.max_bytes = 16ull << 20;
  logs.max_age_ms = 3'600'000;
  o.lanes = {logs};
  {
    auto buffer = open_buffer(dir.path(), o);
    ASSERT_TRUE(buffer);
  }
  auto recorded = segment::log_options_from_marker(dir.path() + "/lanes/logs");
  ASSERT_TRUE(recorded.is_ok()) << recorded.status().to_string();
  EXPECT_EQ(recorded->retention_bytes, 16ull << 20);
  EXPECT_EQ(recorded->retention_max_age_ms, 3'600'000u);
  EXPECT_EQ(recorded->segment_bytes, 1ull << 20);  // the Buffer's 1 MiB is below 16 MiB / 8
  auto default_lane = segment::log_options_from_marker(dir.path());
  ASSERT_TRUE(default_lane.is_ok());
  EXPECT_EQ(default_lane->retention_bytes, 0u);
}

// One thread appends to two lanes: a flood of logs into a tiny drop_oldest lane evicts only
// logs; every span, in a blocking lane, is written.
TEST(BufferLanes, AFloodInOneLaneNeverEvictsAnotherLanesRecords) {
  TempDir dir;
  Options o = small_buffer_options();
  LaneOptions logs = lane("logs", {"log"});
  logs.full_policy = FullPolicy::kDropOldest;
  logs.queue_bytes = 8192;
  LaneOptions spans = lane("spans", {"span"});
  spans.full_policy = FullPolicy::kBlock;
  spans.block_timeout_ms = 30'000;
  o.lanes = {logs, spans};
  o.producer_ring_bytes = 8192;
  auto buffer = open_buffer(dir.path(), o);
  ASSERT_TRUE(buffer);
  constexpr int kSpans = 2000;
  for (int i = 0; i < kSpans; ++i) {
    for (int j = 0; j < 50; ++j) ASSERT_TRUE(append_log(*buffer).is_ok());
    ASSERT_TRUE(append_span(*buffer).is_ok());
  }
  ASSERT_TRUE(buffer->flush(wait_ms()).is_ok());
  const BufferStats s = buffer->stats();
  const BufferStats& span_lane = lane_stats(s, "spans")->stats;
  EXPECT_EQ(span_lane.dropped_total(), 0u);
  EXPECT_EQ(span_lane.written, static_cast<std::uint64_t>(kSpans));
  EXPECT_EQ(kinds_in(dir.path() + "/lanes/spans")[RecordKind::kSpan],
            static_cast<std::uint64_t>(kSpans));
  const BufferStats& log_lane = lane_stats(s, "logs")->stats;
  expect_balanced(log_lane);
  expect_balanced(s);
  EXPECT_EQ(log_lane.appended, 50u * kSpans);
}

}  // namespace
}  // namespace spool
