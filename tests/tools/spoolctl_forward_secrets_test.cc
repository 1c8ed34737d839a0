// `spoolctl forward` keeps secrets secret: credentials in the URL are refused, headers come
// from a file or OTEL_EXPORTER_OTLP_HEADERS (off argv), a query token is sent but never
// stored or printed, and an expired token is an outage (nothing dead-lettered).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/otlp_receiver.h"
#include "support/spoolctl_runner.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::OtlpReceiver;
using testing::ProcessResult;
using testing::TempDir;

using testing::spoolctl;

void produce(const std::string& dir, int spans) {
  ProcessResult r = spoolctl({"produce", dir, "--spans", std::to_string(spans)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string write_private(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

// The receiver answers 401 unless the request carries `Authorization: <expected>`.
void require_authorization(OtlpReceiver& receiver, const std::string& expected) {
  receiver.set_policy([expected](const OtlpReceiver::RequestInfo& info) {
    if (info.authorization != expected) return OtlpReceiver::Response::error(401, "who are you");
    return OtlpReceiver::Response::ok();
  });
}

TEST(SpoolctlForwardSecrets, UrlWithCredentialsIsRefused) {
  TempDir dir;
  produce(dir.path(), 10);
  ProcessResult r = spoolctl({"forward", dir.path(), "--to", "http://alice:hunter22@127.0.0.1:9", "--drain"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--header-file"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter22"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("hunter22"), std::string::npos) << r.out;
}

TEST(SpoolctlForwardSecrets, HeaderFileAuthorizes) {
  TempDir dir;
  produce(dir.path(), 200);
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  require_authorization(receiver, "Bearer from-file-123");
  const std::string headers =
      write_private(dir.sub("headers.txt"), "# the token\nAuthorization: Bearer from-file-123\n");
  ProcessResult r = spoolctl({"forward", dir.path(), "--to", receiver.endpoint(), "--header-file", headers,
                              "--drain", "--drain-timeout-s", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["delivered"], 200);
  EXPECT_EQ(receiver.delivered_keys().size(), 200u);
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST(SpoolctlForwardSecrets, HeaderFileProblemsAreExplained) {
  TempDir dir;
  produce(dir.path(), 5);
  const std::string writable = write_private(dir.sub("w.txt"), "Authorization: Bearer x\n", 0666);
  ProcessResult r = spoolctl({"forward", dir.path(), "--to", "http://127.0.0.1:9", "--header-file", writable, "--drain"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("writable by group or others"), std::string::npos) << r.err;
  const std::string malformed = write_private(dir.sub("m.txt"), "Authorization Bearer leaked-value\n");
  r = spoolctl({"forward", dir.path(), "--to", "http://127.0.0.1:9", "--header-file", malformed, "--drain"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("leaked-value"), std::string::npos) << r.err;
}

TEST(SpoolctlForwardSecrets, OtelHeadersVariableAuthorizes) {
  TempDir dir;
  produce(dir.path(), 50);
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  require_authorization(receiver, "Bearer env token");
  ::setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20env%20token", 1);
  ProcessResult r = spoolctl({"forward", dir.path(), "--to", receiver.endpoint(), "--drain", "--drain-timeout-s", "60"});
  ::setenv("OTEL_EXPORTER_OTLP_HEADERS", "broken-entry", 1);
  ProcessResult bad = spoolctl({"forward", dir.path(), "--to", receiver.endpoint(), "--drain"});
  ::unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(receiver.delivered_keys().size(), 50u);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("OTEL_EXPORTER_OTLP_HEADERS"), std::string::npos) << bad.err;
}

TEST(SpoolctlForwardSecrets, ExpiredTokenDeadLettersNothingAndNamesTheCause) {
  TempDir dir;
  produce(dir.path(), 100);
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  receiver.set_policy([](const OtlpReceiver::RequestInfo&) { return OtlpReceiver::Response::error(401, "expired"); });
  ProcessResult r = spoolctl({"forward", dir.path(), "--to", receiver.endpoint(), "--max-retries", "0",
                              "--drain", "--drain-timeout-s", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the drain could not finish
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["dead_lettered"], 0);
  bool named = false;
  for (const auto& w : summary["warnings"]) named = named || w["code"] == "sink_auth";
  EXPECT_TRUE(named) << r.out;
  // Once the token works, everything is delivered.
  receiver.set_policy([](const OtlpReceiver::RequestInfo&) { return OtlpReceiver::Response::ok(); });
  r = spoolctl({"forward", dir.path(), "--to", receiver.endpoint(), "--drain", "--drain-timeout-s", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(receiver.delivered_keys().size(), 100u);
}

TEST(SpoolctlForwardSecrets, QueryTokenIsSentButNeverStoredOrPrinted) {
  TempDir dir;
  produce(dir.path(), 20);
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  const std::string secret = "QueryT0kenSecret";
  receiver.set_policy([](const OtlpReceiver::RequestInfo& info) {
    return OtlpReceiver::Response::error(400, "refused " + info.path + "?" + info.query);
  });
  ProcessResult r = spoolctl({"forward", dir.path(), "--to", receiver.endpoint() + "?token=" + secret,
                              "--drain", "--drain-timeout-s", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(receiver.requests().empty());
  EXPECT_EQ(receiver.requests()[0].query, "token=" + secret);
  EXPECT_EQ(json::parse(r.out)["dead_lettered"], 20);
  EXPECT_EQ(r.out.find(secret), std::string::npos);
  EXPECT_EQ(r.err.find(secret), std::string::npos);
  EXPECT_EQ(file_text(dir.path() + "/cursors/default.cursor").find(secret), std::string::npos);
  for (const char* cmd : {"stats", "deadletters", "health", "cursors"}) {
    ProcessResult out = spoolctl({cmd, dir.path()});
    EXPECT_EQ(out.out.find(secret), std::string::npos) << cmd << ": " << out.out;
    EXPECT_EQ(out.err.find(secret), std::string::npos) << cmd << ": " << out.err;
  }
  ProcessResult stats = spoolctl({"stats", dir.path()});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const json j = json::parse(stats.out);
  EXPECT_EQ(j["dead_letters"]["dropped_by_retention"], 0);
  EXPECT_NE(j["cursors"][0]["totals"]["last_error"].get<std::string>().find("token=REDACTED"), std::string::npos)
      << stats.out;
}

}  // namespace
}  // namespace spool
