#include "support/kafka_test_cluster.h"

#include <algorithm>

namespace spool::testing {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(0, left));
}

// A configuration without librdkafka's log lines on stderr (the mock logs every
// connection a test makes it refuse).
rd_kafka_conf_t* quiet_conf() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, nullptr);
  return conf;
}

bool set(rd_kafka_conf_t* conf, const char* name, const std::string& value, std::string* error) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) == RD_KAFKA_CONF_OK)
    return true;
  *error = std::string(name) + ": " + errstr;
  return false;
}

}  // namespace

MockKafkaCluster::MockKafkaCluster(int brokers) {
  char errstr[256];
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, quiet_conf(), errstr, sizeof errstr);
  if (handle_ == nullptr) return;
  cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
  brokers_ = brokers;
}

MockKafkaCluster::~MockKafkaCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

std::string MockKafkaCluster::bootstrap_servers() const {
  return cluster_ != nullptr ? rd_kafka_mock_cluster_bootstraps(cluster_) : "";
}

bool MockKafkaCluster::create_topic(const std::string& topic, int partitions) {
  return rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, brokers_) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool MockKafkaCluster::set_leader(const std::string& topic, int partition, int broker) {
  return rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool MockKafkaCluster::set_broker_down(int broker) {
  return rd_kafka_mock_broker_set_down(cluster_, broker) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool MockKafkaCluster::set_broker_up(int broker) {
  return rd_kafka_mock_broker_set_up(cluster_, broker) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void MockKafkaCluster::push_produce_errors(const std::vector<rd_kafka_resp_err_t>& errors) {
  rd_kafka_mock_push_request_errors_array(cluster_, /*ApiKey Produce*/ 0, errors.size(),
                                          errors.data());
}

std::optional<std::string> KafkaMessage::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::optional<std::vector<KafkaMessage>> read_topic(const std::string& bootstrap_servers,
                                                    const std::string& topic,
                                                    std::chrono::milliseconds limit,
                                                    std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  const Clock::time_point deadline = Clock::now() + limit;
  rd_kafka_conf_t* conf = quiet_conf();
  if (!set(conf, "bootstrap.servers", bootstrap_servers, error) ||
      !set(conf, "group.id", "spool-test-reader", error) ||
      !set(conf, "enable.auto.commit", "false", error) ||
      !set(conf, "enable.partition.eof", "false", error)) {
    rd_kafka_conf_destroy(conf);
    return std::nullopt;
  }
  char errstr[256];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    *error = errstr;
    return std::nullopt;
  }
  struct Closer {
    rd_kafka_t* rk;
    ~Closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } closer{rk};

  // The partitions and where each ends now (a topic being created answers without
  // partitions for a moment: ask again).
  int partitions = 0;
  for (;;) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 0, rkt, &md, std::max(1, ms_left(deadline)));
    rd_kafka_topic_destroy(rkt);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
        md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      partitions = md->topics[0].partition_cnt;
    }
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    if (partitions > 0) break;
    if (ms_left(deadline) == 0) {
      *error = "no metadata for topic " + topic + ": " + rd_kafka_err2str(err);
      return std::nullopt;
    }
  }
  std::vector<std::int64_t> next(static_cast<std::size_t>(partitions)), end(next.size());
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk, topic.c_str(), p, &low, &high, std::max(1, ms_left(deadline)));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(assignment);
      *error = "watermarks of " + topic + " [" + std::to_string(p) + "]: " + rd_kafka_err2str(err);
      return std::nullopt;
    }
    next[static_cast<std::size_t>(p)] = low;
    end[static_cast<std::size_t>(p)] = high;
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = low;
  }
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("assign: ") + rd_kafka_err2str(assigned);
    return std::nullopt;
  }

  std::vector<KafkaMessage> out;
  auto done = [&] {
    for (std::size_t p = 0; p < next.size(); ++p) {
      if (next[p] < end[p]) return false;
    }
    return true;
  };
  while (!done()) {
    if (ms_left(deadline) == 0) {
      *error = "read " + std::to_string(out.size()) + " messages of " + topic +
               " before the time ran out";
      return std::nullopt;
    }
    rd_kafka_message_t* m =
        rd_kafka_consumer_poll(rk, std::min(100, std::max(1, ms_left(deadline))));
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->partition >= 0 && m->partition < partitions &&
        m->offset < end[static_cast<std::size_t>(m->partition)]) {
      KafkaMessage k;
      k.topic = topic;
      k.partition = m->partition;
      k.offset = m->offset;
      if (m->key != nullptr) k.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) k.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_timestamp_type_t type;
      k.timestamp_ms = rd_kafka_message_timestamp(m, &type);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        std::size_t size;
        for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                                RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          k.headers.emplace_back(
              name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
        }
      }
      next[static_cast<std::size_t>(m->partition)] = m->offset + 1;
      out.push_back(std::move(k));
    }
    rd_kafka_message_destroy(m);
  }
  return out;
}

std::map<std::string, int> count_keys(const std::vector<KafkaMessage>& messages) {
  std::map<std::string, int> counts;
  for (const KafkaMessage& m : messages) ++counts[m.key];
  return counts;
}

}  // namespace spool::testing
