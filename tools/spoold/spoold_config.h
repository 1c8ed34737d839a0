// spoold's configuration: what it writes, where it listens, where it forwards, and how.
//
// Sources, later wins:  defaults < config file < environment < command line.
//   - The config file is TOML (`--config FILE`, else the environment's SPOOL_CONFIG; none
//     by default). TOML because the file is one small, flat-ish table a person edits by
//     hand: it has comments, no indentation semantics (a YAML slip silently changes the
//     meaning), it is what Vector and other agents in this space use, and toml++ is a
//     header-only library Debian ships. Unknown keys are errors: a typo must not pass
//     silently.
//   - Environment: SPOOL_* for spool's own keys, and the OpenTelemetry SDK variables
//     OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_ENDPOINT (with
//     _HEADERS and _COMPRESSION), so spoold drops into a deployment already set up for an
//     OTel SDK.
//   - Command line: `spoold [flags] DIR`.
// Every key, with its file key, variable and flag, is listed once (spoold_config_keys.cc)
// and in README "spoold: configuration".
//
// Lists and tables replace as a whole: the sinks of a higher source replace the sinks of a
// lower one (--to replaces [[sink]], which OTEL_EXPORTER_OTLP_ENDPOINT replaces in turn),
// while [resource] / OTEL_RESOURCE_ATTRIBUTES and [buffer] / --buffer merge by key.
//
// Errors name the key and the source:
//   config file /etc/spoold.toml: max_size_mb: expected an integer, got string
//   environment SPOOL_MAX_SIZE_MB: 'ten' is not a number
//   --ack: 'maybe' is not one of committed, written
// The caller prints the message and exits 2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/forward/record_selection.h"
#include "spool/buffer_options.h"
#include "spool/forwarder_options.h"
#include "spool/redaction.h"
#include "spool/status.h"

namespace spool::tools {

// When an OTLP request is answered 200: once its records are in the log (written, visible to
// readers, lost by a crash of the machine under durability "none"), or once they are
// committed (durable per the log's durability mode).
enum class AckMode : std::uint8_t { kWritten, kCommitted };
// "written", "committed".
std::string_view ack_mode_name(AckMode mode) noexcept;

struct SinkConfig {
  // A URL of `spoolctl forward --to` (engine/sinks/sink_for_url.h): http(s)://HOST:PORT[/prefix]
  // (OTLP/HTTP; a base URL, the sink appends /v1/traces, /v1/logs, /v1/metrics), file:PATH,
  // jsonl:PATH.
  std::string url;
  std::string cursor;  // the cursor it forwards from; default "sink-<index>" (from 0, in order)
  std::vector<std::pair<std::string, std::string>> headers;  // extra HTTP headers (secrets)
  std::string compression;  // "" (the sink's default), "none", "gzip", "zstd"
  std::string encoding;     // "" or "protobuf" (OTLP/HTTP protobuf, the default), "json"
  // Delivery order and selection (engine/forward/record_selection.h): "" = the defaults.
  std::string order;         // oldest, newest, offset
  std::string min_priority;  // low, normal, high, critical
  std::string min_severity;  // trace .. fatal or 0..24 (log records)
  std::string select;        // span,log,metric,record,raw,record:TYPE
  // Redaction (spool/redaction.h): rule lists as given, in order, and the file holding the
  // hash action's key; checked at load into `redaction` (which holds the key: a secret).
  std::vector<std::string> redact;
  std::string redact_key_file;
  RedactionOptions redaction;
  // [[sink]] rate_limit, daily_cap, critical_reserve (sizes: 1048576, "1MiB"); 0 = off.
  BandwidthOptions bandwidth;
  // [[sink]] lanes: the lanes it forwards (["spans", "default"] or "spans,default"); empty:
  // every lane.
  std::vector<std::string> lanes;
};

// The sink's order and selection keys in the form the forwarder's options take them.
engine::OrderSelectionText order_selection_text(const SinkConfig& sink);

struct SpooldConfig {
  std::string dir;                      // the log directory (required)
  std::uint64_t max_size_mb = 0;        // the log's size cap; 0 = the Buffer's default
  std::uint32_t retention_days = 0;     // 0 = keep until forwarded / the size cap
  std::string device_id;                // resource attribute "device.id" when set
  std::string service_name = "spoold";  // resource attribute "service.name"
  std::vector<std::pair<std::string, std::string>> resource_attributes;
  std::string otlp_listen = "127.0.0.1:4318";
  std::string metrics_listen = "127.0.0.1:9464";  // "" (or "off" in a source) disables
  AckMode ack = AckMode::kCommitted;
  std::uint64_t max_body_bytes = 16 << 20;  // request body limit after decompression
  std::string token;       // the bearer token OTLP requests must carry ("" = none required)
  std::string token_file;  // where `token` was read from ("" = from SPOOL_OTLP_TOKEN, or none)
  std::string tls_cert_file, tls_key_file;  // both or neither
  std::vector<SinkConfig> sinks;
  std::uint32_t drain_timeout_ms = 10000;  // SIGTERM: the last delivery's deadline
  // Buffer options by name (durability, full_policy, queue_bytes, ...; see
  // buffer_option_keys()), validated at load; apply_buffer_options() sets them.
  std::map<std::string, std::string> buffer_options;
  // [[lane]] tables or --lane NAME=TERM[,TERM...][;KEY=VALUE...] (tools/lane_spec.h; the
  // command line's replace the file's, as [[sink]] / --to do): spool/lane_options.h.
  std::vector<LaneOptions> lanes;
};

struct SpooldCommandLine {
  SpooldConfig config;
  // Requested actions, not errors: the caller prints and exits 0.
  bool print_config = false;  // --print-config: spoold_config_json(config)
  bool help = false;          // --help: help_text
  bool version = false;       // --version
  std::string help_text;      // always filled
  // Things worth a line on stderr that do not stop spoold (a token file readable by others,
  // OTEL variables spoold does not use).
  std::vector<std::string> warnings;
};

// Loads argv (argv[0] is the program) + environment ("NAME=value" entries, as environ holds
// them; passed in for tests) + the config file into `out`, then validates the result:
// listen addresses, sinks, TLS files, the token file, dir. With --help or --version the
// rest of the command line is not required to be complete (no DIR needed).
Status load_spoold_config(int argc, const char* const* argv,
                          const std::vector<std::string>& environ, SpooldCommandLine* out);

// The effective configuration as JSON (--print-config; /healthz may show it), secrets
// masked: the token is "***" when set (absent when not), every header value is "***" (they
// carry API keys), sink URLs pass through redact_secrets (userinfo and query values).
std::string spoold_config_json(const SpooldConfig& config);

// The OTLP Resource attributes spoold puts on what it forwards: resource_attributes, then
// service.name and device.id (when set), each name once (the later wins).
std::vector<std::pair<std::string, std::string>> effective_resource_attributes(
    const SpooldConfig& config);

// HOST:PORT, IPv6 hosts in brackets ("[::1]:4318", host without brackets); port 0-65535,
// 0 = a free port the system picks (spoold prints the one it got on its ready line).
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const;  // back to HOST:PORT, brackets restored
};
std::optional<ListenAddress> parse_listen_address(std::string_view text);
// 127.0.0.0/8, ::1, localhost.
bool is_loopback_host(std::string_view host);

// The names [buffer] / --buffer accept, in order.
const std::vector<std::string>& buffer_option_keys();
// Sets each named option on `options`; InvalidArgument naming the option when a name is
// unknown or a value does not parse.
Status apply_buffer_options(const std::map<std::string, std::string>& named, Options* options);
// The Buffer options of spoold's log: the writer role (spoold holds it), the size cap
// (max_size_mb, as LogOptions::retention_bytes) and age cap (retention_days) when set,
// then buffer_options.
Status spoold_buffer_options(const SpooldConfig& config, Options* options);

}  // namespace spool::tools
