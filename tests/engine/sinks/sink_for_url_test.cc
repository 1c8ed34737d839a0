// make_sink_for_url: the URL forms of `spoolctl forward --to` and spool_forwarder_start.
#include "engine/sinks/sink_for_url.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace spool::engine {
namespace {

TEST(SinkForUrl, FileAndJsonlUrlsMakeAFileSinkAndHttpAnOtlpOne) {
  testing::TempDir tmp;
  for (const std::string scheme : {"file:", "jsonl:"}) {
    auto sink = make_sink_for_url(scheme + tmp.path() + "/out.jsonl", OtlpHttpOptions{}, 0600);
    ASSERT_TRUE(sink) << sink.status().to_string();
    EXPECT_NE(sink.value(), nullptr);
  }
  auto http = make_sink_for_url("http://127.0.0.1:4318", OtlpHttpOptions{}, 0600);
  ASSERT_TRUE(http) << http.status().to_string();
  // The producer connects in the background: nothing needs to listen there yet.
  auto kafka = make_sink_for_url("kafka://127.0.0.1:1/telemetry-{kind}?linger.ms=1", OtlpHttpOptions{}, 0600);
  ASSERT_TRUE(kafka) << kafka.status().to_string();
  EXPECT_EQ((*kafka)->name(), "kafka");
}

TEST(SinkForUrl, KafkaErrorsStartWithTheRedactedUrl) {
  auto no_topic = make_sink_for_url("kafka://127.0.0.1:9092", OtlpHttpOptions{}, 0600);
  ASSERT_EQ(no_topic.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(no_topic.status().message().starts_with("'kafka://127.0.0.1:9092' names no topic"));
  auto unknown = make_sink_for_url("kafka://127.0.0.1:9092/t?sasl.password=hunter2&no.such=1", OtlpHttpOptions{}, 0600);
  ASSERT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(unknown.status().message().starts_with(
      "'kafka://127.0.0.1:9092/t?sasl.password=REDACTED&no.such=REDACTED': Kafka property 'no.such'"))
      << unknown.status().message();
  EXPECT_EQ(unknown.status().message().find("hunter2"), std::string::npos);
}

TEST(SinkForUrl, OtherUrlsAreRefusedNamingThemWithoutTheirSecrets) {
  auto none = make_sink_for_url("file:", OtlpHttpOptions{}, 0600);
  ASSERT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(none.status().message(), "file: names no file (use file:PATH)");
  auto ftp = make_sink_for_url("ftp://user:hunter2@host/x", OtlpHttpOptions{}, 0600);
  ASSERT_EQ(ftp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ftp.status().message().find("is not a supported URL"), std::string::npos);
  EXPECT_EQ(ftp.status().message().find("hunter2"), std::string::npos) << ftp.status().message();
}

}  // namespace
}  // namespace spool::engine
