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

namespace {

// `text` with every `placeholder` replaced by `value`.
std::string replace_all(std::string_view text, std::string_view placeholder,
                        std::string_view value) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = text.find(placeholder); at != std::string_view::npos;
       at = text.find(placeholder, from)) {
    out.append(text.substr(from, at - from));
    out.append(value);
    from = at + placeholder.size();
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace

std::string topic_for_kind(std::string_view topic, RecordKind kind, std::string_view lane) {
  return replace_all(replace_all(topic, kKindPlaceholder, topic_kind_name(kind)), kLanePlaceholder,
                     lane);
}

bool topic_per_lane(std::string_view topic) noexcept {
  return topic.find(kLanePlaceholder) != std::string_view::npos;
}

Status validate_topic_template(std::string_view topic) {
  const std::string shown = "topic '" + std::string(topic) + "'";
  if (topic.empty()) return Status::invalid_argument("the topic is empty");
  constexpr std::array kinds = {RecordKind::kSpan, RecordKind::kLog, RecordKind::kMetric,
                                RecordKind::kRecord};
  // The longest lane name (32 characters) of the characters lane names take.
  const std::string longest_lane(32, 'l');
  for (RecordKind kind : kinds) {
    const std::string name = topic_for_kind(topic, kind, longest_lane);
    if (!std::all_of(name.begin(), name.end(), legal_topic_char)) {
      return Status::invalid_argument(
          shown +
          " is not a Kafka topic name: only letters, digits, '.', '_' and '-' "
          "(and \"{kind}\", \"{lane}\")");
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
