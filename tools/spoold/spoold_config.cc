// load_spoold_config: the sources in order (defaults < config file < environment < command
// line), each read through the key table (spoold_config_keys.h) or, for the list and table
// keys, by the ConfigLoader (spoold_config_loader.h); then the checks of the merged result.
// This file: the command line, the environment, and the order.
#include "tools/spoold/spoold_config.h"

#include <algorithm>

#include "engine/sinks/otlp/http_header_sources.h"
#include "tools/lane_spec.h"
#include "tools/spoold/spoold_config_loader.h"

namespace spool::tools {
namespace config_loading {

Status error(const std::string& where, const std::string& what) {
  return Status::invalid_argument(where + ": " + what);
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string key_list(std::span<const std::string_view> names) {
  std::string list;
  for (std::string_view name : names) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

namespace {

constexpr std::string_view kOtelEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
constexpr std::string_view kOtelHeaders = "OTEL_EXPORTER_OTLP_HEADERS";
constexpr std::string_view kOtelCompression = "OTEL_EXPORTER_OTLP_COMPRESSION";
constexpr std::string_view kOtelResource = "OTEL_RESOURCE_ATTRIBUTES";

// OTEL_RESOURCE_ATTRIBUTES: "k=v,k2=v2" (W3C Baggage without properties), blanks trimmed,
// keys and values percent-decoded, empty entries skipped.
Result<std::vector<std::pair<std::string, std::string>>> parse_otel_key_values(
    std::string_view text, const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t entry = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim_blanks(text.substr(0, comma));
    ++entry;
    if (!item.empty()) {
      const std::string at = where + " entry " + std::to_string(entry);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) return error(at, "expected key=value (no '=' found)");
      std::string key, value;
      if (!engine::percent_decode(trim_blanks(item.substr(0, eq)), &key) ||
          !engine::percent_decode(trim_blanks(item.substr(eq + 1)), &value)) {
        return error(at, "bad percent-encoding ('%' must be followed by two hex digits)");
      }
      if (key.empty()) return error(at, "the key is empty");
      out.emplace_back(std::move(key), std::move(value));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

Status ConfigLoader::set(const ConfigKey& key, std::string_view text, const std::string& where,
                         int rank) {
  Status status = key.set(config_, text);
  if (!status.is_ok()) return error(where, status.message());
  const std::string_view name = key.file_key.empty() ? key.env : key.file_key;
  origin_[std::string(name)] = {where, rank};
  if (name == "token_file") origin_.erase("SPOOL_OTLP_TOKEN");
  if (name == "SPOOL_OTLP_TOKEN") origin_.erase("token_file");
  return Status::ok();
}

// A resource attribute; service.name and device.id go to their own keys unless a source
// that ranks higher already set those (OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES'
// service.name, as the OpenTelemetry SDKs have it).
void ConfigLoader::set_resource_attribute(std::string key, std::string value,
                                          const std::string& where, int rank) {
  for (auto [attribute, field] :
       {std::pair{"service.name", "service_name"}, std::pair{"device.id", "device_id"}}) {
    if (key != attribute) continue;
    if (rank >= rank_of(field)) {
      (key == "service.name" ? config_->service_name : config_->device_id) = value;
      origin_[field] = {where, rank};
    }
    return;
  }
  auto& attributes = config_->resource_attributes;
  std::erase_if(attributes, [&](const auto& a) { return a.first == key; });
  attributes.emplace_back(std::move(key), std::move(value));
}

Status ConfigLoader::set_buffer_option(const std::string& name, const std::string& value,
                                       const std::string& where) {
  Options scratch;
  Status status = apply_buffer_options({{name, value}}, &scratch);
  if (!status.is_ok()) return error(where, status.message());
  config_->buffer_options[name] = value;
  return Status::ok();
}

Status ConfigLoader::load_environment(const Environment& env) {
  // OTEL_RESOURCE_ATTRIBUTES before the keys, so OTEL_SERVICE_NAME wins over its service.name.
  if (auto it = env.find(kOtelResource); it != env.end()) {
    const std::string where = "environment " + std::string(kOtelResource);
    auto attributes = parse_otel_key_values(it->second, where);
    if (!attributes) return attributes.status();
    for (auto& [key, value] : *attributes) set_resource_attribute(key, value, where, kEnvironment);
  }
  for (const ConfigKey& key : config_keys()) {
    if (key.env.empty()) continue;
    auto it = env.find(key.env);
    if (it == env.end()) continue;
    SPOOL_RETURN_IF_ERROR(
        set(key, it->second, "environment " + std::string(key.env), kEnvironment));
  }
  if (auto it = env.find(kOtelEndpoint); it != env.end()) {
    // The OpenTelemetry exporter's base URL: the OTLP sink appends /v1/traces, /v1/logs and
    // /v1/metrics to its endpoint exactly as the specification says of this variable, so
    // it is the sink's URL unchanged.
    config_->sinks = {SinkConfig{.url = it->second}};
    sink_where_ = {"environment " + std::string(kOtelEndpoint)};
  }
  return Status::ok();
}

Status ConfigLoader::load_arguments(const Arguments& args) {
  for (const auto& value : args.resource) {
    const std::size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0) {
      return error("--resource-attribute", "'" + value + "' is not KEY=VALUE");
    }
    set_resource_attribute(value.substr(0, eq), value.substr(eq + 1), "--resource-attribute",
                           kCommandLine);
  }
  for (const auto& value : args.buffer) {
    const std::size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0)
      return error("--buffer", "'" + value + "' is not NAME=VALUE");
    SPOOL_RETURN_IF_ERROR(set_buffer_option(value.substr(0, eq), value.substr(eq + 1), "--buffer"));
  }
  if (!args.lanes.empty()) config_->lanes.clear();
  for (const auto& spec : args.lanes) {
    auto lane = parse_lane_spec(spec);
    if (!lane) return error("--lane", lane.status().message());
    config_->lanes.push_back(std::move(*lane));
  }
  for (const auto& [key, value] : args.values) {
    SPOOL_RETURN_IF_ERROR(set(*key, value, std::string(key->flag), kCommandLine));
  }
  if (args.dir) {
    for (const ConfigKey& key : config_keys()) {
      if (key.file_key == "dir") SPOOL_RETURN_IF_ERROR(set(key, *args.dir, "DIR", kCommandLine));
    }
  }
  if (!args.to.empty()) {
    config_->sinks.clear();
    sink_where_.clear();
    for (const auto& url : args.to) {
      config_->sinks.push_back(SinkConfig{
          .url = url, .redact = args.redact, .redact_key_file = args.redact_key_file.value_or("")});
      sink_where_.push_back("--to");
    }
  } else if (!args.redact.empty() || args.redact_key_file) {
    return error(args.redact.empty() ? "--redact-key-file" : "--redact",
                 "applies to the sinks of --to (a [[sink]] has redact and redact_key_file)");
  }
  return Status::ok();
}

Status ConfigLoader::apply_otel_exporter_variables(const Environment& env, const Arguments& args) {
  // OTEL_EXPORTER_OTLP_HEADERS and _COMPRESSION belong to the sink OTEL_EXPORTER_OTLP_ENDPOINT
  // names. Without that variable they go to the http(s) sinks given with --to, which has no
  // way to carry headers itself (and argv is public to `ps`).
  // When --to replaced the endpoint's sink, they go nowhere: a header meant for one receiver
  // (an API key) must not be sent to another.
  const bool endpoint_set = env.contains(kOtelEndpoint);
  std::vector<SinkConfig*> otel_sinks;
  for (SinkConfig& sink : config_->sinks) {
    const bool http = sink.url.starts_with("http://") || sink.url.starts_with("https://");
    if (endpoint_set ? args.to.empty() : (!args.to.empty() && http)) otel_sinks.push_back(&sink);
  }
  for (std::string_view variable : {kOtelHeaders, kOtelCompression}) {
    auto it = env.find(variable);
    if (it == env.end()) continue;
    if (otel_sinks.empty()) {
      out_->warnings.push_back("environment " + std::string(variable) +
                               " is ignored: it applies to the sink of "
                               "OTEL_EXPORTER_OTLP_ENDPOINT, else to those of --to");
      continue;
    }
    if (variable == kOtelHeaders) {
      auto headers = engine::parse_otel_headers(it->second);
      if (!headers) return Status::invalid_argument("environment " + headers.status().message());
      for (SinkConfig* sink : otel_sinks) engine::merge_headers(&sink->headers, *headers);
    } else {
      if (it->second != "none" && it->second != "gzip" && it->second != "zstd") {
        return Status::invalid_argument("environment " + std::string(variable) + ": '" +
                                        it->second + "' is not one of gzip, none, zstd");
      }
      for (SinkConfig* sink : otel_sinks) sink->compression = it->second;
    }
  }
  for (std::string_view unused :
       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"}) {
    if (env.contains(unused)) {
      out_->warnings.push_back("environment " + std::string(unused) +
                               " is ignored: spoold forwards every signal to one base URL "
                               "(OTEL_EXPORTER_OTLP_ENDPOINT)");
    }
  }
  // The OTel SDKs' protocol names: http/protobuf and http/json pick the encoding of the same
  // sinks as the headers above; grpc is not spoken here.
  if (auto it = env.find("OTEL_EXPORTER_OTLP_PROTOCOL"); it != env.end()) {
    if (it->second == "http/protobuf" || it->second == "http/json") {
      for (SinkConfig* sink : otel_sinks) sink->encoding = it->second == "http/json" ? "json" : "protobuf";
    } else {
      out_->warnings.push_back("environment OTEL_EXPORTER_OTLP_PROTOCOL=" + it->second +
                               " is ignored: spoold's OTLP sinks send http/protobuf or http/json");
    }
  }
  return Status::ok();
}

namespace {

std::string help_text() {
  std::string text(kUsage);
  text +=
      "\n\nThe spool agent: holds the writer role of the log in DIR, receives OTLP/HTTP, forwards "
      "to its sinks,\nand serves /metrics and /healthz. Each flag's environment variable and "
      "config file key are in [].\nPrecedence: defaults < config file < environment < flags.\n\n";
  auto line = [&text](std::string left, std::string_view help, std::string sources) {
    if (left.size() < 30)
      left.resize(30, ' ');
    else
      left += "\n" + std::string(30, ' ');
    text += "  " + left + std::string(help) + (sources.empty() ? "" : " [" + sources + "]") + "\n";
  };
  line("--config FILE", "TOML config file", "SPOOL_CONFIG");
  for (const ConfigKey& key : config_keys()) {
    std::string sources;
    if (!key.env.empty()) sources += std::string(key.env);
    if (!key.file_key.empty()) sources += (sources.empty() ? "" : ", ") + std::string(key.file_key);
    if (key.flag.empty()) {
      if (key.file_key == "dir")
        line("DIR", key.help, sources);
      else
        line(std::string(key.env), key.help, "");
      continue;
    }
    line(std::string(key.flag) + " " + std::string(key.metavar), key.help, sources);
  }
  line("--to URL", "a sink (repeatable): http(s)://HOST:PORT[/prefix], file:PATH, jsonl:PATH",
       "OTEL_EXPORTER_OTLP_ENDPOINT (+ _HEADERS, _COMPRESSION), [[sink]]");
  line("--redact RULES",
       "redaction rules for the sinks of --to (repeatable): FIELD[:drop|hash|truncate=N],...",
       "[[sink]] redact");
  line("--redact-key-file FILE", "the HMAC key of --redact's hash action",
       "[[sink]] redact_key_file");
  line("--resource-attribute K=V", "an OTLP resource attribute (repeatable)",
       "OTEL_RESOURCE_ATTRIBUTES, [resource]");
  std::string buffer_keys;
  for (const std::string& name : buffer_option_keys())
    buffer_keys += (buffer_keys.empty() ? "" : ", ") + name;
  line("--buffer NAME=VALUE", "a Buffer option (repeatable): " + buffer_keys, "[buffer]");
  line(
      "--lane NAME=TERM[,TERM...][;KEY=VALUE...]",
      "a lane (repeatable; replaces [[lane]]): route terms span, log, metric, record, raw, KIND@P, "
      "KIND@P+, *@P, *@P+, record:TYPE; keys " +
          lane_key_list(),
      "[[lane]]");
  line("--print-config", "print the effective configuration as JSON (secrets masked) and exit", "");
  line("--help, -h", "this text", "");
  line("--version", "the version", "");
  return text;
}

Status parse_arguments(int argc, const char* const* argv, Arguments* args) {
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (flags_done || !arg.starts_with("-") || arg == "-") {
      if (args->dir) {
        return Status::invalid_argument("unexpected argument '" + std::string(arg) +
                                        "' (DIR is already '" + *args->dir + "'; " +
                                        std::string(kUsage) + ")");
      }
      args->dir = std::string(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      args->help = true;
      continue;
    }
    if (arg == "--version") {
      args->version = true;
      continue;
    }
    if (arg == "--print-config") {
      args->print_config = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string> value;
    if (const std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    const ConfigKey* key = nullptr;
    for (const ConfigKey& k : config_keys()) {
      if (!k.flag.empty() && k.flag == name) key = &k;
    }
    const bool known = key != nullptr || name == "--config" || name == "--to" ||
                       name == "--resource-attribute" || name == "--buffer" || name == "--lane" ||
                       name == "--redact" || name == "--redact-key-file";
    if (!known)
      return Status::invalid_argument("unknown option " + std::string(name) + " (see --help)");
    if (!value) {
      if (i + 1 >= argc) return error(std::string(name), "needs a value");
      value = argv[++i];
    }
    if (key != nullptr)
      args->values.emplace_back(key, std::move(*value));
    else if (name == "--config")
      args->config_file = std::move(*value);
    else if (name == "--to")
      args->to.push_back(std::move(*value));
    else if (name == "--resource-attribute")
      args->resource.push_back(std::move(*value));
    else if (name == "--redact")
      args->redact.push_back(std::move(*value));
    else if (name == "--redact-key-file")
      args->redact_key_file = std::move(*value);
    else if (name == "--lane")
      args->lanes.push_back(std::move(*value));
    else
      args->buffer.push_back(std::move(*value));
  }
  return Status::ok();
}

}  // namespace
}  // namespace config_loading

using config_loading::Arguments;
using config_loading::ConfigLoader;
using config_loading::Environment;

std::string_view ack_mode_name(AckMode mode) noexcept {
  return mode == AckMode::kWritten ? "written" : "committed";
}

Status load_spoold_config(int argc, const char* const* argv,
                          const std::vector<std::string>& environ, SpooldCommandLine* out) {
  *out = SpooldCommandLine{};
  out->help_text = config_loading::help_text();
  Arguments args;
  SPOOL_RETURN_IF_ERROR(config_loading::parse_arguments(argc, argv, &args));
  out->help = args.help;
  out->version = args.version;
  out->print_config = args.print_config;
  if (args.help || args.version) return Status::ok();

  // An empty variable counts as unset, as the OpenTelemetry specification has it.
  Environment env;
  for (const std::string& entry : environ) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq + 1 == entry.size()) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }

  ConfigLoader loader(out);
  if (args.config_file) {
    SPOOL_RETURN_IF_ERROR(loader.load_file(*args.config_file, "--config"));
  } else if (auto it = env.find("SPOOL_CONFIG"); it != env.end()) {
    SPOOL_RETURN_IF_ERROR(loader.load_file(it->second, "environment SPOOL_CONFIG"));
  }
  SPOOL_RETURN_IF_ERROR(loader.load_environment(env));
  SPOOL_RETURN_IF_ERROR(loader.load_arguments(args));

  SPOOL_RETURN_IF_ERROR(loader.apply_otel_exporter_variables(env, args));
  return loader.finish();
}

engine::OrderSelectionText order_selection_text(const SinkConfig& sink) {
  engine::OrderSelectionText text{sink.order, sink.min_priority, sink.min_severity, {}};
  if (!sink.select.empty()) text.select.push_back(sink.select);
  return text;
}

}  // namespace spool::tools
