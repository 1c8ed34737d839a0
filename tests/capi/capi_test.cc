// The C API (include/spool/spool.h, libspool.so): a C99 program appends 100k spans and they
// are all in the log, in order; the library exports only spool_* symbols and has a SONAME;
// every call reports bad input as a status with a message, never a crash; options by name;
// record structs from an older header (smaller struct_size) still work.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "spool/spool.h"
#include "support/producer_stamps.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool::testing {
namespace {

using nlohmann::json;

TEST(CApi, ACProgramAppendsOneHundredThousandSpansAllInTheLogInOrder) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ProcessResult run = run_process({CAPI_PROGRAM_PATH, dir, "100000"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json stats = json::parse(run.out);
  EXPECT_EQ(stats.at("role"), "writer");
  // 100k spans, a log, a metric, a raw record, and the garbage refused as malformed.
  EXPECT_EQ(stats.at("written").get<std::uint64_t>(), 100'003u);
  EXPECT_EQ(stats.at("dropped").at("malformed").get<std::uint64_t>(), 1u);
  EXPECT_EQ(stats.at("appended").get<std::uint64_t>(),
            stats.at("written").get<std::uint64_t>() + stats.at("dropped_total").get<std::uint64_t>());

  const StampCheck check = check_stamps(read_stamped_spans(dir));
  EXPECT_TRUE(check.offsets_gap_free);
  ASSERT_EQ(check.count.size(), 1u);
  EXPECT_EQ(check.count.begin()->second, 100'000u);
  EXPECT_TRUE(check.not_a_prefix.empty()) << check.not_a_prefix.front();
  EXPECT_EQ(check.unstamped, 3u);  // the log, the metric and the raw record

  // What the C structs carried is what the log holds.
  ProcessResult dump = spoolctl({"dump", dir, "--from", "0", "--max", "1"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  const json first = json::parse(dump.out);
  EXPECT_EQ(first.at("span").at("name"), "llm-call");
  EXPECT_EQ(first.at("span").at("model"), "small-model");
  EXPECT_NE(dump.out.find("\"cached\""), std::string::npos) << dump.out;
  ProcessResult tail = spoolctl({"dump", dir, "--from", "100000"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_NE(tail.out.find("hello from C"), std::string::npos) << tail.out;
  EXPECT_NE(tail.out.find("\"requests\""), std::string::npos) << tail.out;
  EXPECT_NE(tail.out.find("\"prediction\""), std::string::npos) << tail.out;
}

TEST(CApi, TheSharedLibraryExportsOnlyTheCApiAndHasASoname) {
  ProcessResult nm = run_process({"/usr/bin/nm", "-D", "--defined-only", LIBSPOOL_PATH});
  ASSERT_EQ(nm.exit_code, 0) << nm.err;
  std::istringstream lines(nm.out);
  std::string line;
  int exported = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string address, type, name;
    fields >> address >> type >> name;
    if (name.empty()) continue;
    EXPECT_EQ(name.rfind("spool_", 0), 0u) << "exported: " << line;
    ++exported;
  }
  EXPECT_GE(exported, 20);
  ProcessResult readelf = run_process({"/usr/bin/readelf", "-d", LIBSPOOL_PATH});
  ASSERT_EQ(readelf.exit_code, 0) << readelf.err;
  EXPECT_NE(readelf.out.find("Library soname: [libspool.so.0]"), std::string::npos) << readelf.out;
}

TEST(CApi, VersionAndStatusNames) {
  EXPECT_STREQ(spool_version(), SPOOL_PROJECT_VERSION);
  EXPECT_STREQ(spool_status_name(SPOOL_OK), "OK");
  EXPECT_STREQ(spool_status_name(SPOOL_LOCKED), "Locked");
  EXPECT_STREQ(spool_status_name(SPOOL_PERMISSION_DENIED), "PermissionDenied");
  EXPECT_STREQ(spool_status_name(SPOOL_INTERNAL), "Internal");
  EXPECT_STREQ(spool_status_name(static_cast<spool_status>(99)), "Unknown");
}

TEST(CApi, NullArgumentsAreErrorsWithAMessageNotCrashes) {
  spool_buffer* buffer = nullptr;
  EXPECT_EQ(spool_open(nullptr, nullptr, &buffer), SPOOL_INVALID_ARGUMENT);
  EXPECT_NE(std::string(spool_last_error()).find("spool_open"), std::string::npos);
  EXPECT_EQ(spool_append_span(nullptr, nullptr), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_flush(nullptr, 0), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_options_set(nullptr, "role", "auto"), SPOOL_INVALID_ARGUMENT);
  char* json_text = nullptr;
  EXPECT_EQ(spool_stats_json(nullptr, &json_text), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_close(nullptr), SPOOL_OK);
  spool_options_free(nullptr);
  spool_free(nullptr);
  EXPECT_STREQ(spool_role(nullptr), "");
}

TEST(CApi, OptionsAreSetByNameAndBadOnesAreNamed) {
  spool_options* options = nullptr;
  ASSERT_EQ(spool_options_new(&options), SPOOL_OK);
  EXPECT_EQ(spool_options_set(options, "queue_bytes", "8388608"), SPOOL_OK);
  EXPECT_EQ(spool_options_set(options, "durability", "batch"), SPOOL_OK);
  EXPECT_EQ(spool_options_set(options, "file_mode", "0640"), SPOOL_OK);
  EXPECT_EQ(spool_options_set(options, "adaptive_budget", "false"), SPOOL_OK);
  EXPECT_EQ(spool_options_set(options, "sample_above_fill", "0.25"), SPOOL_OK);

  EXPECT_EQ(spool_options_set(options, "queue_bytes", "lots"), SPOOL_INVALID_ARGUMENT);
  EXPECT_NE(std::string(spool_last_error()).find("queue_bytes"), std::string::npos) << spool_last_error();
  EXPECT_EQ(spool_options_set(options, "queue_bytes", "-1"), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_options_set(options, "block_timeout_ms", "99999999999"), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_options_set(options, "file_mode", "0999"), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_options_set(options, "sample_above_fill", "2"), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_options_set(options, "colour", "blue"), SPOOL_INVALID_ARGUMENT);
  const std::string message = spool_last_error();
  EXPECT_NE(message.find("colour"), std::string::npos) << message;
  EXPECT_NE(message.find("full_policy"), std::string::npos) << "lists the known options: " << message;

  TempDir tmp;
  const std::string dir = tmp.sub("log");
  spool_buffer* buffer = nullptr;
  ASSERT_EQ(spool_open(dir.c_str(), options, &buffer), SPOOL_OK) << spool_last_error();
  spool_options_free(options);
  EXPECT_STREQ(spool_role(buffer), "writer");
  ASSERT_EQ(spool_append_raw(buffer, spool_str_of("run"), "x", 1, SPOOL_PRIORITY_NORMAL), SPOOL_OK);
  ASSERT_EQ(spool_flush(buffer, 0), SPOOL_OK);
  EXPECT_EQ(spool_close(buffer), SPOOL_OK);
}

// Lanes by name: lane.NAME.FIELD declares the lane at its first option; records of the kinds
// its route takes land in DIR/lanes/NAME, and the stats JSON shows each lane.
TEST(CApi, LanesAreOptionsByName) {
  spool_options* options = nullptr;
  ASSERT_EQ(spool_options_new(&options), SPOOL_OK);
  ASSERT_EQ(spool_options_set(options, "lane.actions.route", "record:run"), SPOOL_OK)
      << spool_last_error();
  ASSERT_EQ(spool_options_set(options, "lane.actions.full_policy", "block"), SPOOL_OK)
      << spool_last_error();
  ASSERT_EQ(spool_options_set(options, "lane.actions.max_bytes", "16777216"), SPOOL_OK)
      << spool_last_error();
  EXPECT_EQ(spool_options_set(options, "lane.actions.full_policy", "never"),
            SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_options_set(options, "lane.actions.colour", "blue"), SPOOL_INVALID_ARGUMENT);
  EXPECT_NE(std::string(spool_last_error()).find("unknown lane field 'colour'"), std::string::npos)
      << spool_last_error();
  EXPECT_EQ(spool_options_set(options, "lane.nofield", "1"), SPOOL_INVALID_ARGUMENT);

  TempDir tmp;
  const std::string dir = tmp.sub("log");
  spool_buffer* buffer = nullptr;
  ASSERT_EQ(spool_open(dir.c_str(), options, &buffer), SPOOL_OK) << spool_last_error();
  spool_options_free(options);
  ASSERT_EQ(spool_append_raw(buffer, spool_str_of("run"), "x", 1, SPOOL_PRIORITY_NORMAL), SPOOL_OK);
  ASSERT_EQ(spool_append_raw(buffer, spool_str_of("other"), "y", 1, SPOOL_PRIORITY_NORMAL),
            SPOOL_OK);
  ASSERT_EQ(spool_flush(buffer, 0), SPOOL_OK);
  char* json = nullptr;
  ASSERT_EQ(spool_stats_json(buffer, &json), SPOOL_OK);
  const std::string text(json);
  spool_free(json);
  EXPECT_NE(text.find("\"lanes\":[{\"name\":\"default\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"name\":\"actions\""), std::string::npos) << text;
  EXPECT_EQ(spool_close(buffer), SPOOL_OK);
  struct stat st;
  EXPECT_EQ(::stat((dir + "/lanes/actions/SPOOL_LOG").c_str(), &st), 0);
}

TEST(CApi, ErrorsAreThreadLocalAndAppendsReportWhyTheyFailed) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  spool_options* options = nullptr;
  ASSERT_EQ(spool_options_new(&options), SPOOL_OK);
  ASSERT_EQ(spool_options_set(options, "max_record_bytes", "65536"), SPOOL_OK);
  spool_buffer* buffer = nullptr;
  ASSERT_EQ(spool_open(dir.c_str(), options, &buffer), SPOOL_OK) << spool_last_error();
  spool_options_free(options);

  const std::string big(100'000, 'x');
  spool_span span;
  spool_span_init(&span);
  span.name = spool_str_of("big");
  span.input = spool_str{big.data(), big.size()};
  EXPECT_EQ(spool_append_span(buffer, &span), SPOOL_INVALID_ARGUMENT);
  const std::string too_large = spool_last_error();
  EXPECT_NE(too_large.find("too large"), std::string::npos) << too_large;

  std::thread other([&] {
    EXPECT_STREQ(spool_last_error(), "") << "another thread's error is not this one's";
    spool_span bad;
    spool_span_init(&bad);
    bad.priority = 7;
    EXPECT_EQ(spool_append_span(buffer, &bad), SPOOL_INVALID_ARGUMENT);
    EXPECT_NE(std::string(spool_last_error()).find("priority"), std::string::npos);
  });
  other.join();
  EXPECT_EQ(spool_last_error(), too_large) << "unchanged by the other thread";

  spool_attribute attribute;
  std::memset(&attribute, 0, sizeof attribute);
  attribute.key = spool_str_of("k");
  attribute.type = 9;
  spool_span_init(&span);
  span.attributes = &attribute;
  span.attribute_count = 1;
  EXPECT_EQ(spool_append_span(buffer, &span), SPOOL_INVALID_ARGUMENT);
  EXPECT_NE(std::string(spool_last_error()).find("type 9"), std::string::npos) << spool_last_error();
  span.attributes = nullptr;
  EXPECT_EQ(spool_append_span(buffer, &span), SPOOL_INVALID_ARGUMENT) << "a count with no array";

  spool_metric metric;
  spool_metric_init(&metric);
  const double bounds[] = {1, 2};
  const std::uint64_t counts[] = {1, 2};
  metric.kind = 2;
  metric.bucket_bounds = bounds;
  metric.bucket_bound_count = 2;
  metric.bucket_counts = counts;
  metric.bucket_count_count = 2;
  EXPECT_EQ(spool_append_metric(buffer, &metric), SPOOL_INVALID_ARGUMENT) << "bounds + 1 counts";
  EXPECT_EQ(spool_close(buffer), SPOOL_OK);
}

// A caller compiled against an older spool.h: its spool_span ends before `priority`.
TEST(CApi, ARecordStructFromAnOlderHeaderKeepsTheNewFieldsDefaults) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  spool_buffer* buffer = nullptr;
  ASSERT_EQ(spool_open(dir.c_str(), nullptr, &buffer), SPOOL_OK) << spool_last_error();
  spool_span span;
  spool_span_init(&span);
  span.name = spool_str_of("old caller");
  span.priority = 99;  // past struct_size: never read
  span.struct_size = offsetof(spool_span, priority);
  EXPECT_EQ(spool_append_span(buffer, &span), SPOOL_OK) << spool_last_error();
  ASSERT_EQ(spool_flush(buffer, 0), SPOOL_OK);
  char* text = nullptr;
  ASSERT_EQ(spool_stats_json(buffer, &text), SPOOL_OK);
  EXPECT_EQ(json::parse(text).at("written").get<std::uint64_t>(), 1u);
  spool_free(text);
  EXPECT_EQ(spool_close(buffer), SPOOL_OK);
  ProcessResult dump = spoolctl({"dump", dir});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(json::parse(dump.out).at("priority"), "normal");
}

TEST(CApi, AForwarderDeliversTheLogToAFileAndStops) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  spool_buffer* buffer = nullptr;
  ASSERT_EQ(spool_open(dir.c_str(), nullptr, &buffer), SPOOL_OK) << spool_last_error();
  spool_forwarder* forwarder = nullptr;
  EXPECT_EQ(spool_forwarder_start(buffer, "ftp://nowhere", nullptr, &forwarder), SPOOL_INVALID_ARGUMENT);
  EXPECT_NE(std::string(spool_last_error()).find("ftp://nowhere"), std::string::npos);
  const std::string out = tmp.path() + "/out.jsonl";
  ASSERT_EQ(spool_forwarder_start(buffer, ("file:" + out).c_str(), "archive", &forwarder), SPOOL_OK)
      << spool_last_error();
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(spool_append_raw(buffer, spool_str_of("run"), &i, sizeof i, SPOOL_PRIORITY_NORMAL), SPOOL_OK);
  }
  ASSERT_EQ(spool_flush(buffer, 0), SPOOL_OK);
  char* text = nullptr;
  ASSERT_EQ(spool_forwarder_stats_json(forwarder, &text), SPOOL_OK);
  EXPECT_EQ(json::parse(text).at("cursor"), "archive");
  spool_free(text);
  EXPECT_EQ(spool_forwarder_stop(forwarder), SPOOL_OK) << spool_last_error();
  const std::string delivered = read_file(out);
  EXPECT_EQ(std::count(delivered.begin(), delivered.end(), '\n'), 50);
  EXPECT_EQ(spool_close(buffer), SPOOL_OK);
}

// What a visitor saw: offset, kind, record type and data of each record.
struct Visited {
  std::vector<std::uint64_t> offsets;
  std::vector<std::string> types;
  std::vector<int> data;
  int stop_after = -1;  // stop the scan after this many records (-1: never)
};

extern "C" int visit_record(const spool_stored_record* r, void* context) {
  auto* seen = static_cast<Visited*>(context);
  seen->offsets.push_back(r->offset);
  seen->types.emplace_back(r->record_type.data, r->record_type.len);
  int value = -1;
  if (r->data_len == sizeof value) std::memcpy(&value, r->data, sizeof value);
  seen->data.push_back(value);
  return seen->stop_after >= 0 && static_cast<int>(seen->offsets.size()) >= seen->stop_after ? 1 : 0;
}

TEST(CApi, AReaderScansBySelectionAndFindsTheLatestCheckpoint) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  spool_buffer* buffer = nullptr;
  ASSERT_EQ(spool_open(dir.c_str(), nullptr, &buffer), SPOOL_OK) << spool_last_error();
  for (int i = 0; i < 30; ++i) {
    const char* type = i % 10 == 0 ? "checkpoint" : "run";
    ASSERT_EQ(spool_append_raw(buffer, spool_str_of(type), &i, sizeof i, SPOOL_PRIORITY_HIGH), SPOOL_OK);
  }
  ASSERT_EQ(spool_flush(buffer, 0), SPOOL_OK);
  EXPECT_EQ(spool_close(buffer), SPOOL_OK);

  spool_reader* reader = nullptr;
  EXPECT_EQ(spool_reader_open((tmp.path() + "/missing").c_str(), &reader), SPOOL_NOT_FOUND);
  ASSERT_EQ(spool_reader_open(dir.c_str(), &reader), SPOOL_OK) << spool_last_error();
  spool_read_selection sel;
  spool_read_selection_init(&sel);
  Visited all;
  ASSERT_EQ(spool_reader_scan(reader, &sel, visit_record, &all), SPOOL_OK) << spool_last_error();
  ASSERT_EQ(all.offsets.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(all.data[static_cast<std::size_t>(i)], i);

  sel.from_offset = 5;
  sel.until_offset = 25;
  sel.kind = 4;  // record
  sel.record_type = spool_str_of("checkpoint");
  Visited checkpoints;
  ASSERT_EQ(spool_reader_scan(reader, &sel, visit_record, &checkpoints), SPOOL_OK);
  EXPECT_EQ(checkpoints.offsets, (std::vector<std::uint64_t>{10, 20}));
  EXPECT_EQ(checkpoints.types, (std::vector<std::string>{"checkpoint", "checkpoint"}));

  spool_read_selection_init(&sel);
  Visited first_three;
  first_three.stop_after = 3;
  ASSERT_EQ(spool_reader_scan(reader, &sel, visit_record, &first_three), SPOOL_OK);
  EXPECT_EQ(first_three.offsets, (std::vector<std::uint64_t>{0, 1, 2}));

  Visited latest;
  ASSERT_EQ(spool_reader_latest(reader, spool_str_of("checkpoint"), visit_record, &latest), SPOOL_OK);
  EXPECT_EQ(latest.offsets, (std::vector<std::uint64_t>{20}));
  EXPECT_EQ(latest.data, (std::vector<int>{20}));
  EXPECT_EQ(spool_reader_latest(reader, spool_str_of("never"), visit_record, &latest), SPOOL_NOT_FOUND);
  EXPECT_NE(std::string(spool_last_error()).find("never"), std::string::npos);
  sel.until_offset = 0;
  sel.from_offset = 1;
  EXPECT_EQ(spool_reader_scan(reader, &sel, visit_record, &latest), SPOOL_INVALID_ARGUMENT);
  EXPECT_EQ(spool_reader_scan(reader, nullptr, visit_record, &latest), SPOOL_INVALID_ARGUMENT);
  spool_reader_close(reader);
  spool_reader_close(nullptr);
}

}  // namespace
}  // namespace spool::testing
