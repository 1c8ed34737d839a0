// make_jsonl_file_sink: one JSON object per record, appended across batches and reopenings;
// malformed payloads still leave a line; unwritable paths and failing writes are errors.
#include "spool/jsonl_file_sink.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "spool/record_encoder.h"
#include "support/temp_dir.h"
#include "support/test_batch.h"

namespace spool {
namespace {

using testing::TestBatch;

using nlohmann::json;


std::vector<json> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    out.push_back(std::move(j));
  }
  return out;
}

TEST(JsonlFileSink, AppendsOneObjectPerRecord) {
  testing::TempDir dir;
  const std::string path = dir.sub("out.jsonl");
  RecordEncoder enc;
  Span s;
  s.trace_id.bytes[15] = 0xab;
  s.span_id.bytes[0] = 1;
  s.name = "llm-call";
  s.type = SpanType::kGeneration;
  s.start_ns = 5;
  LogRecord l;
  l.body = "line \"quoted\"\n";
  const std::uint8_t garbage[12] = {0xff, 0xff, 0xff, 0x7f};
  TestBatch tb(0xabcdef, 1'700'000'000'000'000'123);
  tb.add(enc.encode(s), 7, Priority::kCritical);
  tb.add(enc.encode(l), 8);
  tb.add_bytes(RecordKind::kMetric, garbage, 9);
  {
    auto sink = make_jsonl_file_sink(path);
    ASSERT_TRUE(sink.is_ok()) << sink.status().to_string();
    EXPECT_EQ((*sink)->name(), "jsonl");
    const FlushResult r = (*sink)->send(tb.batch());
    EXPECT_EQ(r.outcome, FlushResult::Outcome::kSucceeded) << r.error;
    EXPECT_GT(r.bytes_sent, 0u);
  }
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["key"], idempotency_key(0xabcdef, 7));
  EXPECT_EQ(lines[0]["log_id"], "0000000000abcdef");
  EXPECT_EQ(lines[0]["offset"], 7);
  EXPECT_EQ(lines[0]["kind"], "span");
  EXPECT_EQ(lines[0]["priority"], "critical");
  EXPECT_EQ(lines[0]["timestamp_ns"], 1'700'000'000'000'000'123);
  EXPECT_EQ(lines[0]["record"]["name"], "llm-call");
  EXPECT_EQ(lines[0]["record"]["traceId"], "000000000000000000000000000000ab");
  EXPECT_EQ(lines[0]["record"]["startTimeUnixNano"], "5");
  EXPECT_EQ(lines[1]["kind"], "log");
  EXPECT_EQ(lines[1]["record"]["body"]["stringValue"], "line \"quoted\"\n");
  EXPECT_EQ(lines[2]["kind"], "metric");
  EXPECT_TRUE(lines[2]["record"].is_null());
  EXPECT_NE(lines[2]["error"].get<std::string>().find("malformed"), std::string::npos);

  // Reopening appends; fsync off works the same.
  auto again = make_jsonl_file_sink(path, /*fsync_each_batch=*/false);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ((*again)->send(tb.batch()).outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(read_lines(path).size(), 6u);
}

TEST(JsonlFileSink, UnwritablePathIsAClearError) {
  testing::TempDir dir;
  auto missing_dir = make_jsonl_file_sink(dir.sub("no/such/dir/out.jsonl"));
  ASSERT_FALSE(missing_dir.is_ok());
  EXPECT_NE(missing_dir.status().message().find("no/such/dir/out.jsonl"), std::string::npos);
  EXPECT_FALSE(make_jsonl_file_sink(dir.path()).is_ok());  // a directory (EISDIR)
  EXPECT_FALSE(make_jsonl_file_sink("").is_ok());
  if (::geteuid() != 0) {  // root writes anywhere
    const std::string ro = dir.sub("ro");
    ASSERT_EQ(::mkdir(ro.c_str(), 0500), 0);
    EXPECT_FALSE(make_jsonl_file_sink(ro + "/out.jsonl").is_ok());
  }
}

TEST(JsonlFileSink, FailedWriteIsRetryable) {
  // /dev/full: open succeeds, every write fails with ENOSPC.
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  auto sink = make_jsonl_file_sink("/dev/full");
  ASSERT_TRUE(sink.is_ok()) << sink.status().to_string();
  RecordEncoder enc;
  LogRecord l;
  l.body = "x";
  TestBatch tb(0xabcdef, 1'700'000'000'000'000'123);
  tb.add(enc.encode(l), 1);
  const FlushResult r = (*sink)->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("/dev/full"), std::string::npos) << r.error;
}

TEST(JsonlFileSink, WriteErrorAfterOpenFailsRetryably) {
  // A regular file that cannot grow (RLIMIT_FSIZE stands in for a full disk): the batch
  // fails retryably and leaves no torn line behind.
  testing::TempDir dir;
  const std::string path = dir.sub("limited.jsonl");
  auto sink = make_jsonl_file_sink(path, false);
  ASSERT_TRUE(sink.is_ok());
  RecordEncoder enc;
  LogRecord l;
  const std::string big(4096, 'x');
  l.body = big;
  TestBatch tb(0xabcdef, 1'700'000'000'000'000'123);
  for (std::uint64_t i = 0; i < 4; ++i) tb.add(enc.encode(l), i);
  ASSERT_EQ((*sink)->send(tb.batch()).outcome, FlushResult::Outcome::kSucceeded);
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);

  // Writes past RLIMIT_FSIZE fail with EFBIG (SIGXFSZ ignored so the process survives).
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = old;
  lim.rlim_cur = static_cast<rlim_t>(before.st_size + 100);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  const FlushResult r = (*sink)->send(tb.batch());
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_size, before.st_size);  // the torn batch was cut back
  EXPECT_EQ(read_lines(path).size(), 4u);
}

}  // namespace
}  // namespace spool
