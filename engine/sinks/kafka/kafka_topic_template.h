// The Kafka sink's topic: one name, or a template in which "{kind}" stands for the record's
// kind, so spans, logs, metrics and other records go to topics of their own (an OTLP
// consumer reads one signal per topic).
//
//   "telemetry"          every record
//   "otlp-{kind}"        otlp-span, otlp-log, otlp-metric, otlp-record (raw frames and
//                        records of kinds this version does not know go to otlp-record)
#pragma once

#include <string>
#include <string_view>

#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr std::string_view kKindPlaceholder = "{kind}";

// "span", "log", "metric" or "record": what "{kind}" becomes for records of `kind`.
std::string_view topic_kind_name(RecordKind kind) noexcept;

// `topic` with every "{kind}" replaced by topic_kind_name(kind).
std::string topic_for_kind(std::string_view topic, RecordKind kind);

// OK when every topic the template makes is a Kafka topic name: 1 to 249 of [A-Za-z0-9._-],
// not "." or "..". The message names the template and what is wrong with it.
Status validate_topic_template(std::string_view topic);

}  // namespace spool::engine
