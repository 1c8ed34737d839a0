#include "engine/sinks/kafka/kafka_producer_config.h"

#include <array>
#include <string>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/kafka/kafka_topic_template.h"

namespace spool::engine {

namespace {

constexpr std::array<std::string_view, 8> kReserved = {
    "bootstrap.servers",     "metadata.broker.list", "enable.idempotence", "acks",
    "request.required.acks", "transactional.id",     "message.timeout.ms", "delivery.timeout.ms",
};

// librdkafka's message may quote the value it refused: never let it through.
std::string without_value(std::string text, const std::string& value) {
  if (!value.empty()) {
    for (std::size_t at = text.find(value); at != std::string::npos;
         at = text.find(value, at + kRedacted.size())) {
      text.replace(at, value.size(), kRedacted);
    }
  }
  return redact_secrets(text);
}

}  // namespace

bool kafka_property_is_reserved(std::string_view name) noexcept {
  for (std::string_view r : kReserved) {
    if (name == r) return true;
  }
  return false;
}

Result<KafkaConf> kafka_producer_conf(const KafkaSinkOptions& options) {
  if (options.bootstrap_servers.empty())
    return Status::invalid_argument("Kafka sink needs bootstrap servers");
  SPOOL_RETURN_IF_ERROR(validate_topic_template(options.topic));
  if (options.delivery_timeout_ms == 0)
    return Status::invalid_argument("Kafka delivery timeout must be > 0 ms");
  for (const auto& [name, value] : options.settings) {
    if (kafka_property_is_reserved(name)) {
      return Status::invalid_argument("Kafka property '" + name +
                                      "' is set by the sink and cannot be changed" +
                                      (name == "message.timeout.ms" || name == "delivery.timeout.ms"
                                           ? std::string(" (use the delivery timeout)")
                                           : std::string()));
    }
  }
  KafkaConf conf(rd_kafka_conf_new());
  char errstr[512];
  auto set = [&](const std::string& name, const std::string& value) -> Status {
    errstr[0] = '\0';
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return Status::invalid_argument("Kafka property '" + name +
                                      "': " + without_value(errstr, value));
    }
    return Status::ok();
  };
  SPOOL_RETURN_IF_ERROR(set("bootstrap.servers", options.bootstrap_servers));
  SPOOL_RETURN_IF_ERROR(set("enable.idempotence", "true"));
  SPOOL_RETURN_IF_ERROR(set("compression.type", "zstd"));
  SPOOL_RETURN_IF_ERROR(set("message.timeout.ms", std::to_string(options.delivery_timeout_ms)));
  SPOOL_RETURN_IF_ERROR(set("linger.ms", "5"));
  SPOOL_RETURN_IF_ERROR(set("reconnect.backoff.max.ms", "1000"));
  SPOOL_RETURN_IF_ERROR(set("client.id", "spool"));
  for (const auto& [name, value] : options.settings) SPOOL_RETURN_IF_ERROR(set(name, value));
  return conf;
}

}  // namespace spool::engine
