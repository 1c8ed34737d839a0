#include "engine/sinks/kafka/kafka_topic_template.h"

#include <algorithm>
#include <array>

#include "spool/record_verify.h"

namespace spool::engine {

namespace {

// Kafka's own limit (kafka.common.internals.Topic): 249 characters of [A-Za-z0-9._-].
constexpr std::size_t kMaxTopicBytes = 249;

bool legal_topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string_view topic_kind_name(RecordKind kind) noexcept {
  const bool signal =
      kind == RecordKind::kSpan || kind == RecordKind::kLog || kind == RecordKind::kMetric;
  return signal ? record_kind_name(kind) : "record";
}

std::string topic_for_kind(std::string_view topic, RecordKind kind) {
  std::string out;
  const std::string_view name = topic_kind_name(kind);
  std::size_t from = 0;
  for (std::size_t at = topic.find(kKindPlaceholder); at != std::string_view::npos;
       at = topic.find(kKindPlaceholder, from)) {
    out.append(topic.substr(from, at - from));
    out.append(name);
    from = at + kKindPlaceholder.size();
  }
  out.append(topic.substr(from));
  return out;
}

Status validate_topic_template(std::string_view topic) {
  const std::string shown = "topic '" + std::string(topic) + "'";
  if (topic.empty()) return Status::invalid_argument("the topic is empty");
  constexpr std::array kinds = {RecordKind::kSpan, RecordKind::kLog, RecordKind::kMetric,
                                RecordKind::kRecord};
  for (RecordKind kind : kinds) {
    const std::string name = topic_for_kind(topic, kind);
    if (!std::all_of(name.begin(), name.end(), legal_topic_char)) {
      return Status::invalid_argument(
          shown +
          " is not a Kafka topic name: only letters, digits, '.', '_' and '-' "
          "(and \"{kind}\")");
    }
    if (name.size() > kMaxTopicBytes) {
      return Status::invalid_argument(shown + " is longer than Kafka's 249 characters");
    }
    if (name == "." || name == "..")
      return Status::invalid_argument(shown + " is not a Kafka topic name");
  }
  return Status::ok();
}

}  // namespace spool::engine
