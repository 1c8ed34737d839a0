// What a librdkafka error on a message (a delivery report, or produce() refusing it) means
// for its record: the one table the Kafka sink consults (kafka_error_class.cc), as
// engine/sinks/otlp/http_answer_class.h is for HTTP statuses.
//
//   error                                        class           forwarder
//   NO_ERROR                                     kDelivered      commit
//   message timed out, transport, all brokers    kUnreachable    outage: back off, no retry
//     down, DNS, leader/replicas unavailable,                    used up, never a dead letter
//     purged by the sink, producer fenced/fatal
//   THROTTLING_QUOTA_EXCEEDED                    kBusy           outage
//   topic/cluster authorization, SASL            kAuth           outage + health sink_auth
//   unknown topic or partition, invalid topic,   kMisconfigured  outage + health
//     TLS, unsupported compression or version                    sink_misconfigured
//   message too large, invalid record or         kRecordRefused  the record can never pass:
//     timestamp, a bad argument for this record                  dead letter (not retried)
//   anything else                                kRetry          retried with the records'
//                                                                retry budget
//
// Why authorization is an outage and not a refusal of the record: a missing ACL or an
// expired credential says nothing about the records; dead-lettering them would copy the
// whole stream aside (the OTLP/HTTP sink treats 401/403 the same way).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>

#include "spool/sink.h"

namespace spool::engine {

enum class KafkaErrorClass : std::uint8_t {
  kDelivered,
  kUnreachable,
  kBusy,
  kAuth,
  kMisconfigured,
  kRecordRefused,
  kRetry,
};

KafkaErrorClass classify_kafka_error(rd_kafka_resp_err_t err) noexcept;

// The outage a class stands for (kNone for kDelivered, kRecordRefused and kRetry).
SinkOutage outage_of(KafkaErrorClass c) noexcept;

}  // namespace spool::engine
