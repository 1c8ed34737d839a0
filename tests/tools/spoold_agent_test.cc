// spoold as its users run it: a process with a log directory, an OTLP/HTTP endpoint, sinks,
// /metrics and /healthz, configured by flags, environment and file, stopped by SIGTERM or
// killed. Requests are real HTTP (httplib's client) on loopback; what was stored is read
// back with `spoolctl dump` beside the running agent, what was forwarded from a JSON-lines sink.
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/sinks/otlp/http_content_encoding.h"
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"
#include "spool/record_encoder.h"
#include "support/spoold_process.h"
#include "support/spoolctl_runner.h"
#include "support/temp_dir.h"
#include "support/test_batch.h"
#include "support/time_scale.h"

namespace spool::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kNoEnv;

// An OTLP/JSON ExportTraceServiceRequest of `n` spans numbered from `first` (attribute
// "seq"), with a resource and a scope.
std::string json_spans(int first, int n, const std::string& service = "checkout") {
  json spans = json::array();
  for (int i = first; i < first + n; ++i) {
    char trace[33], span[17];
    std::snprintf(trace, sizeof trace, "%032x", i + 1);
    std::snprintf(span, sizeof span, "%016x", i + 1);
    spans.push_back({{"traceId", trace},
                     {"spanId", span},
                     {"name", "op-" + std::to_string(i)},
                     {"kind", 2},
                     {"startTimeUnixNano", "1700000000000000000"},
                     {"endTimeUnixNano", "1700000001000000000"},
                     {"attributes", json::array({{{"key", "seq"}, {"value", {{"intValue", std::to_string(i)}}}},
                                                 {{"key", "ok"}, {"value", {{"boolValue", true}}}}})}});
  }
  json request = {
      {"resourceSpans",
       json::array({{{"resource", {{"attributes", json::array({{{"key", "service.name"},
                                                                {"value", {{"stringValue", service}}}}})}}},
                     {"scopeSpans", json::array({{{"scope", {{"name", "shop.lib"}, {"version", "1.2.3"}}},
                                                  {"spans", spans}}})}}})}};
  return request.dump();
}

// An ExportTraceServiceRequest in protobuf of `n` spans, as spool's own OTLP encoder writes it.
std::string protobuf_spans(int n) {
  RecordEncoder encoder;
  TestBatch batch;
  for (int i = 0; i < n; ++i) {
    Span s;
    s.trace_id.bytes[15] = static_cast<std::uint8_t>(i + 1);
    s.span_id.bytes[7] = static_cast<std::uint8_t>(i + 1);
    s.name = "proto-op";
    s.start_ns = 1'700'000'000'000'000'000;
    s.end_ns = s.start_ns + 1000;
    batch.add(encoder.encode(s), static_cast<std::uint64_t>(i));
  }
  engine::OtlpProtobufEncoder otlp;
  std::string body;
  otlp.encode(batch.batch(), engine::OtlpSignal::kTraces, &body);
  return body;
}

// The records `spoolctl dump` prints, as JSON objects.
std::vector<json> dump(const std::string& dir) {
  const ProcessResult r = spoolctl({"dump", dir});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> out;
  for (const std::string& line : lines_of(r.out)) out.push_back(json::parse(line));
  return out;
}

// The JSON lines of a file, [] when it does not exist yet.
std::vector<json> json_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// Polls `done` until it holds or the (build-scaled) safety limit passes.
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::milliseconds(30'000)) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(limit);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

class Spoold : public ::testing::Test {
 protected:
  std::unique_ptr<SpooldProcess> start(std::vector<std::string> flags, const std::vector<std::string>& env = kNoEnv) {
    flags.insert(flags.begin(), dir_.sub("log"));
    auto p = std::make_unique<SpooldProcess>(SPOOLD_PATH, flags, env);
    EXPECT_TRUE(p->ready()) << p->ready_line() << p->wait().err;
    return p;
  }
  static httplib::Client client(const SpooldProcess& p) {
    httplib::Client c("127.0.0.1", p.otlp_port());
    c.set_read_timeout(60, 0);
    return c;
  }
  TempDir dir_;
};

TEST_F(Spoold, StoresJsonSpansWithResourceAndScopeAndAcksAfterTheyAreInTheLog) {
  auto agent = start({});
  auto c = client(*agent);
  auto res = c.Post("/v1/traces", json_spans(0, 3), "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(res->body), json::object());
  // The 200 came after the records were in the log: a reader sees all three at once.
  const std::vector<json> records = dump(dir_.sub("log"));
  ASSERT_EQ(records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const json& span = records[i]["span"];
    EXPECT_EQ(span["name"], "op-" + std::to_string(i));
    EXPECT_NE(records[i].dump().find("checkout"), std::string::npos) << records[i].dump();
    EXPECT_NE(records[i].dump().find("shop.lib"), std::string::npos) << records[i].dump();
  }
  agent->kill(SIGTERM);
  const ProcessResult done = agent->wait();
  EXPECT_EQ(done.exit_code, 0) << done.err;
}

TEST_F(Spoold, TakesProtobufGzipAndZstdBodies) {
  auto agent = start({"--ack", "written"});
  auto c = client(*agent);
  const std::string body = protobuf_spans(4);
  auto plain = c.Post("/v1/traces", body, "application/x-protobuf");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200) << plain->body;
  EXPECT_EQ(plain->get_header_value("Content-Type"), "application/x-protobuf");
  EXPECT_TRUE(plain->body.empty());  // an ExportTraceServiceResponse without partial_success
  for (auto coding : {engine::ContentCoding::kGzip, engine::ContentCoding::kZstd}) {
    auto encoder = engine::HttpContentEncoder::create(coding, 1);
    ASSERT_TRUE(encoder);
    auto compressed = (*encoder)->encode(body);
    ASSERT_TRUE(compressed);
    httplib::Headers headers{{"Content-Encoding", std::string((*encoder)->content_encoding())}};
    auto res = c.Post("/v1/traces", headers, std::string(*compressed), "application/x-protobuf");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << (*encoder)->content_encoding() << ": " << res->body;
  }
  EXPECT_EQ(dump(dir_.sub("log")).size(), 12u);
}

TEST_F(Spoold, AnswersPartialSuccessForMalformedSpansAndKeepsTheRest) {
  auto agent = start({});
  json request = json::parse(json_spans(0, 3));
  request["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["traceId"] = "abcd";  // 2 bytes
  auto res = client(*agent).Post("/v1/traces", request.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json answer = json::parse(res->body);
  EXPECT_EQ(answer["partialSuccess"]["rejectedSpans"], "1") << res->body;
  EXPECT_FALSE(answer["partialSuccess"]["errorMessage"].get<std::string>().empty());
  EXPECT_EQ(dump(dir_.sub("log")).size(), 2u);
}

TEST_F(Spoold, RefusesWhatItCannotTakeWithTheRightStatus) {
  auto agent = start({"--max-body-bytes", "4096"});
  auto c = client(*agent);
  auto garbage = c.Post("/v1/traces", std::string("\xff\xff\xff\xff", 4), "application/x-protobuf");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  auto bad_json = c.Post("/v1/logs", "{\"resourceLogs\": [", "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  auto text = c.Post("/v1/traces", "hello", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  auto big = c.Post("/v1/traces", json_spans(0, 100), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  // The same body gzip'd fits on the wire but not once decompressed: still 413.
  auto encoder = engine::HttpContentEncoder::create(engine::ContentCoding::kGzip, 9);
  ASSERT_TRUE(encoder);
  auto small = (*encoder)->encode(json_spans(0, 100));
  ASSERT_TRUE(small);
  ASSERT_LT(small->size(), 4096u);
  auto bomb = c.Post("/v1/traces", {{"Content-Encoding", "gzip"}}, std::string(*small), "application/json");
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->status, 413);
  auto unknown = c.Post("/v1/traces", {{"Content-Encoding", "br2"}}, "x", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 415);
  auto wrong_path = c.Post("/v1/profiles", "{}", "application/json");
  ASSERT_TRUE(wrong_path);
  EXPECT_EQ(wrong_path->status, 404);
  EXPECT_TRUE(dump(dir_.sub("log")).empty());
}

TEST_F(Spoold, RequiresTheBearerTokenItWasGiven) {
  auto agent = start({}, {"SPOOL_OTLP_TOKEN=s3cret-token"});
  auto c = client(*agent);
  auto none = c.Post("/v1/traces", json_spans(0, 1), "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = c.Post("/v1/traces", {{"Authorization", "Bearer s3cret-tokeX"}}, json_spans(0, 1), "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = c.Post("/v1/traces", {{"Authorization", "Bearer s3cret-token"}}, json_spans(0, 1), "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_EQ(dump(dir_.sub("log")).size(), 1u);
}

TEST_F(Spoold, ServesHttpsWithTheCertificateItWasGiven) {
  const std::string cert = dir_.sub("cert.pem");
  const std::string key = dir_.sub("key.pem");
  const ProcessResult made = run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                          "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"});
  if (made.exit_code != 0) GTEST_SKIP() << "openssl cannot make a certificate here: " << made.err;
  auto agent = start({"--tls-cert", cert, "--tls-key", key});
  httplib::SSLClient tls("127.0.0.1", agent->otlp_port());
  tls.set_ca_cert_path(cert.c_str());
  tls.enable_server_certificate_verification(false);  // CN=localhost, dialled by address
  auto res = tls.Post("/v1/traces", json_spans(0, 2), "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // Plain HTTP on the TLS port gets no answer.
  auto plain = client(*agent).Post("/v1/traces", json_spans(0, 2), "application/json");
  EXPECT_TRUE(!plain || plain->status != 200);
  EXPECT_EQ(dump(dir_.sub("log")).size(), 2u);
}

TEST_F(Spoold, ANonLoopbackAddressWithoutATokenIsAConfigurationError) {
  const ProcessResult r = run_process({SPOOLD_PATH, dir_.sub("log"), "--otlp-listen", "0.0.0.0:4318"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("token"), std::string::npos) << r.err;
}

TEST_F(Spoold, ForwardsToEachSinkThroughItsOwnCursorAndDrainsOnSigterm) {
  const std::string a = dir_.sub("a.jsonl");
  const std::string b = dir_.sub("b.jsonl");
  auto agent = start({"--to", "jsonl:" + a, "--to", "jsonl:" + b});
  auto c = client(*agent);
  for (int i = 0; i < 5; ++i) {
    auto res = c.Post("/v1/traces", json_spans(i * 10, 10), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
  }
  agent->kill(SIGTERM);
  const ProcessResult done = agent->wait();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  // Each sink got every record, once.
  EXPECT_EQ(json_lines(a).size(), 50u);
  EXPECT_EQ(json_lines(b).size(), 50u);
  const ProcessResult cursors = spoolctl({"cursors", dir_.sub("log")});
  EXPECT_NE(cursors.out.find("sink-0"), std::string::npos) << cursors.out;
  EXPECT_NE(cursors.out.find("sink-1"), std::string::npos) << cursors.out;
}

TEST_F(Spoold, RedactsPerSinkWhatItReceived) {
  const std::string redacted = dir_.sub("redacted.jsonl");
  const std::string plain = dir_.sub("plain.jsonl");
  const std::string config = dir_.sub("spoold.toml");
  write_file(config, "[[sink]]\nurl = \"jsonl:" + redacted +
                         "\"\nredact = [\"input\", \"user.*\"]\n" +
                         "[[sink]]\nurl = \"jsonl:" + plain + "\"\n");
  auto agent = start({"--config", config});
  // Spans as an OpenTelemetry SDK sends them: the prompt is the attribute gen_ai.prompt.
  json request = json::parse(json_spans(0, 4));
  for (json& span : request["resourceSpans"][0]["scopeSpans"][0]["spans"]) {
    span["attributes"].push_back(
        {{"key", "gen_ai.prompt"}, {"value", {{"stringValue", "SECRET-PROMPT"}}}});
    span["attributes"].push_back({{"key", "user.id"}, {"value", {{"stringValue", "SECRET-USER"}}}});
  }
  auto res = client(*agent).Post("/v1/traces", request.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  agent->kill(SIGTERM);
  ASSERT_EQ(agent->wait().exit_code, 0);
  ASSERT_EQ(json_lines(redacted).size(), 4u);
  ASSERT_EQ(json_lines(plain).size(), 4u);
  const std::string redacted_text = read_file(redacted);
  EXPECT_EQ(redacted_text.find("SECRET"), std::string::npos) << redacted_text;
  EXPECT_NE(redacted_text.find("\"seq\""), std::string::npos);  // the rest is there
  EXPECT_NE(read_file(plain).find("SECRET-PROMPT"), std::string::npos);
}

TEST_F(Spoold, WhatWasAcknowledgedSurvivesSigkillAndIsForwardedAfterRestart) {
  const std::string out = dir_.sub("out.jsonl");
  {
    auto agent = start({});
    auto c = client(*agent);
    for (int i = 0; i < 4; ++i) {
      auto res = c.Post("/v1/traces", json_spans(i * 25, 25), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200);
    }
    agent->kill(SIGKILL);
    agent->wait();
  }
  auto agent = start({"--to", "jsonl:" + out});
  EXPECT_TRUE(eventually([&] { return json_lines(out).size() >= 100; })) << json_lines(out).size();
  agent->kill(SIGTERM);
  EXPECT_EQ(agent->wait().exit_code, 0);
  EXPECT_EQ(json_lines(out).size(), 100u);
}

TEST_F(Spoold, ServesMetricsAndHealth) {
  auto agent = start({});
  auto res = client(*agent).Post("/v1/traces", json_spans(0, 7), "application/json");
  ASSERT_TRUE(res);
  httplib::Client m("127.0.0.1", agent->metrics_port());
  auto metrics = m.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("spool_otlp_accepted_records_total{signal=\"traces\"} 7"), std::string::npos)
      << metrics->body;
  auto health = m.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(json::parse(health->body)["healthy"], true);
}

TEST_F(Spoold, ABadConfigurationExitsTwoNamingTheKey) {
  const ProcessResult flag = run_process({SPOOLD_PATH, dir_.sub("log"), "--ack", "maybe"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("--ack"), std::string::npos) << flag.err;
  const std::string config = dir_.sub("spoold.toml");
  std::ofstream(config) << "dir = \"" << dir_.sub("log") << "\"\nmax_size_mb = \"ten\"\n";
  const ProcessResult file = run_process({SPOOLD_PATH, "--config", config});
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_NE(file.err.find("max_size_mb"), std::string::npos) << file.err;
}

TEST_F(Spoold, AnotherWriterOnTheLogIsReportedNotFought) {
  auto first = start({});
  const ProcessResult second = run_process({SPOOLD_PATH, dir_.sub("log"), "--otlp-listen", "127.0.0.1:0",
                                            "--metrics-listen", "off"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("pid"), std::string::npos) << second.err;
}

}  // namespace
}  // namespace spool::testing
