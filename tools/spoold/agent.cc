#include "tools/spoold/agent.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/sink_for_url.h"
#include "report/prometheus_text.h"
#include "spool/producers.h"
#include "spool/redacting_sink.h"
#include "tools/spoold/receiver_metrics.h"

namespace spool::tools {

namespace {

Result<std::unique_ptr<spool::Sink>> sink_for(const SpooldConfig& c, const SinkConfig& s) {
  OtlpHttpOptions http;
  http.headers = s.headers;
  http.encoding = s.encoding == "json" ? OtlpHttpOptions::Encoding::kJson : OtlpHttpOptions::Encoding::kProtobuf;
  if (s.compression == "none") http.compression = OtlpHttpOptions::Compression::kNone;
  if (s.compression == "gzip") http.compression = OtlpHttpOptions::Compression::kGzip;
  if (s.compression == "zstd") http.compression = OtlpHttpOptions::Compression::kZstd;
  // A record received over OTLP keeps its own resource; these fill only keys it lacks.
  http.resource_attributes = effective_resource_attributes(c);
  auto sink = engine::make_sink_for_url(s.url, std::move(http), 0600);
  if (sink) sink = make_redacting_sink(std::move(*sink), s.redaction);  // none: the sink itself
  if (!sink) return Status(sink.status().code(), "sink " + s.cursor + ": " + sink.status().message());
  return sink;
}

}  // namespace

Result<std::unique_ptr<Agent>> Agent::start(const SpooldConfig& config) {
  std::unique_ptr<Agent> a(new Agent());
  a->config_ = config;
  Options options;
  SPOOL_RETURN_IF_ERROR(spoold_buffer_options(config, &options));
  auto buffer = Buffer::open(config.dir, options);
  if (!buffer) return Status(buffer.status().code(), "log " + config.dir + ": " + buffer.status().message());
  a->buffer_ = std::move(*buffer);

  for (const SinkConfig& s : config.sinks) {
    auto sink = sink_for(config, s);
    if (!sink) return sink.status();
    ForwarderOptions fo;
    fo.cursor = s.cursor;
    fo.stop_timeout_ms = config.drain_timeout_ms;
    if (Status st = engine::apply_order_and_selection(order_selection_text(s), &fo); !st) {
      return Status::invalid_argument("sink " + s.cursor + ": " + st.message());
    }
    fo.bandwidth = s.bandwidth;
    fo.lanes = s.lanes;
    auto forwarder = Forwarder::start(*a->buffer_, std::move(*sink), fo);
    if (!forwarder) {
      return Status(forwarder.status().code(), "sink " + s.cursor + ": " + forwarder.status().message());
    }
    a->sinks_.push_back({s.cursor, engine::redact_secrets(s.url), std::move(*forwarder)});
  }

  if (!config.metrics_listen.empty() && config.metrics_listen != "off") {
    const auto address = parse_listen_address(config.metrics_listen);
    if (!address) return Status::invalid_argument("metrics_listen: '" + config.metrics_listen + "' is not HOST:PORT");
    auto http = HttpServerThread::create("", "");
    if (!http) return http.status();
    a->metrics_ = std::move(*http);
    Agent* self = a.get();
    a->metrics_->server().Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
      res.set_content(self->metrics_text(), std::string(report::kPrometheusContentType));
    });
    a->metrics_->server().Get("/healthz", [self](const httplib::Request&, httplib::Response& res) {
      const HealthReport report = self->health();
      nlohmann::ordered_json j;
      j["healthy"] = report.healthy();
      j["warnings"] = nlohmann::ordered_json::array();
      for (const HealthWarning& w : report.warnings) j["warnings"].push_back({{"code", w.code}, {"message", w.message}});
      res.status = report.healthy() ? 200 : 503;
      res.set_content(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n",
                      "application/json");
    });
    if (Status s = a->metrics_->serve(*address); !s) return Status(s.code(), "--metrics-listen: " + s.message());
  }

  const auto otlp = parse_listen_address(config.otlp_listen);
  if (!otlp) return Status::invalid_argument("otlp_listen: '" + config.otlp_listen + "' is not HOST:PORT");
  OtlpReceiverOptions ro;
  ro.listen = *otlp;
  ro.bearer_token = config.token;
  ro.tls_cert_file = config.tls_cert_file;
  ro.tls_key_file = config.tls_key_file;
  ro.max_body_bytes = config.max_body_bytes;
  ro.ack = config.ack;
  auto receiver = OtlpHttpReceiver::start(*a->buffer_, ro);
  if (!receiver) return Status(receiver.status().code(), "--otlp-listen: " + receiver.status().message());
  a->receiver_ = std::move(*receiver);
  return a;
}

Agent::~Agent() { (void)shutdown(); }

std::string Agent::metrics_address() const { return metrics_ ? metrics_->address().text() : std::string(); }

std::string Agent::metrics_text() const {
  report::PrometheusInputs in;
  for (const Sink& s : sinks_) {
    // Accounting before stats: a cut taken first cannot show more delivered than appended.
    report::PrometheusForwarder f;
    f.accounting = s.forwarder->accounting();
    f.stats = s.forwarder->stats();
    f.sink = s.url_shown;
    in.forwarders.push_back(std::move(f));
  }
  in.buffer = buffer_->stats();
  in.health = health();
  // Every producer of the log, attached applications included: the Buffer's counters and the
  // accounting identity cover the records this process appended (those received over OTLP).
  if (auto producers = summarize_producers(config_.dir)) in.producers = std::move(*producers);
  std::string text = report::prometheus_text(in);
  if (receiver_) text += receiver_prometheus_text(receiver_->stats());
  return text;
}

HealthReport Agent::health() const {
  HealthReport out;
  const auto add = [&out](const HealthReport& r) {
    for (const HealthWarning& w : r.warnings) {
      bool seen = false;
      for (const HealthWarning& have : out.warnings) seen = seen || (have.code == w.code && have.message == w.message);
      if (!seen) out.warnings.push_back(w);
    }
  };
  for (const Sink& s : sinks_) add(s.forwarder->health());
  if (sinks_.empty()) {
    const BufferStats bs = buffer_->stats();
    HealthInputs in;
    in.queue_bytes = bs.queue_bytes;
    in.queue_cap_bytes = bs.queue_budget_bytes;
    in.write_backlog_records = bs.queue_depth;
    in.log_failed = bs.log_failed;
    add(evaluate_health(in));
  }
  return out;
}

Status Agent::shutdown() {
  if (shut_down_) return Status::ok();
  shut_down_ = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.drain_timeout_ms);
  const auto remaining_ms = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<std::uint32_t>(std::max<std::int64_t>(1, left.count()));
  };
  Status first;
  const auto keep = [&first](Status s) {
    if (first && !s) first = std::move(s);
  };
  if (receiver_) receiver_->stop();
  if (buffer_) keep(buffer_->flush(remaining_ms()));
  // One last delivery, every sink at once, so a sink that is down does not use up the
  // deadline of the others.
  std::vector<std::thread> drains;
  std::vector<Status> drained(sinks_.size());
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    drains.emplace_back([&, i] { drained[i] = sinks_[i].forwarder->flush(remaining_ms()); });
  }
  for (std::thread& t : drains) t.join();
  for (Sink& s : sinks_) keep(s.forwarder->stop());
  sinks_.clear();
  if (metrics_) metrics_->stop();
  if (buffer_) keep(buffer_->shutdown());
  return first;
}

}  // namespace spool::tools
