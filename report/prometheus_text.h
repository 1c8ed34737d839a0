// spool's counters in the Prometheus text exposition format 0.0.4, for spoold's /metrics:
// the same structs report/stats_json.h renders for `spoolctl stats`, under Prometheus names.
//
// Conventions: every name starts with spool_; counters end in _total; units are in the name
// (_bytes, _seconds, _records); each family is written once, with its # HELP and # TYPE
// lines, and its series follow together. Forwarder series carry cursor="<name>" and
// sink="<url>" (the URL through redact_secrets: no userinfo, no query values), or the
// sink's kind ("otlp-http", "jsonl") when no URL is given. Label values are escaped
// (backslash, double quote, line feed).
//
// The forwarders' counters are the cursors' persisted totals (ForwardTotals `totals`):
// they grow across restarts of spoold, so a rate() over them never sees the restart. Every
// drop reason and every circuit state is written, zero or not, so that a series exists
// before its first event (an alert on rate() needs the zero).
//
// Not exported: texts (last errors, log_failed's message: /healthz and `spoolctl stats` show
// them), the forwarders' session totals (the persisted totals cover them), monotonic
// deadlines (next_attempt_ns), the last budget resize, and per-producer series (one per
// thread: unbounded cardinality; their sums are the Buffer's counters).
//
// The families, their types and help texts are listed once, in prometheus_text.cc
// (prometheus_families() returns them), and in README "Metrics" (a test keeps the two in
// step).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/buffer_stats.h"
#include "spool/forwarder_stats.h"
#include "spool/health.h"
#include "spool/producers.h"

namespace spool::report {

// The Content-Type of the format.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

struct PrometheusForwarder {
  ForwarderStats stats;  // cursor, lag, totals, circuit state, ...
  std::string sink;      // the sink's URL (redacted again here); "" = stats.sink
  // Forwarder::accounting(), when the forwarder runs on this process's Buffer.
  std::optional<Accounting> accounting;
};

// What a scrape shows; the optional parts' families are left out when they are absent.
struct PrometheusInputs {
  BufferStats buffer;
  std::vector<PrometheusForwarder> forwarders;
  std::optional<ProducersSummary> producers;  // summarize_producers(dir)
  std::optional<HealthReport> health;
};

std::string prometheus_text(const PrometheusInputs& inputs);

enum class PrometheusType : std::uint8_t { kCounter, kGauge, kHistogram };
// "counter", "gauge", "histogram".
std::string_view prometheus_type_name(PrometheusType type) noexcept;

struct PrometheusFamily {
  std::string_view name;
  PrometheusType type;
  std::string_view labels;  // the labels its series carry, comma-separated ("" = none)
  std::string_view help;
};
// Every family prometheus_text() can write, in its order.
std::span<const PrometheusFamily> prometheus_families();

// Label value and HELP text escaping of the format.
std::string prometheus_escape_label_value(std::string_view value);
std::string prometheus_escape_help(std::string_view help);

}  // namespace spool::report
