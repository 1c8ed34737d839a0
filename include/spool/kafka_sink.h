// A Kafka sink: every record becomes one Kafka message, produced with librdkafka's
// idempotent producer (enable.idempotence=true, so acks=all) and zstd compression.
//
//   spool::KafkaSinkOptions o;
//   o.bootstrap_servers = "kafka-1:9092,kafka-2:9092";
//   o.topic = "telemetry-{kind}";                 // or one topic for everything
//   auto sink = spool::make_kafka_sink(o);        // Result<std::unique_ptr<Sink>>
//
// A message:
//   key      idempotency_key(log_id, offset), e.g. "00c0ffee00c0ffee-42" (spool/sink.h)
//   headers  spool.log_id (16 lowercase hex), spool.offset (decimal), spool.kind (span, log,
//            metric, record, raw), spool.priority (low, normal, high, critical),
//            spool.timestamp_ns (the buffered-at time, decimal nanoseconds)
//   value    the record as an OTLP/protobuf request holding that one record, exactly as the
//            OTLP/HTTP sink encodes it (engine/sinks/otlp/otlp_mapping.h): spans as an
//            ExportTraceServiceRequest, metrics as an ExportMetricsServiceRequest, logs and
//            every other record as an ExportLogsServiceRequest. It is what the OpenTelemetry
//            Collector's Kafka receiver reads with encoding otlp_proto.
//   timestamp  the buffered-at time (CreateTime, milliseconds)
// The topic is `topic` with "{kind}" (if present) replaced by span, log, metric or record
// (raw frames go to "record"): a topic per signal, as OTLP consumers want them.
//
// send() produces every record of the batch, then waits for every delivery report (at most
// delivery_timeout_ms plus a little) and answers:
//   every message acknowledged                 kSucceeded
//   a broker down, all brokers down, a timeout an outage (SinkOutage::kUnreachable): nothing
//     (message.timeout.ms), a throttle (kBusy),  used up, nothing dead-lettered; when some
//     authorization / SASL refused (kAuth),      records were acknowledged, kPartial with the
//     unknown topic or partition, TLS errors     others failed and the outage set, so only
//     (kMisconfigured)                           those are sent again
//   a record the broker can never take         a permanent failure (dead letter): message
//     (too large, invalid record/timestamp)      larger than message.max.bytes, invalid record
//   other errors                               retried with the records' retry budget
// Messages still queued when send() answers (an outage) are purged from the producer first,
// so a retry does not pile up copies. Duplicates can still arrive (a message in flight when
// it was purged may have been written): the key says which records they are.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spool/sink.h"
#include "spool/status.h"

namespace spool {

struct KafkaSinkOptions {
  // librdkafka's bootstrap.servers: "HOST:PORT[,HOST:PORT...]".
  std::string bootstrap_servers;
  // A Kafka topic name ([A-Za-z0-9._-], at most 249 characters) in which "{kind}" may stand
  // for span, log, metric or record.
  std::string topic;
  // How long a message may wait for its acknowledgement (librdkafka's message.timeout.ms);
  // send() waits this long, plus a second of grace, before it answers an outage.
  std::uint32_t delivery_timeout_ms = 10000;
  // The OTLP Resource of every value, e.g. {"service.name", "inference-gw"} (a record
  // received over OTLP keeps its own; these fill only keys it lacks).
  std::vector<std::pair<std::string, std::string>> resource_attributes;
  // Further librdkafka configuration properties, applied after the sink's own, e.g.
  // {"linger.ms", "20"}, {"security.protocol", "sasl_ssl"}, {"sasl.username", ...}. The
  // properties the sink's guarantees rest on are refused: bootstrap.servers,
  // metadata.broker.list, enable.idempotence, acks, request.required.acks,
  // transactional.id, message.timeout.ms and delivery.timeout.ms (use delivery_timeout_ms).
  std::vector<std::pair<std::string, std::string>> settings;
};

// An invalid option (no bootstrap servers, a topic that is not a Kafka topic name, a zero
// timeout, a refused or unknown property or a value librdkafka does not take) is an
// InvalidArgument error; its message never contains a property's value. The producer
// connects in the background: an unreachable cluster shows in the first send()'s answer.
Result<std::unique_ptr<Sink>> make_kafka_sink(KafkaSinkOptions options);

}  // namespace spool
