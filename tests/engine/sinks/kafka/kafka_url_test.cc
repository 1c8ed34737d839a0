// parse_kafka_url: kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?PROPERTY=VALUE&...] and the
// messages for every other form (credentials never repeated).
#include "engine/sinks/kafka/kafka_url.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

TEST(KafkaUrl, BrokersTopicAndProperties) {
  auto one = parse_kafka_url("kafka://127.0.0.1:9092/telemetry");
  ASSERT_TRUE(one) << one.status().to_string();
  EXPECT_EQ(one->bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(one->topic, "telemetry");
  EXPECT_EQ(one->delivery_timeout_ms, KafkaSinkOptions{}.delivery_timeout_ms);
  EXPECT_TRUE(one->settings.empty());

  auto many = parse_kafka_url(
      "kafka://k1:9092,k2.example:19092,[::1]:9093/otlp-{kind}?linger.ms=20&sasl.password=p%26w%3D&"
      "message.timeout.ms=2500");
  ASSERT_TRUE(many) << many.status().to_string();
  EXPECT_EQ(many->bootstrap_servers, "k1:9092,k2.example:19092,[::1]:9093");
  EXPECT_EQ(many->topic, "otlp-{kind}");
  EXPECT_EQ(many->delivery_timeout_ms, 2500u);
  EXPECT_EQ(many->settings, (Settings{{"linger.ms", "20"}, {"sasl.password", "p&w="}}));

  auto timeout = parse_kafka_url("kafka://k1:9092/t?delivery.timeout.ms=700");
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->delivery_timeout_ms, 700u);
}

TEST(KafkaUrl, OtherFormsAreRefusedSayingWhy) {
  const std::string form = "(kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?PROPERTY=VALUE&...])";
  auto message = [](std::string_view url) { return parse_kafka_url(url).status().message(); };
  EXPECT_EQ(message("kafka://k1:9092"), "'kafka://k1:9092' names no topic " + form);
  EXPECT_EQ(message("kafka://k1:9092/"), "'kafka://k1:9092/' names no topic " + form);
  EXPECT_EQ(message("kafka:///t"), "'kafka:///t' names no broker " + form);
  EXPECT_EQ(message("kafka://k1/t"),
            "'kafka://k1/t' has a broker address 'k1' that is not HOST:PORT (port 1-65535)");
  EXPECT_EQ(message("kafka://k1:0/t"),
            "'kafka://k1:0/t' has a broker address 'k1:0' that is not HOST:PORT (port 1-65535)");
  EXPECT_EQ(message("kafka://k1:9092,/t"),
            "'kafka://k1:9092,/t' has a broker address '' that is not HOST:PORT (port 1-65535)");
  EXPECT_EQ(
      message("kafka://::1:9092/t"),
      "'kafka://::1:9092/t' has a broker address '::1:9092' that is not HOST:PORT (port 1-65535)");
  EXPECT_NE(message("kafka://k1:9092/a/b").find("is not a Kafka topic name"), std::string::npos);
  EXPECT_EQ(
      message("kafka://k1:9092/t?x"),
      "'kafka://k1:9092/t?x' has a query parameter that is not PROPERTY=VALUE (percent-encoded)");
  EXPECT_EQ(
      message("kafka://k1:9092/t?message.timeout.ms=0"),
      "'kafka://k1:9092/t?message.timeout.ms=REDACTED': message.timeout.ms must be a number of "
      "milliseconds > 0");
  EXPECT_EQ(message("kafka://k1:9092/t with space"),
            "'kafka://k1:9092/t with space' contains spaces or control characters");
  EXPECT_NE(message("http://k1:9092/t").find("is not a Kafka URL"), std::string::npos);
}

TEST(KafkaUrl, CredentialsAreRefusedAndNeverRepeated) {
  const Status userinfo = parse_kafka_url("kafka://alice:hunter2@k1:9092/t").status();
  ASSERT_EQ(userinfo.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(userinfo.message().find("carries credentials"), std::string::npos)
      << userinfo.message();
  EXPECT_EQ(userinfo.message().find("hunter2"), std::string::npos) << userinfo.message();
  const Status query = parse_kafka_url("kafka://k1:9092/a/b?sasl.password=hunter2").status();
  ASSERT_EQ(query.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(query.message().find("hunter2"), std::string::npos) << query.message();
}

}  // namespace
}  // namespace spool::engine
