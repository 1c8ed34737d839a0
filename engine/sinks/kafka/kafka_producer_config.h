// The librdkafka configuration of the Kafka sink's producer, built from KafkaSinkOptions,
// and the checks of those options. One place, so make_kafka_sink and the configuration
// checks of the front ends (spoold's config file) refuse the same things with the same
// messages, without connecting anywhere.
//
// The sink's own properties:
//   bootstrap.servers    options.bootstrap_servers
//   enable.idempotence   true (acks=all, retries without reordering or duplicates from retries)
//   compression.type     zstd (options.settings may choose another)
//   message.timeout.ms   options.delivery_timeout_ms
//   linger.ms            5 (the batch is produced at once: a short linger fills requests)
//   reconnect.backoff.max.ms  1000 (as the Java client: a broker that is back is used again
//                        within a second, not after librdkafka's default of up to 10 s)
//   client.id            spool
// then options.settings in order (a later one wins), except the reserved properties below.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string_view>

#include "spool/kafka_sink.h"
#include "spool/status.h"

namespace spool::engine {

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
};
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;

// True for the properties whose values the sink's guarantees rest on (bootstrap.servers,
// metadata.broker.list, enable.idempotence, acks, request.required.acks, transactional.id,
// message.timeout.ms, delivery.timeout.ms): refused in KafkaSinkOptions::settings.
bool kafka_property_is_reserved(std::string_view name) noexcept;

// InvalidArgument for options no producer can be made of: no bootstrap servers, a topic that
// is not a Kafka topic name, a zero timeout, a reserved property, a property librdkafka does
// not know or a value it does not take. No message repeats a property's value.
Result<KafkaConf> kafka_producer_conf(const KafkaSinkOptions& options);

}  // namespace spool::engine
