// The Kafka sink's topic template: "{kind}" and what a Kafka topic name may be.
#include "engine/sinks/kafka/kafka_topic_template.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

TEST(KafkaTopicTemplate, KindExpandsToTheRecordsKindAndRawFramesAreRecords) {
  EXPECT_EQ(topic_for_kind("otlp-{kind}", RecordKind::kSpan), "otlp-span");
  EXPECT_EQ(topic_for_kind("otlp-{kind}", RecordKind::kLog), "otlp-log");
  EXPECT_EQ(topic_for_kind("otlp-{kind}", RecordKind::kMetric), "otlp-metric");
  EXPECT_EQ(topic_for_kind("otlp-{kind}", RecordKind::kRecord), "otlp-record");
  EXPECT_EQ(topic_for_kind("otlp-{kind}", RecordKind::kRawFrame), "otlp-record");
  EXPECT_EQ(topic_for_kind("{kind}.{kind}", RecordKind::kSpan), "span.span");
  EXPECT_EQ(topic_for_kind("telemetry", RecordKind::kMetric), "telemetry");
}

TEST(KafkaTopicTemplate, LaneExpandsToTheRecordsLane) {
  EXPECT_EQ(topic_for_kind("spool-{lane}", RecordKind::kSpan, "logs"), "spool-logs");
  EXPECT_EQ(topic_for_kind("spool-{lane}", RecordKind::kSpan), "spool-default");
  EXPECT_EQ(topic_for_kind("{lane}.{kind}", RecordKind::kLog, "debug"), "debug.log");
  EXPECT_TRUE(topic_per_lane("spool-{lane}"));
  EXPECT_FALSE(topic_per_lane("otlp-{kind}"));
  EXPECT_TRUE(validate_topic_template("spool-{lane}-{kind}"));
  // The longest lane name (32) in place of "{lane}" (6) must still fit in 249.
  EXPECT_TRUE(validate_topic_template(std::string(217, 'a') + "{lane}"));
  EXPECT_EQ(validate_topic_template(std::string(218, 'a') + "{lane}").code(),
            StatusCode::kInvalidArgument);
}

TEST(KafkaTopicTemplate, OnlyKafkaTopicNamesAreValid) {
  EXPECT_TRUE(validate_topic_template("telemetry"));
  EXPECT_TRUE(validate_topic_template("a.b_c-{kind}"));
  EXPECT_TRUE(validate_topic_template(std::string(249, 'a')));
  for (const char* bad :
       {"", "with space", "slash/topic", "{kinds}", "{other}", ".", "..", "caf\xc3\xa9"}) {
    const Status s = validate_topic_template(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(validate_topic_template(std::string(250, 'a')).code(), StatusCode::kInvalidArgument);
  // 249 with the longest kind ("metric", "record": 6) in place of "{kind}" (6): still 249.
  EXPECT_TRUE(validate_topic_template(std::string(243, 'a') + "{kind}"));
  EXPECT_EQ(validate_topic_template(std::string(244, 'a') + "{kind}").code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spool::engine
