// The Kafka sink's URL, the form `spoolctl forward --to`, spoold's sinks and the C API take:
//
//   kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?PROPERTY=VALUE[&PROPERTY=VALUE...]]
//
//   kafka://127.0.0.1:9092/telemetry
//   kafka://k1:9092,k2:9092,[::1]:9093/otlp-{kind}?linger.ms=20&security.protocol=ssl
//
// HOST:PORT pairs are the bootstrap servers; TOPIC may hold "{kind}" (kafka_topic_template.h).
// Query parameters are librdkafka properties (names and values percent-decoded) for
// KafkaSinkOptions::settings, except message.timeout.ms and delivery.timeout.ms, which set
// the delivery timeout. Credentials go in properties (sasl.username, sasl.password): a URL
// with userinfo (kafka://user:pass@host) is refused. Query values appear only redacted in
// every text spool keeps (engine/forward/secret_redaction.h).
#pragma once

#include <string_view>

#include "spool/kafka_sink.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr std::string_view kKafkaScheme = "kafka://";

// The options a kafka:// URL names (bootstrap_servers, topic, delivery_timeout_ms,
// settings; resource_attributes stay empty). InvalidArgument for a URL of another form;
// the message starts with the URL, quoted and redacted, and says what is wrong. Reserved
// and unknown properties are refused later, by kafka_producer_conf().
Result<KafkaSinkOptions> parse_kafka_url(std::string_view url);

}  // namespace spool::engine
