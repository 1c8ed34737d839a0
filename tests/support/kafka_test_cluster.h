// librdkafka's mock cluster (rdkafka_mock.h: real Kafka protocol on 127.0.0.1, in this
// process) and a reader of its topics, for the tests and benchmarks of the Kafka sink. No
// broker binary exists here; the mock speaks the protocol a real cluster speaks (metadata,
// idempotent produce, fetch), and can take brokers down and up and inject errors.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spool::testing {

class MockKafkaCluster {
 public:
  // Starts `brokers` brokers (ids 1..brokers) on loopback ports. ok() says whether it did.
  explicit MockKafkaCluster(int brokers);
  ~MockKafkaCluster();
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  bool ok() const noexcept { return cluster_ != nullptr; }
  // "127.0.0.1:PORT,127.0.0.1:PORT,..."
  std::string bootstrap_servers() const;
  rd_kafka_mock_cluster_t* mock() const noexcept { return cluster_; }

  // A topic of `partitions` partitions replicated on every broker (a topic a client asks for
  // before it exists is made with 4 partitions).
  bool create_topic(const std::string& topic, int partitions);
  // Makes `broker` the leader of the partition (the mock never moves leaders by itself).
  bool set_leader(const std::string& topic, int partition, int broker);
  // Down: the broker's connections are closed and new ones refused, its port kept.
  bool set_broker_down(int broker);
  bool set_broker_up(int broker);
  // The next produce requests (any broker) are answered with these errors, one each.
  void push_produce_errors(const std::vector<rd_kafka_resp_err_t>& errors);

 private:
  rd_kafka_t* handle_ = nullptr;  // the client the mock cluster belongs to
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int brokers_ = 0;
};

struct KafkaMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::int64_t timestamp_ms = -1;
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the first header named `name`.
  std::optional<std::string> header(const std::string& name) const;
};

// Every message of `topic` that the cluster at `bootstrap_servers` holds now: each partition
// read from its first offset up to the high watermark it had when the read began, within
// `limit`. nullopt (and *error says why) when the topic cannot be read in time.
std::optional<std::vector<KafkaMessage>> read_topic(const std::string& bootstrap_servers,
                                                    const std::string& topic,
                                                    std::chrono::milliseconds limit,
                                                    std::string* error = nullptr);

// How many messages carry each key.
std::map<std::string, int> count_keys(const std::vector<KafkaMessage>& messages);

}  // namespace spool::testing
