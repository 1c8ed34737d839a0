// classify_kafka_error: the table of what a librdkafka error on a message means.
#include "engine/sinks/kafka/kafka_error_class.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

TEST(KafkaErrorClass, AnAcknowledgementIsDelivered) {
  EXPECT_EQ(classify_kafka_error(RD_KAFKA_RESP_ERR_NO_ERROR), KafkaErrorClass::kDelivered);
  EXPECT_EQ(outage_of(KafkaErrorClass::kDelivered), SinkOutage::kNone);
}

TEST(KafkaErrorClass, TimeoutsAndLostBrokersAreTheClustersOutage) {
  for (rd_kafka_resp_err_t e :
       {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
        RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__FATAL,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER}) {
    EXPECT_EQ(classify_kafka_error(e), KafkaErrorClass::kUnreachable) << rd_kafka_err2name(e);
  }
  EXPECT_EQ(outage_of(KafkaErrorClass::kUnreachable), SinkOutage::kUnreachable);
  EXPECT_EQ(classify_kafka_error(RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED),
            KafkaErrorClass::kBusy);
  EXPECT_EQ(outage_of(KafkaErrorClass::kBusy), SinkOutage::kBusy);
}

TEST(KafkaErrorClass, RefusedCredentialsAndWrongTopicsAreOutagesNotDeadLetters) {
  for (rd_kafka_resp_err_t e :
       {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, RD_KAFKA_RESP_ERR__AUTHENTICATION}) {
    EXPECT_EQ(classify_kafka_error(e), KafkaErrorClass::kAuth) << rd_kafka_err2name(e);
  }
  EXPECT_EQ(outage_of(KafkaErrorClass::kAuth), SinkOutage::kAuth);
  for (rd_kafka_resp_err_t e :
       {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR__SSL,
        RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE}) {
    EXPECT_EQ(classify_kafka_error(e), KafkaErrorClass::kMisconfigured) << rd_kafka_err2name(e);
  }
  EXPECT_EQ(outage_of(KafkaErrorClass::kMisconfigured), SinkOutage::kMisconfigured);
}

TEST(KafkaErrorClass, ARecordTheBrokerCanNeverTakeIsRefusedForGood) {
  for (rd_kafka_resp_err_t e :
       {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD,
        RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE}) {
    EXPECT_EQ(classify_kafka_error(e), KafkaErrorClass::kRecordRefused) << rd_kafka_err2name(e);
  }
  EXPECT_EQ(outage_of(KafkaErrorClass::kRecordRefused), SinkOutage::kNone);
}

TEST(KafkaErrorClass, AnythingElseUsesTheRetryBudget) {
  EXPECT_EQ(classify_kafka_error(RD_KAFKA_RESP_ERR_INVALID_MSG), KafkaErrorClass::kRetry);
  EXPECT_EQ(classify_kafka_error(RD_KAFKA_RESP_ERR_UNKNOWN), KafkaErrorClass::kRetry);
  EXPECT_EQ(outage_of(KafkaErrorClass::kRetry), SinkOutage::kNone);
}

}  // namespace
}  // namespace spool::engine
