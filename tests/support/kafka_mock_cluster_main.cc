// kafka_mock_cluster: a librdkafka mock cluster in a process of its own, for tests that run
// spool's programs against Kafka (no broker binary exists here; the mock speaks the real
// protocol on 127.0.0.1).
//
//   kafka_mock_cluster [--brokers N] [--topic T --partitions P]
//
// Starts N brokers (default 3, ids 1..N); with --topic, creates T with P partitions
// replicated on every broker, partition p led by broker (p % N) + 1. Prints, one per line:
//   bootstrap HOST:PORT,HOST:PORT,...
//   leader PARTITION BROKER            (per partition of T)
// then reads commands from stdin, one per line, and answers each with lines ending in
// "ok" or "error <why>":
//   down B          broker B closes its connections and refuses new ones (its port kept)
//   up B            broker B takes connections again
//   count TOPIC     every message of TOPIC now: "key KEY COUNT" per distinct key (sorted),
//                   then "total MESSAGES KEYS", then "ok"
//   quit            exits 0 (so does the end of stdin)
// It exits when its parent dies (it must never outlive a test).
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "support/kafka_test_cluster.h"

namespace {

using spool::testing::MockKafkaCluster;

int usage() {
  std::fprintf(stderr, "usage: kafka_mock_cluster [--brokers N] [--topic T --partitions P]\n");
  return 2;
}

void answer(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) return 1;  // the parent died before the line above

  int brokers = 3;
  int partitions = 1;
  std::string topic;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (a == "--brokers") {
      brokers = std::stoi(v);
    } else if (a == "--topic") {
      topic = v;
    } else if (a == "--partitions") {
      partitions = std::stoi(v);
    } else {
      return usage();
    }
  }
  if (brokers < 1 || partitions < 1) return usage();

  MockKafkaCluster cluster(brokers);
  if (!cluster.ok()) {
    answer("error the mock cluster did not start");
    return 1;
  }
  answer("bootstrap " + cluster.bootstrap_servers());
  if (!topic.empty()) {
    if (!cluster.create_topic(topic, partitions)) {
      answer("error cannot create topic " + topic);
      return 1;
    }
    for (int p = 0; p < partitions; ++p) {
      const int leader = p % brokers + 1;
      if (!cluster.set_leader(topic, p, leader)) {
        answer("error cannot set the leader of partition " + std::to_string(p));
        return 1;
      }
      answer("leader " + std::to_string(p) + " " + std::to_string(leader));
    }
  }

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command, arg;
    words >> command >> arg;
    if (command == "quit") break;
    if (command == "down" || command == "up") {
      int broker = 0;
      try {
        broker = std::stoi(arg);
      } catch (...) {
        answer("error " + command + " needs a broker id");
        continue;
      }
      const bool ok =
          command == "down" ? cluster.set_broker_down(broker) : cluster.set_broker_up(broker);
      answer(ok ? "ok" : "error no broker " + arg);
    } else if (command == "count") {
      std::string error;
      auto messages = spool::testing::read_topic(cluster.bootstrap_servers(), arg,
                                                 std::chrono::seconds(60), &error);
      if (!messages) {
        answer("error " + error);
        continue;
      }
      const auto counts = spool::testing::count_keys(*messages);
      std::string out;
      for (const auto& [key, count] : counts)
        out += "key " + key + " " + std::to_string(count) + "\n";
      out += "total " + std::to_string(messages->size()) + " " + std::to_string(counts.size());
      answer(out);
      answer("ok");
    } else if (!command.empty()) {
      answer("error unknown command '" + command + "' (down B, up B, count TOPIC, quit)");
    }
  }
  return 0;
}
