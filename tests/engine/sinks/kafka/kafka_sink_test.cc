// make_kafka_sink against librdkafka's mock cluster (real Kafka protocol on 127.0.0.1), read
// back with a librdkafka consumer: what a message holds (key, headers, value, timestamp,
// topic per kind) and what each situation answers (every broker down, a partition leader
// down, a record too large, authorization refused, a fatal producer error).
#include "spool/kafka_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "engine/sinks/kafka/kafka_sink.h"
#include "io/hex.h"
#include "spool/record_encoder.h"
#include "spool/record_verify.h"
#include "support/kafka_test_cluster.h"
#include "support/otlp_decoder.h"
#include "support/test_batch.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using testing::KafkaMessage;
using testing::MockKafkaCluster;
using testing::TestBatch;

constexpr std::uint64_t kLogId = 0x00c0ffee00c0ffeeULL;

std::chrono::milliseconds read_limit() {
  return testing::scaled(std::chrono::milliseconds(30'000));
}

std::unique_ptr<Sink> make_sink(const MockKafkaCluster& cluster, const std::string& topic,
                                std::uint32_t delivery_timeout_ms = 10'000,
                                std::vector<std::pair<std::string, std::string>> settings = {}) {
  KafkaSinkOptions o;
  o.bootstrap_servers = cluster.bootstrap_servers();
  o.topic = topic;
  o.delivery_timeout_ms = delivery_timeout_ms;
  o.settings = std::move(settings);
  auto sink = make_kafka_sink(std::move(o));
  EXPECT_TRUE(sink) << sink.status().to_string();
  return sink ? std::move(*sink) : nullptr;
}

Span test_span() {
  Span s;
  s.name = "llm-call";
  s.start_ns = 1;
  s.end_ns = 2;
  return s;
}

// Spans at offsets first, first+1, ... (priority cycling through the four).
TestBatch spans(std::uint64_t first, std::uint64_t n) {
  RecordEncoder enc;
  TestBatch tb(kLogId);
  for (std::uint64_t o = first; o < first + n; ++o)
    tb.add(enc.encode(test_span()), o, static_cast<Priority>(o % 4));
  return tb;
}

std::vector<KafkaMessage> read_all(const MockKafkaCluster& cluster, const std::string& topic) {
  std::string error;
  auto messages = testing::read_topic(cluster.bootstrap_servers(), topic, read_limit(), &error);
  EXPECT_TRUE(messages.has_value()) << error;
  return messages.value_or(std::vector<KafkaMessage>{});
}

// Sends until the batch is delivered, as the forwarder retries an outage (the producer may
// need a moment to reconnect to a broker that is back); fails the test on any other answer.
FlushResult send_until_delivered(Sink& sink, const ForwardBatch& batch) {
  FlushResult r;
  for (int attempt = 0; attempt < 10; ++attempt) {
    r = sink.send(batch);
    if (r.outcome == FlushResult::Outcome::kSucceeded) break;
    EXPECT_TRUE(r.sink_unavailable()) << r.error;
  }
  return r;
}

std::set<std::string> keys_of(const ForwardBatch& batch,
                              const std::vector<std::uint64_t>& except = {}) {
  std::set<std::string> keys;
  for (const ForwardRecord& r : batch.records) {
    if (std::find(except.begin(), except.end(), r.offset) == except.end()) {
      keys.insert(idempotency_key(batch.log_id, r.offset));
    }
  }
  return keys;
}

TEST(KafkaSink, EveryRecordIsOneMessageKeyedByItsIdempotencyKey) {
  MockKafkaCluster cluster(3);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE(cluster.create_topic("spans", 3));
  auto sink = make_sink(cluster, "spans");
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->name(), "kafka");
  const TestBatch tb = spans(100, 20);
  const ForwardBatch batch = tb.batch();
  const FlushResult r = sink->send(batch);
  ASSERT_EQ(r.outcome, FlushResult::Outcome::kSucceeded) << r.error;
  EXPECT_GT(r.bytes_sent, 0u);

  const std::vector<KafkaMessage> messages = read_all(cluster, "spans");
  ASSERT_EQ(messages.size(), 20u);
  std::set<std::string> keys;
  for (const KafkaMessage& m : messages) {
    keys.insert(m.key);
    const std::uint64_t offset = std::stoull(m.key.substr(17));
    EXPECT_EQ(m.key, idempotency_key(kLogId, offset));
    EXPECT_EQ(m.header("spool.log_id"), io::hex_u64(kLogId));
    EXPECT_EQ(m.header("spool.offset"), std::to_string(offset));
    EXPECT_EQ(m.header("spool.kind"), "span");
    EXPECT_EQ(m.header("spool.priority"),
              std::string(priority_name(static_cast<Priority>(offset % 4))));
    EXPECT_EQ(m.header("spool.timestamp_ns"), std::to_string(TestBatch::kTimestampNs));
    EXPECT_EQ(m.timestamp_ms, TestBatch::kTimestampNs / 1'000'000);
    // The value: an OTLP ExportTraceServiceRequest with this one span.
    const testing::OtlpDecodeResult decoded =
        testing::decode_otlp_protobuf(testing::OtlpSignal::kTraces, m.value);
    ASSERT_TRUE(decoded.error.empty()) << decoded.error;
    ASSERT_EQ(decoded.items.size(), 1u);
    EXPECT_EQ(decoded.items[0].name, "llm-call");
    EXPECT_EQ(decoded.items[0].attributes.at(testing::kIdempotencyKeyAttribute), m.key);
  }
  EXPECT_EQ(keys, keys_of(batch));
}

TEST(KafkaSink, KindInTheTopicSendsEachKindToATopicOfItsOwn) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.ok());
  for (const char* t : {"otlp-span", "otlp-log", "otlp-metric", "otlp-record"})
    ASSERT_TRUE(cluster.create_topic(t, 1));
  auto sink = make_sink(cluster, "otlp-{kind}");
  ASSERT_NE(sink, nullptr);
  RecordEncoder enc;
  TestBatch tb(kLogId);
  LogRecord log;
  log.body = "hello";
  Metric metric;
  metric.name = "tokens";
  metric.value = 7;
  RawRecord record;
  record.type_tag = "prediction";
  const std::uint8_t bytes[] = {1, 2, 3};
  record.data = bytes;
  tb.add(enc.encode(test_span()), 1);
  tb.add(enc.encode(log), 2);
  tb.add(enc.encode(metric), 3);
  tb.add(enc.encode(record), 4);
  tb.add_bytes(RecordKind::kRawFrame, bytes, 5);
  const FlushResult r = sink->send(tb.batch());
  ASSERT_EQ(r.outcome, FlushResult::Outcome::kSucceeded) << r.error;

  const auto span_topic = read_all(cluster, "otlp-span");
  ASSERT_EQ(span_topic.size(), 1u);
  EXPECT_EQ(span_topic[0].key, idempotency_key(kLogId, 1));
  const auto log_topic = read_all(cluster, "otlp-log");
  ASSERT_EQ(log_topic.size(), 1u);
  EXPECT_EQ(log_topic[0].header("spool.kind"), "log");
  const auto logs = testing::decode_otlp_protobuf(testing::OtlpSignal::kLogs, log_topic[0].value);
  ASSERT_TRUE(logs.error.empty()) << logs.error;
  ASSERT_EQ(logs.items.size(), 1u);
  const auto metric_topic = read_all(cluster, "otlp-metric");
  ASSERT_EQ(metric_topic.size(), 1u);
  const auto metrics =
      testing::decode_otlp_protobuf(testing::OtlpSignal::kMetrics, metric_topic[0].value);
  ASSERT_TRUE(metrics.error.empty()) << metrics.error;
  ASSERT_EQ(metrics.items.size(), 1u);
  EXPECT_EQ(metrics.items[0].name, "tokens");
  // Records and raw frames: the "record" topic, as OTLP log records whose body is the bytes.
  const auto record_topic = read_all(cluster, "otlp-record");
  ASSERT_EQ(record_topic.size(), 2u);
  std::set<std::string> kinds;
  for (const KafkaMessage& m : record_topic) {
    kinds.insert(m.header("spool.kind").value_or(""));
    const auto decoded = testing::decode_otlp_protobuf(testing::OtlpSignal::kLogs, m.value);
    EXPECT_TRUE(decoded.error.empty()) << decoded.error;
    EXPECT_EQ(decoded.items.size(), 1u);
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"record", "raw"}));
}

// "{lane}": each lane's records go to a topic of the lane's, and every message names its lane.
TEST(KafkaSink, LaneInTheTopicSendsEachLaneToATopicOfItsOwn) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.ok());
  for (const char* t : {"spool-default", "spool-logs"}) ASSERT_TRUE(cluster.create_topic(t, 1));
  auto sink = make_sink(cluster, "spool-{lane}");
  ASSERT_NE(sink, nullptr);
  TestBatch from_default = spans(0, 3);
  ASSERT_EQ(send_until_delivered(*sink, from_default.batch()).outcome,
            FlushResult::Outcome::kSucceeded);
  TestBatch from_logs = spans(0, 2);
  ForwardBatch logs_batch = from_logs.batch();
  logs_batch.lane = "logs";
  ASSERT_EQ(send_until_delivered(*sink, logs_batch).outcome, FlushResult::Outcome::kSucceeded);

  const auto default_topic = read_all(cluster, "spool-default");
  ASSERT_EQ(default_topic.size(), 3u);
  EXPECT_EQ(default_topic[0].header("spool.lane"), "default");
  const auto logs_topic = read_all(cluster, "spool-logs");
  ASSERT_EQ(logs_topic.size(), 2u);
  EXPECT_EQ(logs_topic[0].header("spool.lane"), "logs");
}

TEST(KafkaSink, EveryBrokerDownIsAnOutageAndThePurgedMessagesNeverArrive) {
  MockKafkaCluster cluster(3);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE(cluster.create_topic("spans", 3));
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster.set_broker_down(b));
  auto sink = make_sink(cluster, "spans", /*delivery_timeout_ms=*/1000);
  ASSERT_NE(sink, nullptr);
  const TestBatch first = spans(0, 10);
  const FlushResult down = sink->send(first.batch());
  EXPECT_EQ(down.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(down.retryable);
  EXPECT_EQ(down.outage, SinkOutage::kUnreachable) << down.error;
  EXPECT_NE(down.error.find("10 of 10 messages to Kafka failed"), std::string::npos) << down.error;

  // The cluster comes back: the next batch goes out (sent again, as the forwarder would,
  // until the producer has reconnected), and nothing of the first was left queued to go
  // with it.
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster.set_broker_up(b));
  const TestBatch second = spans(10, 5);
  const FlushResult up = send_until_delivered(*sink, second.batch());
  ASSERT_EQ(up.outcome, FlushResult::Outcome::kSucceeded) << up.error;
  const auto counts = testing::count_keys(read_all(cluster, "spans"));
  std::set<std::string> keys;
  for (const auto& [key, count] : counts) keys.insert(key);
  EXPECT_EQ(keys, keys_of(second.batch()));
}

TEST(KafkaSink, ALeaderDownFailsOnlyItsPartitionsRecordsAsAnOutage) {
  MockKafkaCluster cluster(3);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE(cluster.create_topic("spans", 3));
  for (int p = 0; p < 3; ++p) ASSERT_TRUE(cluster.set_leader("spans", p, p + 1));
  auto sink = make_sink(cluster, "spans", /*delivery_timeout_ms=*/1000);
  ASSERT_NE(sink, nullptr);
  const TestBatch warm = spans(0, 30);  // the producer learns the leaders
  ASSERT_EQ(sink->send(warm.batch()).outcome, FlushResult::Outcome::kSucceeded);

  ASSERT_TRUE(cluster.set_broker_down(1));  // partition 0
  const TestBatch tb = spans(30, 30);
  const ForwardBatch batch = tb.batch();
  const FlushResult partial = sink->send(batch);
  ASSERT_EQ(partial.outcome, FlushResult::Outcome::kPartial) << partial.error;
  EXPECT_EQ(partial.outage, SinkOutage::kUnreachable);
  EXPECT_TRUE(partial.sink_unavailable());
  EXPECT_FALSE(partial.failed_offsets.empty());
  EXPECT_LT(partial.failed_offsets.size(), batch.records.size());

  // As the forwarder does: the failed records again once the broker is back (until the
  // producer has reconnected to it).
  ASSERT_TRUE(cluster.set_broker_up(1));
  TestBatch retry_storage(kLogId);
  RecordEncoder enc;
  for (std::uint64_t o : partial.failed_offsets) retry_storage.add(enc.encode(test_span()), o);
  const FlushResult retried = send_until_delivered(*sink, retry_storage.batch());
  ASSERT_EQ(retried.outcome, FlushResult::Outcome::kSucceeded) << retried.error;

  const auto counts = testing::count_keys(read_all(cluster, "spans"));
  for (const std::string& key : keys_of(batch))
    EXPECT_EQ(counts.count(key), 1u) << key << " missing";
  // The records of the live partitions were not sent twice.
  for (const std::string& key : keys_of(batch, partial.failed_offsets))
    EXPECT_EQ(counts.at(key), 1) << key;
}

TEST(KafkaSink, ARecordTooLargeIsRefusedForGoodAndTheOthersAreDelivered) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE(cluster.create_topic("spans", 1));
  auto sink = make_sink(cluster, "spans", 10'000, {{"message.max.bytes", "2000"}});
  ASSERT_NE(sink, nullptr);
  RecordEncoder enc;
  TestBatch tb(kLogId);
  const std::string big(5000, 'x');
  Span large = test_span();
  large.input = big;
  tb.add(enc.encode(test_span()), 1);
  tb.add(enc.encode(large), 2);
  tb.add(enc.encode(test_span()), 3);
  const FlushResult r = sink->send(tb.batch());
  ASSERT_EQ(r.outcome, FlushResult::Outcome::kPartial) << r.error;
  EXPECT_EQ(r.failed_offsets, std::vector<std::uint64_t>{2});
  EXPECT_FALSE(r.retryable);  // a dead letter: no retry makes it smaller
  EXPECT_EQ(r.outage, SinkOutage::kNone);
  EXPECT_NE(r.error.find("too large"), std::string::npos) << r.error;
  const auto counts = testing::count_keys(read_all(cluster, "spans"));
  EXPECT_EQ(counts, (std::map<std::string, int>{{idempotency_key(kLogId, 1), 1},
                                                {idempotency_key(kLogId, 3), 1}}));
}

TEST(KafkaSink, TopicAuthorizationRefusedIsAnAuthOutageNotADeadLetter) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE(cluster.create_topic("spans", 1));
  auto sink = make_sink(cluster, "spans");
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(sink->send(spans(0, 3).batch()).outcome, FlushResult::Outcome::kSucceeded);
  cluster.push_produce_errors({RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  const FlushResult r = sink->send(spans(3, 5).batch());
  ASSERT_NE(r.outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(r.outage, SinkOutage::kAuth) << r.error;
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("uthorization"), std::string::npos) << r.error;
  // The error was for one request: the same records go through on the next send.
  const FlushResult again = sink->send(spans(3, 5).batch());
  EXPECT_EQ(again.outcome, FlushResult::Outcome::kSucceeded) << again.error;
}

TEST(KafkaSink, AFatalProducerErrorIsFollowedByANewProducer) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE(cluster.create_topic("spans", 1));
  KafkaSinkOptions o;
  o.bootstrap_servers = cluster.bootstrap_servers();
  o.topic = "spans";
  auto sink = engine::KafkaSink::create(o);
  ASSERT_TRUE(sink) << sink.status().to_string();
  ASSERT_EQ((*sink)->send(spans(0, 3).batch()).outcome, FlushResult::Outcome::kSucceeded);
  (*sink)->raise_fatal_error_for_test();
  const FlushResult r = (*sink)->send(spans(3, 3).batch());
  ASSERT_EQ(r.outcome, FlushResult::Outcome::kSucceeded) << r.error;
  EXPECT_EQ(testing::count_keys(read_all(cluster, "spans")).size(), 6u);
}

TEST(KafkaSink, BadOptionsAreRefusedWithoutTheirValues) {
  KafkaSinkOptions o;
  o.topic = "spans";
  EXPECT_EQ(make_kafka_sink(o).status().code(), StatusCode::kInvalidArgument);  // no servers
  o.bootstrap_servers = "127.0.0.1:9092";
  o.topic = "bad topic";
  EXPECT_EQ(make_kafka_sink(o).status().code(), StatusCode::kInvalidArgument);
  o.topic = "spans";
  o.settings = {{"compression.type", "hunter2-codec"}};
  const Status s = make_kafka_sink(o).status();
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("compression.type"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  o.settings = {{"enable.ssl.certificate.verification", "false"}};
  auto insecure = make_kafka_sink(o);
  ASSERT_TRUE(insecure) << insecure.status().to_string();
  const auto warnings = (*insecure)->configuration_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "tls_insecure");
}

}  // namespace
}  // namespace spool
