// kafka_producer_conf: the producer's configuration from KafkaSinkOptions, and what it
// refuses (without repeating a property's value).
#include "engine/sinks/kafka/kafka_producer_config.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

std::string property(rd_kafka_conf_t* conf, const char* name) {
  char value[512];
  std::size_t size = sizeof value;
  if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return value;
}

KafkaSinkOptions options() {
  KafkaSinkOptions o;
  o.bootstrap_servers = "k1:9092,k2:9092";
  o.topic = "t-{kind}";
  o.delivery_timeout_ms = 2500;
  return o;
}

TEST(KafkaProducerConfig, TheSinksOwnPropertiesThenTheSettings) {
  KafkaSinkOptions o = options();
  o.settings = {{"linger.ms", "50"}, {"compression.type", "lz4"}, {"client.id", "edge-7"}};
  auto conf = kafka_producer_conf(o);
  ASSERT_TRUE(conf) << conf.status().to_string();
  EXPECT_EQ(property(conf->get(), "bootstrap.servers"), "k1:9092,k2:9092");
  EXPECT_EQ(property(conf->get(), "enable.idempotence"), "true");
  EXPECT_EQ(property(conf->get(), "message.timeout.ms"), "2500");
  EXPECT_EQ(property(conf->get(), "linger.ms"), "50");
  EXPECT_EQ(property(conf->get(), "compression.type"), "lz4");
  EXPECT_EQ(property(conf->get(), "client.id"), "edge-7");
  auto defaults = kafka_producer_conf(options());
  ASSERT_TRUE(defaults);
  EXPECT_EQ(property(defaults->get(), "compression.type"), "zstd");
  EXPECT_EQ(property(defaults->get(), "linger.ms"), "5");
}

TEST(KafkaProducerConfig, ReservedUnknownAndBadPropertiesAreRefused) {
  for (const char* reserved :
       {"bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks",
        "request.required.acks", "transactional.id", "message.timeout.ms", "delivery.timeout.ms"}) {
    EXPECT_TRUE(kafka_property_is_reserved(reserved)) << reserved;
    KafkaSinkOptions o = options();
    o.settings = {{reserved, "1"}};
    const Status s = kafka_producer_conf(o).status();
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << reserved;
    EXPECT_NE(s.message().find("is set by the sink"), std::string::npos) << s.message();
  }
  EXPECT_FALSE(kafka_property_is_reserved("linger.ms"));

  // An unknown property, a value librdkafka does not take: refused, naming the property and
  // never the value.
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"no.such.property", "hunter2"}, {"linger.ms", "hunter2"}}) {
    KafkaSinkOptions o = options();
    o.settings = {{name, value}};
    const Status s = kafka_producer_conf(o).status();
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find(value), std::string::npos) << s.message();
  }

  KafkaSinkOptions no_servers = options();
  no_servers.bootstrap_servers.clear();
  EXPECT_EQ(kafka_producer_conf(no_servers).status().message(),
            "Kafka sink needs bootstrap servers");
  KafkaSinkOptions zero = options();
  zero.delivery_timeout_ms = 0;
  EXPECT_EQ(kafka_producer_conf(zero).status().code(), StatusCode::kInvalidArgument);
  KafkaSinkOptions bad_topic = options();
  bad_topic.topic = "a b";
  EXPECT_EQ(kafka_producer_conf(bad_topic).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spool::engine
