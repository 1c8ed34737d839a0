// spoold_config_json: the effective configuration as --print-config shows it. Whatever may
// hold a secret is masked here, in one place: the token, every header value (API keys
// travel in headers), and sink URLs through the same redaction as every error text
// (engine/forward/secret_redaction.h: userinfo and query values).
#include <nlohmann/json.hpp>

#include "engine/forward/secret_redaction.h"
#include "tools/buffer_option_names.h"
#include "tools/lane_spec.h"
#include "tools/spoold/spoold_config.h"

namespace spool::tools {

namespace {
constexpr std::string_view kMasked = "***";
}  // namespace

std::vector<std::pair<std::string, std::string>> effective_resource_attributes(
    const SpooldConfig& config) {
  std::vector<std::pair<std::string, std::string>> attributes = config.resource_attributes;
  auto put = [&attributes](const std::string& key, const std::string& value) {
    std::erase_if(attributes, [&](const auto& a) { return a.first == key; });
    attributes.emplace_back(key, value);
  };
  if (!config.service_name.empty()) put("service.name", config.service_name);
  if (!config.device_id.empty()) put("device.id", config.device_id);
  return attributes;
}

namespace {

// A lane as its settings were given: name, route and the fields it sets.
nlohmann::ordered_json lane_json(const LaneOptions& lane) {
  nlohmann::ordered_json j;
  j["name"] = lane.name;
  j["route"] = lane.route;
  j.update(lane_settings_json(lane));
  return j;
}

}  // namespace

std::string spoold_config_json(const SpooldConfig& c) {
  nlohmann::ordered_json j;
  j["dir"] = c.dir;
  j["max_size_mb"] = c.max_size_mb;
  j["retention_days"] = c.retention_days;
  j["device_id"] = c.device_id;
  j["service_name"] = c.service_name;
  nlohmann::ordered_json resource = nlohmann::ordered_json::object();
  for (const auto& [key, value] : c.resource_attributes) resource[key] = value;
  j["resource"] = std::move(resource);
  j["otlp_listen"] = c.otlp_listen;
  j["metrics_listen"] = c.metrics_listen.empty() ? "off" : c.metrics_listen;
  j["ack"] = ack_mode_name(c.ack);
  j["max_body_bytes"] = c.max_body_bytes;
  if (!c.token.empty()) j["token"] = kMasked;
  if (!c.token_file.empty()) j["token_file"] = c.token_file;
  if (!c.tls_cert_file.empty()) {
    j["tls_cert_file"] = c.tls_cert_file;
    j["tls_key_file"] = c.tls_key_file;
  }
  nlohmann::ordered_json sinks = nlohmann::ordered_json::array();
  for (const SinkConfig& sink : c.sinks) {
    nlohmann::ordered_json s;
    s["url"] = engine::redact_secrets(sink.url);
    s["cursor"] = sink.cursor;
    nlohmann::ordered_json headers = nlohmann::ordered_json::object();
    for (const auto& header : sink.headers) headers[header.first] = kMasked;
    s["headers"] = std::move(headers);
    s["compression"] = sink.compression.empty() ? "default" : sink.compression;
    s["encoding"] = sink.encoding.empty() ? "protobuf" : sink.encoding;
    s["order"] = sink.order.empty() ? "oldest" : sink.order;
    s["min_priority"] = sink.min_priority.empty() ? "low" : sink.min_priority;
    s["min_severity"] = sink.min_severity.empty() ? "0" : sink.min_severity;
    s["select"] = sink.select.empty() ? "all" : sink.select;
    nlohmann::ordered_json redact = nlohmann::ordered_json::array();
    for (const RedactionRule& rule : sink.redaction.rules)
      redact.push_back(redaction_rule_text(rule));
    s["redact"] = std::move(redact);
    if (!sink.redact_key_file.empty())
      s["redact_key_file"] = sink.redact_key_file;  // never the key
    s["rate_limit"] = sink.bandwidth.rate_limit_bytes_per_s;
    s["daily_cap"] = sink.bandwidth.daily_cap_bytes;
    s["critical_reserve"] = sink.bandwidth.critical_reserve_bytes;
    s["lanes"] =
        sink.lanes.empty() ? nlohmann::ordered_json("all") : nlohmann::ordered_json(sink.lanes);
    sinks.push_back(std::move(s));
  }
  j["sinks"] = std::move(sinks);
  j["drain_timeout_ms"] = c.drain_timeout_ms;
  nlohmann::ordered_json buffer = nlohmann::ordered_json::object();
  for (const auto& [name, value] : c.buffer_options) buffer[name] = value;
  j["buffer"] = std::move(buffer);
  nlohmann::ordered_json lanes = nlohmann::ordered_json::array();
  for (const LaneOptions& lane : c.lanes) lanes.push_back(lane_json(lane));
  j["lanes"] = std::move(lanes);
  return j.dump(2);
}

}  // namespace spool::tools
