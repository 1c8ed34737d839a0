#include "tools/spoold/receiver_metrics.h"

#include "engine/sinks/otlp/otlp_mapping.h"

namespace spool::tools {

namespace {

struct Family {
  const char* name;
  const char* help;
  std::uint64_t OtlpReceiverStats::Signal::*field;
};

constexpr Family kFamilies[] = {
    {"spool_otlp_requests_total", "OTLP/HTTP requests answered, any status.",
     &OtlpReceiverStats::Signal::requests},
    {"spool_otlp_accepted_records_total", "Records received over OTLP and appended to the log.",
     &OtlpReceiverStats::Signal::accepted},
    {"spool_otlp_rejected_records_total",
     "Malformed spans, log records and data points rejected (partial_success), not stored.",
     &OtlpReceiverStats::Signal::rejected},
    {"spool_otlp_refused_requests_total",
     "Requests answered 429 or 503 (queues full, shutting down, log failed): the sender retries.",
     &OtlpReceiverStats::Signal::refused},
    {"spool_otlp_failed_requests_total",
     "Requests answered 4xx other than 429 (bad body, auth, too large, media type).",
     &OtlpReceiverStats::Signal::failed},
    {"spool_otlp_received_bytes_total", "Request body bytes as received (before decompression).",
     &OtlpReceiverStats::Signal::body_bytes},
};

}  // namespace

std::string receiver_prometheus_text(const OtlpReceiverStats& stats) {
  std::string out;
  for (const Family& f : kFamilies) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " counter\n";
    for (engine::OtlpSignal signal : engine::kOtlpSignals) {
      const auto& s = stats.signals[static_cast<std::size_t>(signal)];
      out += std::string(f.name) + "{signal=\"" + std::string(engine::otlp_signal_name(signal)) + "\"} " +
             std::to_string(s.*f.field) + "\n";
    }
  }
  out += "# HELP spool_otlp_syncs_total fdatasyncs behind committed acknowledgements (one serves many requests).\n"
         "# TYPE spool_otlp_syncs_total counter\n"
         "spool_otlp_syncs_total " + std::to_string(stats.syncs) + "\n";
  return out;
}

}  // namespace spool::tools
