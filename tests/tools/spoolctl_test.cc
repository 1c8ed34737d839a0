// spoolctl, driven as a user drives it: the real binary in a child process, stdin and stdout
// through pipes, files damaged on disk the way crashes and bad media damage them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "segment/frame_format.h"
#include "segment/segment_header.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "engine/sinks/base64.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::TempDir;

using testing::lines_of;
using testing::spoolctl;

std::vector<std::uint64_t> parse_acks(const std::string& out) {
  std::vector<std::uint64_t> acks;
  for (const std::string& line : lines_of(out)) acks.push_back(std::stoull(line));
  return acks;
}

struct DumpedRecord {
  std::uint64_t offset;
  std::int64_t timestamp;
  int type;
  std::string type_name;
  std::string payload;
};

// Runs dump and decodes every line; fails the test on anything malformed.
std::vector<DumpedRecord> dump(const std::string& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"dump", dir};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = spoolctl(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<DumpedRecord> records;
  for (const std::string& line : lines_of(r.out)) {
    json j = json::parse(line);
    auto payload = engine::base64_decode(j.at("payload_b64").get<std::string>());
    EXPECT_TRUE(payload.has_value()) << line;
    records.push_back(DumpedRecord{j.at("offset").get<std::uint64_t>(),
                                   j.at("timestamp").get<std::int64_t>(), j.at("type").get<int>(),
                                   j.at("type_name").get<std::string>(), payload.value_or("")});
  }
  return records;
}

json run_json(const std::vector<std::string>& args, int expected_exit) {
  ProcessResult r = spoolctl(args);
  EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
  const auto lines = lines_of(r.out);
  EXPECT_EQ(lines.size(), 1u) << r.out;
  return lines.empty() ? json() : json::parse(lines.front());
}

std::string line_payload(std::uint64_t i) { return "record-" + std::to_string(i) + "-payload"; }

// Lines whose payloads all have the same length, so frame positions are easy to compute.
std::string fixed_lines(std::uint64_t from, std::uint64_t count) {
  std::string text;
  char buf[32];
  for (std::uint64_t i = from; i < from + count; ++i) {
    std::snprintf(buf, sizeof buf, "fixed-%08llu\n", static_cast<unsigned long long>(i));
    text += buf;
  }
  return text;
}
constexpr std::uint64_t kFixedPayloadBytes = 14;  // "fixed-%08llu"

std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

void overwrite_at(const std::string& path, std::uint64_t position, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(position)),
            static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::string read_at(const std::string& path, std::uint64_t position, std::size_t len) {
  const std::string all = testing::read_file(path);
  return all.substr(position, len);
}

// ---------------------------------------------------------------------------------------
// Help and usage errors

TEST(SpoolctlUsage, TopLevelHelpListsCommands) {
  ProcessResult r = spoolctl({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* command : {"append", "dump", "verify", "recover"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
}

TEST(SpoolctlUsage, EveryCommandHasHelp) {
  for (const char* command : {"append", "dump", "verify", "recover"}) {
    ProcessResult r = spoolctl({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_NE(r.out.find("DIR"), std::string::npos) << command;
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
}

TEST(SpoolctlUsage, BadArgumentsExit2WithAMessage) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir}, "x\n").exit_code, 0);
  const std::vector<std::vector<std::string>> cases = {
      {},                   // no command
      {"frobnicate", dir},  // unknown command
      {"dump"},             // missing DIR
      {"verify"},
      {"recover"},
      {"append"},
      {"dump", dir, "--from", "-1"},  // negative offset
      {"dump", dir, "--from", "abc"},
      {"dump", dir, "--max", "1.5"},
      {"dump", dir, "--max"},                              // option without its value
      {"dump", dir, "--from", "99999999999999999999999"},  // overflows 64 bits
      {"dump", dir, "--bogus"},                            // unknown option
      {"verify", dir, "extra"},                            // extra positional
      {"append", dir, "--segment-bytes", "lots"},
      {"append", dir, "--segment-bytes", "-4096"},
      {"append", dir, "--segment-bytes", "10"},  // below the minimum segment size
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    ProcessResult r = spoolctl(args, "y\n");
    EXPECT_EQ(r.exit_code, 2) << shown << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << shown;
  }
  ProcessResult unknown = spoolctl({"frobnicate", dir});
  EXPECT_NE(unknown.err.find("unknown command"), std::string::npos) << unknown.err;
  // None of the refused appends wrote anything.
  ASSERT_EQ(dump(dir).size(), 1u);
}

TEST(SpoolctlUsage, MissingDirectoryIsAnErrorForReaders) {
  TempDir tmp;
  const std::string missing = tmp.sub("no-such-log");
  for (const char* command : {"dump", "verify", "recover"}) {
    ProcessResult r = spoolctl({command, missing});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << command << ": " << r.err;
    EXPECT_NE(r.err.find(missing), std::string::npos) << command << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a reader created the directory";
}

TEST(SpoolctlUsage, DirectoryThatIsNotALogIsAnError) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.sub("empty"));
  testing::write_file(tmp.sub("file"), "not a directory");
  for (const char* command : {"dump", "verify", "recover"}) {
    ProcessResult r = spoolctl({command, tmp.sub("empty")});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_FALSE(r.err.empty()) << command;
    r = spoolctl({command, tmp.sub("file")});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_FALSE(r.err.empty()) << command;
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.sub("empty"))) << "recover wrote into a non-log";
}

TEST(SpoolctlUsage, AppendCreatesTheDirectoryOnlyIfItsParentExists) {
  TempDir tmp;
  ProcessResult r = spoolctl({"append", tmp.sub("a/b/log")}, "x\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
  EXPECT_FALSE(std::filesystem::exists(tmp.sub("a")));

  r = spoolctl({"append", tmp.sub("log"), "--ack"}, "x\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
  EXPECT_TRUE(std::filesystem::is_directory(tmp.sub("log")));
}

// ---------------------------------------------------------------------------------------
// append and dump

TEST(SpoolctlAppendDump, RoundTripsLinesExactly) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::vector<std::string> lines = {
      "plain text",
      "",  // empty line: empty record
      std::string("nul\0byte", 8),
      "\xff\xfe\x80 not utf-8 \xc3\x28",
      "carriage return kept\r",
      "\ttabs and \"quotes\" and \\backslashes\\",
      "",
      "last line without newline",
  };
  std::string input;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    input += lines[i];
    if (i + 1 < lines.size()) input += '\n';
  }
  ProcessResult r = spoolctl({"append", dir, "--ack"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto acks = parse_acks(r.out);
  ASSERT_EQ(acks.size(), lines.size());
  for (std::size_t i = 0; i < acks.size(); ++i) EXPECT_EQ(acks[i], i);

  const auto records = dump(dir);
  ASSERT_EQ(records.size(), lines.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].offset, i);
    EXPECT_EQ(records[i].payload, lines[i]) << "record " << i;
    EXPECT_EQ(records[i].type, 0);
    EXPECT_EQ(records[i].type_name, "raw");
    EXPECT_GT(records[i].timestamp, 1'500'000'000'000'000'000);  // ns after 2017
  }
}

TEST(SpoolctlAppendDump, TrailingNewlineDoesNotAddARecordAndEmptyInputAddsNone) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ProcessResult r = spoolctl({"append", dir, "--ack"}, "a\nb\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n1\n");
  r = spoolctl({"append", dir, "--ack"}, "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = spoolctl({"append", dir, "--ack"}, "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n");
  const auto records = dump(dir);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].payload, "");
}

TEST(SpoolctlAppendDump, AppendWithoutAckPrintsNothing) {
  TempDir tmp;
  ProcessResult r = spoolctl({"append", tmp.sub("log")}, "a\nb\nc\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(dump(tmp.sub("log")).size(), 3u);
}

TEST(SpoolctlAppendDump, AcksStartAtZeroAndContinueAfterReopen) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ProcessResult r = spoolctl({"append", dir, "--ack"}, "a\nb\nc\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n1\n2\n");
  r = spoolctl({"append", dir, "--ack"}, "d\ne\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "3\n4\n");
  const auto records = dump(dir);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[3].payload, "d");
  EXPECT_EQ(records[4].offset, 4u);
}

TEST(SpoolctlAppendDump, FromAndMaxSelectARange) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  std::string input;
  for (int i = 0; i < 20; ++i) input += line_payload(i) + "\n";
  ASSERT_EQ(spoolctl({"append", dir, "--segment-bytes", "512"}, input).exit_code, 0);

  auto records = dump(dir, {"--from", "5", "--max", "4"});
  ASSERT_EQ(records.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(records[i].offset, 5 + i);
    EXPECT_EQ(records[i].payload, line_payload(5 + i));
  }
  EXPECT_EQ(dump(dir, {"--from", "17"}).size(), 3u);
  EXPECT_EQ(dump(dir, {"--from", "20"}).size(), 0u);
  EXPECT_EQ(dump(dir, {"--from", "1000"}).size(), 0u);
  EXPECT_EQ(dump(dir, {"--max", "0"}).size(), 0u);
  EXPECT_EQ(dump(dir, {"--max", "3"}).back().offset, 2u);
  EXPECT_EQ(dump(dir).size(), 20u);
}

TEST(SpoolctlAppendDump, BulkInputAcrossManySegments) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  constexpr int kRecords = 20000;
  std::string input;
  for (int i = 0; i < kRecords; ++i) input += line_payload(i) + "\n";
  ProcessResult r = spoolctl({"append", dir, "--ack", "--segment-bytes", "64KiB"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto acks = parse_acks(r.out);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) ASSERT_EQ(acks[i], static_cast<std::uint64_t>(i));

  const auto segments = segment_files(dir);
  EXPECT_GT(segments.size(), 5u);
  for (const auto& path : segments) EXPECT_LE(std::filesystem::file_size(path), 64u * 1024) << path;

  const auto records = dump(dir);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_EQ(records[i].offset, static_cast<std::uint64_t>(i));
    ASSERT_EQ(records[i].payload, line_payload(i));
  }
}

TEST(SpoolctlAppendDump, ReopeningWithoutSegmentBytesKeepsTheLogsSegmentSize) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir, "--segment-bytes", "4096"}, fixed_lines(0, 10)).exit_code, 0);
  ASSERT_EQ(spoolctl({"append", dir}, fixed_lines(10, 200)).exit_code, 0);
  ASSERT_EQ(spoolctl({"recover", dir}).exit_code, 0);
  for (const auto& path : segment_files(dir))
    EXPECT_LE(std::filesystem::file_size(path), 4096u) << path;
  EXPECT_GT(segment_files(dir).size(), 1u);
}

TEST(SpoolctlAppendDump, RecordTooLargeForASegmentIsRefusedAfterTheLinesBeforeIt) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  const std::string input = "small-1\nsmall-2\n" + std::string(1000, 'x') + "\nnever\n";
  ProcessResult r = spoolctl({"append", dir, "--ack", "--segment-bytes", "512"}, input);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "0\n1\n");
  const auto records = dump(dir);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].payload, "small-2");
  EXPECT_EQ(run_json({"verify", dir}, 0)["records"], 2);
}

TEST(SpoolctlAppendDump, DumpAndVerifyNeverModifyFiles) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  // A log left without a clean shutdown and with a torn tail: what a read-write open would
  // repair. Readers must leave it exactly as it is.
  ChildProcess writer({SPOOLCTL_PATH, "append", dir, "--ack", "--segment-bytes", "4096"});
  ASSERT_TRUE(writer.write_stdin(fixed_lines(0, 100)));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer.read_line().has_value());
  writer.kill(SIGKILL);
  writer.wait();
  const std::string last = segment_files(dir).back();
  const std::uint64_t data_end =
      segment::kSegmentHeaderBytes +
      (100 % ((4096 - segment::kSegmentHeaderBytes) / segment::frame_size(kFixedPayloadBytes))) *
          segment::frame_size(kFixedPayloadBytes);
  overwrite_at(last, data_end, "torn");

  std::map<std::string, std::string> before;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    before[e.path().filename().string()] = testing::read_file(e.path().string());
  }
  EXPECT_EQ(dump(dir).size(), 100u);
  spoolctl({"verify", dir});
  std::map<std::string, std::string> after;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    after[e.path().filename().string()] = testing::read_file(e.path().string());
  }
  EXPECT_TRUE(before == after) << "dump or verify changed the log directory";
}

// ---------------------------------------------------------------------------------------
// verify and recover

TEST(SpoolctlVerify, CleanLogExitsZeroWithCounts) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir, "--segment-bytes", "1024"}, fixed_lines(0, 100)).exit_code, 0);
  json v = run_json({"verify", dir}, 0);
  EXPECT_EQ(v["records"], 100);
  EXPECT_EQ(v["first_offset"], 0);
  EXPECT_EQ(v["last_offset"], 99);
  EXPECT_EQ(v["corrupt_frames"], 0);
  EXPECT_EQ(v["skipped_bytes"], 0);
  EXPECT_EQ(v["segments"], segment_files(dir).size());
  EXPECT_GT(v["segments"].get<int>(), 1);
  EXPECT_TRUE(v["damage"].is_array());
  EXPECT_TRUE(v["damage"].empty());
}

TEST(SpoolctlVerify, EmptyLogHasNullOffsets) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir}, "").exit_code, 0);
  json v = run_json({"verify", dir}, 0);
  EXPECT_EQ(v["records"], 0);
  EXPECT_TRUE(v["first_offset"].is_null());
  EXPECT_TRUE(v["last_offset"].is_null());
  EXPECT_EQ(v["segments"], 1);
  EXPECT_TRUE(dump(dir).empty());
}

TEST(SpoolctlVerify, FlippedByteInASealedSegmentCostsOneFrame) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir, "--segment-bytes", "1024"}, fixed_lines(0, 100)).exit_code, 0);
  const auto segments = segment_files(dir);
  ASSERT_GT(segments.size(), 2u);
  // Frame 3 of the first (sealed) segment: its offset is 3. Flip a payload byte.
  const std::uint64_t frame = segment::frame_size(kFixedPayloadBytes);
  const std::uint64_t position =
      segment::kSegmentHeaderBytes + 3 * frame + segment::kFrameHeaderBytes + 2;
  std::string byte = read_at(segments[0], position, 1);
  byte[0] = static_cast<char>(byte[0] ^ 0x40);
  overwrite_at(segments[0], position, byte);

  json v = run_json({"verify", dir}, 1);
  EXPECT_GE(v["corrupt_frames"].get<int>(), 1);
  EXPECT_GT(v["skipped_bytes"].get<int>(), 0);
  EXPECT_EQ(v["records"], 99);
  EXPECT_EQ(v["first_offset"], 0);
  EXPECT_EQ(v["last_offset"], 99);
  ASSERT_EQ(v["damage"].size(), 1u);
  EXPECT_EQ(v["damage"][0]["segment"], 0);
  EXPECT_EQ(v["damage"][0]["from_byte"], segment::kSegmentHeaderBytes + 3 * frame);
  EXPECT_EQ(v["damage"][0]["to_byte"], segment::kSegmentHeaderBytes + 4 * frame);
  EXPECT_FALSE(v["damage"][0]["reason"].get<std::string>().empty());

  const auto records = dump(dir);
  ASSERT_EQ(records.size(), 99u);
  for (const auto& r : records) EXPECT_NE(r.offset, 3u);

  // Damage inside a sealed segment is kept in place (and skipped), not cut.
  json rec = run_json({"recover", dir}, 0);
  EXPECT_TRUE(rec["truncated"].empty());
  ASSERT_EQ(rec["skipped"].size(), 1u);
  EXPECT_EQ(rec["skipped"][0]["segment"], 0);
  EXPECT_EQ(rec["skipped"][0]["bytes"], frame);
  run_json({"verify", dir}, 1);

  // The log stays writable after the damage and offsets go on.
  ProcessResult r = spoolctl({"append", dir, "--ack"}, "more\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "100\n");
}

// A partial frame (the first bytes of a real one) or garbage right after the last frame of
// the active segment: a write torn by a crash.
void check_torn_tail_is_cut(const std::string& garbage_kind) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir, "--segment-bytes", "64KiB"}, fixed_lines(0, 10)).exit_code, 0);
  const auto segments = segment_files(dir);
  ASSERT_EQ(segments.size(), 1u);
  const std::uint64_t frame = segment::frame_size(kFixedPayloadBytes);
  const std::uint64_t data_end = segment::kSegmentHeaderBytes + 10 * frame;
  json clean = run_json({"verify", dir}, 0);
  ASSERT_EQ(clean["segment_files"].size(), 1u);
  EXPECT_EQ(clean["segment_files"][0]["data_end"], data_end);
  EXPECT_EQ(clean["segment_files"][0]["records"], 10);
  std::string torn;
  if (garbage_kind == "partial frame") {
    // The first 30 bytes of frame 9 (valid magic and length, cut short) at the end.
    torn = read_at(segments[0], data_end - frame, 30);
  } else {
    torn = "\x13garbage\x37";
  }
  overwrite_at(segments[0], data_end, torn);
  // Zero bytes after the damage look like the preallocated, unwritten rest of the segment.
  const std::uint64_t torn_end = data_end + torn.find_last_not_of('\0') + 1;

  json v = run_json({"verify", dir}, 1);
  EXPECT_EQ(v["records"], 10);
  EXPECT_EQ(v["corrupt_frames"], 1);
  EXPECT_EQ(v["skipped_bytes"], torn_end - data_end);
  ASSERT_EQ(v["damage"].size(), 1u);
  EXPECT_EQ(v["damage"][0]["from_byte"], data_end);
  EXPECT_EQ(v["damage"][0]["to_byte"], torn_end);

  json rec = run_json({"recover", dir}, 0);
  ASSERT_EQ(rec["truncated"].size(), 1u) << rec.dump();
  EXPECT_EQ(rec["truncated"][0]["segment"], 0);
  EXPECT_EQ(rec["truncated"][0]["from_byte"], data_end);
  EXPECT_EQ(rec["truncated"][0]["to_byte"], torn_end);
  EXPECT_EQ(rec["truncated"][0]["bytes"], torn_end - data_end);
  EXPECT_FALSE(rec["truncated"][0]["reason"].get<std::string>().empty());
  EXPECT_TRUE(rec["skipped"].empty());
  EXPECT_EQ(rec["next_offset"], 10);
  for (const char* key : {"clean_shutdown", "segments", "segments_scanned", "records_scanned",
                          "rebuilt_indexes", "removed_files", "notes"}) {
    EXPECT_TRUE(rec.contains(key)) << key;
  }

  json after = run_json({"verify", dir}, 0);
  EXPECT_EQ(after["records"], 10);
  EXPECT_EQ(after["corrupt_frames"], 0);
  // A second recovery finds nothing left to cut.
  EXPECT_TRUE(run_json({"recover", dir}, 0)["truncated"].empty());

  ProcessResult r = spoolctl({"append", dir, "--ack"}, "next\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "10\n");
  const auto records = dump(dir);
  ASSERT_EQ(records.size(), 11u);
  EXPECT_EQ(records.back().payload, "next");
}

TEST(SpoolctlRecover, CutsATornPartialFrame) { check_torn_tail_is_cut("partial frame"); }
TEST(SpoolctlRecover, CutsGarbageAfterTheLastFrame) { check_torn_tail_is_cut("garbage"); }

TEST(SpoolctlRecover, CutsALastFrameThatTheFileEndsInside) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir, "--segment-bytes", "64KiB"}, fixed_lines(0, 10)).exit_code, 0);
  const std::string seg = segment_files(dir).at(0);
  const std::uint64_t frame = segment::frame_size(kFixedPayloadBytes);
  const std::uint64_t last_frame = segment::kSegmentHeaderBytes + 9 * frame;
  // The file ends 5 bytes before the end of frame 9 (its padding and the payload's tail).
  std::filesystem::resize_file(seg, last_frame + frame - 5);

  json v = run_json({"verify", dir}, 1);
  EXPECT_EQ(v["records"], 9);
  EXPECT_EQ(v["last_offset"], 8);
  ASSERT_EQ(v["damage"].size(), 1u);
  EXPECT_EQ(v["damage"][0]["kind"], "truncated");
  EXPECT_EQ(v["damage"][0]["from_byte"], last_frame);

  json rec = run_json({"recover", dir}, 0);
  ASSERT_EQ(rec["truncated"].size(), 1u) << rec.dump();
  EXPECT_EQ(rec["truncated"][0]["from_byte"], last_frame);
  // The clean shutdown had handed out offset 9 already; offsets are never reused, so the
  // lost record leaves a gap rather than a second, different record 9.
  EXPECT_EQ(rec["next_offset"], 10);
  EXPECT_EQ(run_json({"verify", dir}, 0)["records"], 9);

  ProcessResult r = spoolctl({"append", dir, "--ack"}, "again\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "10\n");
  const auto records = dump(dir);
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records[8].offset, 8u);
  EXPECT_EQ(records[9].offset, 10u);
  EXPECT_EQ(records[9].payload, "again");
}

TEST(SpoolctlRecover, CleanLogReportsNothingCut) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ASSERT_EQ(spoolctl({"append", dir}, fixed_lines(0, 5)).exit_code, 0);
  json rec = run_json({"recover", dir}, 0);
  EXPECT_EQ(rec["clean_shutdown"], true);
  EXPECT_TRUE(rec["truncated"].empty());
  EXPECT_TRUE(rec["skipped"].empty());
  EXPECT_EQ(rec["next_offset"], 5);
  EXPECT_EQ(rec["segments"], 1);
}

// ---------------------------------------------------------------------------------------
// crashes and concurrency

TEST(SpoolctlCrash, KillDuringAckedAppendLosesNoAcknowledgedRecord) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ChildProcess writer({SPOOLCTL_PATH, "append", dir, "--ack", "--segment-bytes", "16KiB"});
  ASSERT_TRUE(writer.started());

  std::vector<std::uint64_t> acks;
  auto take_ack = [&](int timeout_ms) {
    auto line = writer.read_line(timeout_ms);
    if (line) acks.push_back(std::stoull(*line));
    return line.has_value();
  };
  // Trickle lines in and wait for each ack first (the writer must answer promptly), then
  // flood it and kill it while it is busy.
  std::uint64_t sent = 0;
  for (; sent < 200; ++sent) {
    ASSERT_TRUE(writer.write_stdin(line_payload(sent) + "\n"));
    ASSERT_TRUE(take_ack(ChildProcess::kSafetyTimeoutMs)) << "no ack for line " << sent;
  }
  std::string flood;
  for (std::uint64_t i = sent; i < sent + 50000; ++i) flood += line_payload(i) + "\n";
  sent += 50000;
  ASSERT_TRUE(writer.write_stdin(flood.substr(0, flood.size() / 2)));
  writer.kill(SIGKILL);
  writer.write_stdin(flood.substr(flood.size() / 2));  // may fail: the writer is gone
  ProcessResult end = writer.wait();
  EXPECT_EQ(end.signal, SIGKILL);
  for (const std::string& line : lines_of(end.out)) {
    if (!line.empty()) acks.push_back(std::stoull(line));
  }
  // A line cut by the kill is not an ack: only complete lines count.
  if (!end.out.empty() && end.out.back() != '\n') acks.pop_back();
  ASSERT_GE(acks.size(), 200u);
  for (std::size_t i = 0; i < acks.size(); ++i) ASSERT_EQ(acks[i], i);

  const auto records = dump(dir);
  ASSERT_GE(records.size(), acks.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    // Every surviving record is one that was sent, in order; nothing invented.
    ASSERT_EQ(records[i].offset, i);
    ASSERT_EQ(records[i].payload, line_payload(i));
  }
  const std::uint64_t last_surviving = records.back().offset;

  ProcessResult r = spoolctl({"append", dir, "--ack"}, "after the crash\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(last_surviving + 1) + "\n");
  json v = run_json({"verify", dir}, 0);
  EXPECT_EQ(v["records"], last_surviving + 2);
}

TEST(SpoolctlCrash, SigtermEndsAppendWithACleanClose) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ChildProcess writer({SPOOLCTL_PATH, "append", dir, "--ack"});
  ASSERT_TRUE(writer.write_stdin("one\ntwo\n"));
  ASSERT_EQ(writer.read_line(), "0");
  ASSERT_EQ(writer.read_line(), "1");
  writer.kill(SIGTERM);
  // Keep stdin open until the writer has gone, so it is the signal that ends it, not EOF.
  EXPECT_EQ(writer.read_line(), std::nullopt);
  ProcessResult end = writer.wait();
  EXPECT_EQ(end.exit_code, 128 + SIGTERM) << end.err;
  json rec = run_json({"recover", dir}, 0);
  EXPECT_EQ(rec["clean_shutdown"], true);
  EXPECT_EQ(rec["next_offset"], 2);
}

TEST(SpoolctlLock, SecondWriterIsRefusedWithTheHoldersPid) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  ChildProcess writer({SPOOLCTL_PATH, "append", dir, "--ack"});
  ASSERT_TRUE(writer.write_stdin("first\n"));
  ASSERT_EQ(writer.read_line(), "0");  // the writer has the log open (and locked) now

  ProcessResult second = spoolctl({"append", dir, "--ack"}, "second\n");
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_EQ(second.out, "");
  EXPECT_NE(second.err.find("locked"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(std::to_string(writer.pid())), std::string::npos) << second.err;

  ProcessResult recover = spoolctl({"recover", dir});
  EXPECT_EQ(recover.exit_code, 2);
  EXPECT_NE(recover.err.find("locked"), std::string::npos) << recover.err;

  // Readers do not need the lock: the live log can be dumped and verified.
  auto records = dump(dir);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].payload, "first");
  EXPECT_EQ(run_json({"verify", dir}, 0)["records"], 1);

  ASSERT_TRUE(writer.write_stdin("third\n"));
  ASSERT_EQ(writer.read_line(), "1");
  ProcessResult end = writer.wait();
  EXPECT_EQ(end.exit_code, 0) << end.err;

  ProcessResult later = spoolctl({"append", dir, "--ack"}, "fourth\n");
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(later.out, "2\n");
}

}  // namespace
}  // namespace spool
