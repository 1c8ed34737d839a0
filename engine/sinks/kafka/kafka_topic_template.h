// The Kafka sink's topic: one name, or a template in which "{kind}" stands for the record's
// kind, so spans, logs, metrics and other records go to topics of their own (an OTLP
// consumer reads one signal per topic), and "{lane}" for the lane the record comes from
// (include/spool/lane_options.h: "default", or a lane's name), so each lane is a topic with
// its own retention on the brokers.
//
//   "telemetry"          every record
//   "otlp-{kind}"        otlp-span, otlp-log, otlp-metric, otlp-record (raw frames and
//                        records of kinds this version does not know go to otlp-record)
//   "spool-{lane}"       spool-default, spool-logs, ...
#pragma once

#include <string>
#include <string_view>

#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr std::string_view kKindPlaceholder = "{kind}";
inline constexpr std::string_view kLanePlaceholder = "{lane}";

// "span", "log", "metric" or "record": what "{kind}" becomes for records of `kind`.
std::string_view topic_kind_name(RecordKind kind) noexcept;

// `topic` with every "{kind}" replaced by topic_kind_name(kind) and every "{lane}" by `lane`.
std::string topic_for_kind(std::string_view topic, RecordKind kind,
                           std::string_view lane = "default");

// True when the topic names the lane ("{lane}"): a topic per lane.
bool topic_per_lane(std::string_view topic) noexcept;

// OK when every topic the template makes is a Kafka topic name: 1 to 249 of [A-Za-z0-9._-],
// not "." or "..". The message names the template and what is wrong with it.
Status validate_topic_template(std::string_view topic);

}  // namespace spool::engine
