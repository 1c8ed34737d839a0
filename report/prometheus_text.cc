#include "report/prometheus_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <utility>

#include "engine/forward/secret_redaction.h"

namespace spool::report {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

std::string number_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}
std::string number_text(std::uint64_t value) { return std::to_string(value); }
std::string number_text(std::uint32_t value) { return std::to_string(value); }
std::string number_text(bool value) { return value ? "1" : "0"; }

// Whole and fractional seconds apart: a wall-clock time in ns has more digits than a double
// holds, and dividing it whole rounds 1700000000.25 to 1700000000.2499998.
double seconds(std::int64_t ns) {
  return static_cast<double>(ns / 1'000'000'000) + static_cast<double>(ns % 1'000'000'000) / 1e9;
}

// The series of one family, appended to the exposition text.
class SeriesWriter {
 public:
  SeriesWriter(std::string* out, std::string_view family) : out_(out), family_(family) {}

  template <typename Value>
  void sample(const Labels& labels, Value value, std::string_view suffix = {}) {
    *out_ += family_;
    *out_ += suffix;
    if (!labels.empty()) {
      *out_ += '{';
      bool first = true;
      for (const auto& [name, label_value] : labels) {
        if (!first) *out_ += ',';
        first = false;
        *out_ += name;
        *out_ += "=\"";
        *out_ += prometheus_escape_label_value(label_value);
        *out_ += '"';
      }
      *out_ += '}';
    }
    *out_ += ' ';
    *out_ += number_text(value);
    *out_ += '\n';
  }

  // A Log2Histogram: bucket i holds the integers in [2^i, 2^(i+1)), so the cumulative count
  // up to bucket i is the count of values <= 2^(i+1) - 1, scaled by `unit` (1e-9 turns
  // nanoseconds into seconds). No _sum: the histogram keeps none.
  void histogram(const Log2Histogram& h, double unit) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.buckets.size(); ++i) {
      cumulative += h.buckets[i];
      const double le = (std::ldexp(1.0, static_cast<int>(i) + 1) - 1) * unit;
      sample({{"le", number_text(le)}}, cumulative, "_bucket");
    }
    sample({{"le", "+Inf"}}, h.count, "_bucket");
    sample({}, h.count, "_count");
  }

 private:
  std::string* out_;
  std::string_view family_;
};

Labels forwarder_labels(const PrometheusForwarder& f) {
  return {{"cursor", f.stats.cursor},
          {"sink", f.sink.empty() ? f.stats.sink : engine::redact_secrets(f.sink)}};
}

// One series per forwarder, labelled cursor and sink.
template <typename Value>
void per_forwarder(const PrometheusInputs& in, SeriesWriter& w,
                   Value (*value)(const PrometheusForwarder&)) {
  for (const PrometheusForwarder& f : in.forwarders) w.sample(forwarder_labels(f), value(f));
}

// Per forwarder, one series per state of a state machine: 1 for the current state, 0 for
// the others (so every series exists before its first transition).
template <typename State, std::size_t N>
void state_series(const PrometheusInputs& in, SeriesWriter& w, const State (&states)[N],
                  std::string_view (*name)(State) noexcept,
                  State (*current)(const PrometheusForwarder&)) {
  for (const PrometheusForwarder& f : in.forwarders) {
    for (State state : states) {
      Labels labels = forwarder_labels(f);
      labels.emplace_back("state", std::string(name(state)));
      w.sample(labels, current(f) == state);
    }
  }
}

// One series per forwarder and lane it forwards.
template <typename Value>
void per_forwarder_lane(const PrometheusInputs& in, SeriesWriter& w, Value value) {
  for (const PrometheusForwarder& f : in.forwarders) {
    for (const LaneForwarderStats& lane : f.stats.lanes) {
      Labels labels = forwarder_labels(f);
      labels.emplace_back("lane", lane.lane);
      w.sample(labels, value(lane.stats));
    }
  }
}

// One series per forwarder that reports its accounting, per term of the identity.
void accounting_terms(const PrometheusInputs& in, SeriesWriter& w) {
  for (const PrometheusForwarder& f : in.forwarders) {
    if (!f.accounting) continue;
    const Accounting& a = *f.accounting;
    const std::pair<std::string_view, std::uint64_t> terms[] = {
        {"appended", a.appended},           {"backlog_at_start", a.backlog_at_start},
        {"delivered", a.delivered},         {"dropped", a.dropped_total()},
        {"dead_lettered", a.dead_lettered}, {"not_selected", a.not_selected},
        {"still_buffered", a.still_buffered}};
    for (const auto& [term, value] : terms) {
      Labels labels = forwarder_labels(f);
      labels.emplace_back("term", std::string(term));
      w.sample(labels, value);
    }
  }
}

// The health warning codes a report can hold (spool/health.h), each written 0 or 1 so the
// series exist while healthy; a code not listed here is written when present.
constexpr std::string_view kHealthCodes[] = {
    "buffer_fill",   "forward_lag", "recent_error",      "failure_rate",
    "write_backlog", "log_failed",  "sink_auth",         "sink_misconfigured",
    "tls_insecure",  "fork_child",  "daily_cap_reached", "bandwidth_limited"};

void health_warnings(const PrometheusInputs& in, SeriesWriter& w) {
  const auto& warnings = in.health->warnings;
  auto present = [&](std::string_view code) {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const HealthWarning& h) { return h.code == code; });
  };
  std::vector<std::string_view> written;
  for (std::string_view code : kHealthCodes) {
    w.sample({{"code", std::string(code)}}, present(code));
    written.push_back(code);
  }
  for (const HealthWarning& h : warnings) {
    if (std::find(written.begin(), written.end(), h.code) != written.end()) continue;
    w.sample({{"code", h.code}}, true);
    written.push_back(h.code);
  }
}

// Which part of the inputs a family needs; the family is left out without it.
enum class Source : std::uint8_t { kBuffer, kForwarders, kAccounting, kProducers, kHealth };

struct FamilyWriter {
  PrometheusFamily family;
  Source source;
  std::function<void(const PrometheusInputs&, SeriesWriter&)> write;
};

using F = const PrometheusForwarder&;
constexpr auto kCounter = PrometheusType::kCounter;
constexpr auto kGauge = PrometheusType::kGauge;
constexpr auto kHistogram = PrometheusType::kHistogram;
constexpr std::string_view kForwarderLabels = "cursor, sink";

// The one list of families, in the order they are written.
const std::vector<FamilyWriter>& family_writers() {
  static const std::vector<FamilyWriter> writers = {
      // The Buffer: appended == written + dropped + queued, at every instant.
      {{"spool_buffer_appended_records_total", kCounter, "",
        "Buffer::append calls (appended = written + dropped + queued)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.appended); }},
      {{"spool_buffer_accepted_records_total", kCounter, "",
        "Appended records that were queued (not refused at the door)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.accepted); }},
      {{"spool_buffer_written_records_total", kCounter, "",
        "Records written to the log (offset assigned)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.written); }},
      {{"spool_buffer_dropped_records_total", kCounter, "reason",
        "Records not written, by reason (queue_full, drop_oldest, sampled, block_timeout, "
        "too_large, write_failed, shutdown, malformed)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (std::size_t r = 0; r < kDropReasonCount; ++r) {
           w.sample({{"reason", drop_reason_name(static_cast<DropReason>(r))}},
                    in.buffer.dropped[r]);
         }
       }},
      {{"spool_buffer_queued_records", kGauge, "", "Records queued in memory, not yet written"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.queue_depth); }},
      {{"spool_buffer_queued_bytes", kGauge, "", "Bytes the queued records occupy"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.queue_bytes); }},
      {{"spool_buffer_queue_budget_bytes", kGauge, "",
        "The queues' byte budget (moves with memory pressure)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.buffer.queue_budget_bytes);
       }},
      {{"spool_buffer_budget_resizes_total", kCounter, "", "Changes of the queue budget"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.budget_resizes); }},
      {{"spool_buffer_committed_offset", kGauge, "", "Next offset after the last durable record"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.buffer.committed_offset);
       }},
      {{"spool_buffer_written_end_offset", kGauge, "", "Next offset after the last record written"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.buffer.written_end_offset);
       }},
      {{"spool_buffer_oldest_unwritten_age_seconds", kGauge, "",
        "Age of the oldest queued record (0 when none)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, seconds(in.buffer.oldest_unwritten_age_ns));
       }},
      {{"spool_buffer_producer_rings", kGauge, "", "Producer rings registered"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.producers); }},
      {{"spool_buffer_write_batches_total", kCounter, "", "Batches the writer appended to the log"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.write_batches); }},
      {{"spool_buffer_write_errors_total", kCounter, "", "Failed log writes"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.write_errors); }},
      {{"spool_buffer_log_failed", kGauge, "",
        "1 once the log failed a sync and takes no more appends"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, !in.buffer.log_failed.empty());
       }},
      {{"spool_buffer_at_cap", kGauge, "",
        "1 while a log is at its size cap and disk_full_policy holds or drops records"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.at_cap); }},
      {{"spool_buffer_syncs_total", kCounter, "", "fsyncs of the log"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.syncs); }},
      {{"spool_buffer_writer_wakeups_total", kCounter, "", "Times the writer thread woke up"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.buffer.writer_wakeups); }},
      {{"spool_buffer_write_batch_records", kHistogram, "le",
        "Records per writer batch (log2 buckets; no _sum)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.histogram(in.buffer.batch_records, 1);
       }},
      {{"spool_buffer_write_latency_seconds", kHistogram, "le",
        "Time of each batch's append, with its sync per the durability mode (log2 buckets; no "
        "_sum)"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.histogram(in.buffer.write_latency_ns, 1e-9);
       }},

      // Per lane (spool/lane_options.h): the Buffer families above are their sums.
      {{"spool_lane_appended_records_total", kCounter, "lane",
        "Buffer::append calls routed to the lane"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes) w.sample({{"lane", l.name}}, l.stats.appended);
       }},
      {{"spool_lane_written_records_total", kCounter, "lane", "Records written to the lane's log"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes) w.sample({{"lane", l.name}}, l.stats.written);
       }},
      {{"spool_lane_dropped_records_total", kCounter, "lane, reason",
        "Records of the lane not written, by reason"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes) {
           for (std::size_t r = 0; r < kDropReasonCount; ++r) {
             w.sample({{"lane", l.name}, {"reason", drop_reason_name(static_cast<DropReason>(r))}},
                      l.stats.dropped[r]);
           }
         }
       }},
      {{"spool_lane_queued_records", kGauge, "lane",
        "Records of the lane queued in memory, not yet written"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes)
           w.sample({{"lane", l.name}}, l.stats.queue_depth);
       }},
      {{"spool_lane_queue_budget_bytes", kGauge, "lane", "The lane's queue budget"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes)
           w.sample({{"lane", l.name}}, l.stats.queue_budget_bytes);
       }},
      {{"spool_lane_at_cap", kGauge, "lane",
        "1 while the lane's log is at its size cap and disk_full_policy holds or drops records"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes) w.sample({{"lane", l.name}}, l.stats.at_cap);
       }},
      {{"spool_lane_committed_offset", kGauge, "lane",
        "Next offset after the last durable record of the lane's log"},
       Source::kBuffer,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const LaneStats& l : in.buffer.lanes)
           w.sample({{"lane", l.name}}, l.stats.committed_offset);
       }},

      // Per forwarder (cursor): the persisted totals, lag, circuit.
      {{"spool_forward_delivered_records_total", kCounter, kForwarderLabels,
        "Records the sink acknowledged"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.delivered; });
       }},
      {{"spool_forward_dead_lettered_records_total", kCounter, kForwarderLabels,
        "Records set aside in the dead-letter log"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.dead_lettered; });
       }},
      {{"spool_forward_dropped_unforwarded_records_total", kCounter, kForwarderLabels,
        "Records retention deleted before this cursor passed them"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.dropped_unforwarded; });
       }},
      {{"spool_forward_not_selected_records_total", kCounter, kForwarderLabels,
        "Records this cursor's selection left out (kinds, types, priority, severity)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.not_selected; });
       }},
      {{"spool_forward_rejected_unnamed_records_total", kCounter, kForwarderLabels,
        "Of the delivered records: reported rejected by count only (OTLP partial success)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.rejected_unnamed; });
       }},
      {{"spool_forward_failed_record_sends_total", kCounter, kForwarderLabels,
        "Record-sends that failed (a record failing 3 times counts 3)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.failed; });
       }},
      {{"spool_forward_retried_record_sends_total", kCounter, kForwarderLabels,
        "Record-sends that were retries"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.retried; });
       }},
      {{"spool_forward_batches_total", kCounter, kForwarderLabels,
        "Sends the sink acknowledged (fully or partially)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.batches; });
       }},
      {{"spool_forward_failed_sends_total", kCounter, kForwarderLabels,
        "Sends that failed as a whole"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.failed_sends; });
       }},
      {{"spool_forward_sent_bytes_total", kCounter, kForwarderLabels,
        "Bytes on the wire, as the sink reports them"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.bytes_sent; });
       }},
      {{"spool_forward_read_bytes_total", kCounter, kForwarderLabels,
        "Payload bytes read from the log for acknowledged sends"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.bytes_read; });
       }},
      {{"spool_forward_last_flush_timestamp_seconds", kGauge, kForwarderLabels,
        "Unix time of the last acknowledged send (0 = never)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return seconds(f.stats.totals.last_flush_ns); });
       }},
      {{"spool_forward_last_error_timestamp_seconds", kGauge, kForwarderLabels,
        "Unix time of the last failure (0 = never)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return seconds(f.stats.totals.last_error_ns); });
       }},
      {{"spool_forward_cursor_offset", kGauge, kForwarderLabels,
        "The cursor: the next offset to deliver"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.cursor_offset; });
       }},
      {{"spool_forward_settled_ahead_records", kGauge, kForwarderLabels,
        "Offsets beyond the cursor already settled (delivered ahead by priority, not selected)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.settled_ahead; });
       }},
      {{"spool_forward_end_offset", kGauge, kForwarderLabels,
        "The log's committed end, as this forwarder saw it"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.end_offset; });
       }},
      {{"spool_lane_forward_delivered_records_total", kCounter, "cursor, sink, lane",
        "Records of the lane the sink acknowledged"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder_lane(in, w, [](const ForwarderStats& s) { return s.totals.delivered; });
       }},
      {{"spool_lane_forward_dropped_unforwarded_records_total", kCounter, "cursor, sink, lane",
        "Records of the lane its retention or cap deleted before the cursor passed them"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder_lane(in, w,
                            [](const ForwarderStats& s) { return s.totals.dropped_unforwarded; });
       }},
      {{"spool_lane_forward_lag_records", kGauge, "cursor, sink, lane",
        "Records in the lane's log beyond the cursor"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder_lane(in, w, [](const ForwarderStats& s) { return s.lag.records; });
       }},
      {{"spool_forward_lag_records", kGauge, kForwarderLabels,
        "Records in the log beyond the cursor"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.lag.records; });
       }},
      {{"spool_forward_lag_bytes", kGauge, kForwarderLabels,
        "Frame bytes in the log beyond the cursor"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.lag.bytes; });
       }},
      {{"spool_forward_oldest_unforwarded_age_seconds", kGauge, kForwarderLabels,
        "Age of the record at the cursor (0 when none waits)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return seconds(f.stats.lag.oldest_age_ns); });
       }},
      {{"spool_forward_circuit_state", kGauge, "cursor, sink, state",
        "1 for the circuit breaker's current state (closed, open, half-open), 0 for the others"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         constexpr CircuitState kStates[] = {CircuitState::kClosed, CircuitState::kOpen,
                                             CircuitState::kHalfOpen};
         state_series(
             in, w, kStates, circuit_state_name, +[](F f) { return f.stats.circuit; });
       }},
      {{"spool_forward_circuit_opened_total", kCounter, kForwarderLabels,
        "Times the circuit opened (since spoold started)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.circuit_opened; });
       }},
      {{"spool_forward_online", kGauge, kForwarderLabels,
        "1 while the connectivity monitor sees the network"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.online; });
       }},
      {{"spool_forward_batch_target_records", kGauge, kForwarderLabels,
        "The adaptive batch size target"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.batch_records; });
       }},
      {{"spool_forward_pending_retry_records", kGauge, kForwarderLabels,
        "Records waiting for a retry"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.pending_retry_records; });
       }},
      {{"spool_forward_failure_ratio", kGauge, kForwarderLabels,
        "Failed sends / sends over the last 64 sends"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.failure_rate; });
       }},
      {{"spool_forward_throttled_sends_total", kCounter, kForwarderLabels,
        "Sends the bandwidth budget held back (each counted once, however long it waited)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.totals.throttled_sends; });
       }},
      {{"spool_forward_throttled_seconds_total", kCounter, kForwarderLabels,
        "Time sends waited for the bandwidth budget (rate limit or daily cap)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w,
             +[](F f) { return seconds(static_cast<std::int64_t>(f.stats.totals.throttled_ns)); });
       }},
      {{"spool_forward_rate_limit_bytes_per_second", kGauge, kForwarderLabels,
        "The rate limit on wire bytes (0 = none)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.bandwidth.rate_limit_bytes_per_s; });
       }},
      {{"spool_forward_daily_cap_bytes", kGauge, kForwarderLabels,
        "The cap on wire bytes per UTC day (0 = none)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.bandwidth.daily_cap_bytes; });
       }},
      {{"spool_forward_critical_reserve_bytes", kGauge, kForwarderLabels,
        "Of the daily cap: the bytes kept for batches of critical records"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.bandwidth.critical_reserve_bytes; });
       }},
      {{"spool_forward_spent_today_bytes", kGauge, kForwarderLabels,
        "Wire bytes sent this UTC day (what the daily cap counts)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         per_forwarder(
             in, w, +[](F f) { return f.stats.bandwidth.spent_bytes; });
       }},
      {{"spool_forward_daily_cap_state", kGauge, "cursor, sink, state",
        "1 for the daily cap's current state (off, open, critical-only, reached), 0 for the "
        "others"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         constexpr DailyCapState kStates[] = {DailyCapState::kOff, DailyCapState::kOpen,
                                              DailyCapState::kCriticalOnly,
                                              DailyCapState::kReached};
         state_series(
             in, w, kStates, daily_cap_state_name, +[](F f) { return f.stats.daily_cap; });
       }},
      {{"spool_dead_letters_dropped_records_total", kCounter, "",
        "Dead letters the dead-letter log's retention deleted before they were requeued (shared by "
        "every cursor)"},
       Source::kForwarders,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         std::uint64_t dropped = 0;
         for (const PrometheusForwarder& f : in.forwarders)
           dropped = std::max(dropped, f.stats.dead_letters_dropped);
         w.sample({}, dropped);
       }},

      // The accounting identity, per forwarder on this process's Buffer.
      {{"spool_accounting_records", kGauge, "cursor, sink, term",
        "Terms of the accounting identity over the forwarder's session: appended = delivered + "
        "dropped + dead_lettered + not_selected + still_buffered (backlog_at_start is part of "
        "appended)"},
       Source::kAccounting,
       accounting_terms},
      {{"spool_accounting_balanced", kGauge, kForwarderLabels,
        "1 when the accounting identity balances"},
       Source::kAccounting,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         for (const PrometheusForwarder& f : in.forwarders) {
           if (f.accounting) w.sample(forwarder_labels(f), f.accounting->balanced());
         }
       }},

      // Producers: the processes and threads appending into the log.
      {{"spool_producers", kGauge, "state", "Producer rings by their process's state (live, died)"},
       Source::kProducers,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         std::uint64_t live = 0, died = 0;
         for (const ProducerInfo& p : in.producers->producers) (p.alive ? live : died) += 1;
         w.sample({{"state", "live"}}, live);
         w.sample({{"state", "died"}}, died);
       }},
      {{"spool_producers_died_total", kCounter, "",
        "Producers whose process died (reclaimed or not)"},
       Source::kProducers,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.producers->producers_died);
       }},
      {{"spool_producer_died_entries_total", kCounter, "",
        "Entries lost because their producer died while writing them"},
       Source::kProducers,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.producers->producer_died);
       }},
      {{"spool_producer_malformed_entries_total", kCounter, "",
        "Entries the writer refused as malformed"},
       Source::kProducers,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.producers->malformed); }},
      {{"spool_producer_ring_bytes", kGauge, "", "Capacity of the live producer rings"},
       Source::kProducers,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.producers->ring_bytes_total);
       }},
      {{"spool_writer_generation", kGauge, "",
        "+1 each time a process became the log's writer (0: no writer)"},
       Source::kProducers,
       [](const PrometheusInputs& in, SeriesWriter& w) {
         w.sample({}, in.producers->writer ? in.producers->writer->generation : std::uint64_t{0});
       }},

      // Health.
      {{"spool_healthy", kGauge, "", "1 when no health check warns"},
       Source::kHealth,
       [](const PrometheusInputs& in, SeriesWriter& w) { w.sample({}, in.health->healthy()); }},
      {{"spool_health_warning", kGauge, "code", "1 while the health check of this code warns"},
       Source::kHealth,
       health_warnings},
  };
  return writers;
}

bool has_source(const PrometheusInputs& in, Source source) {
  switch (source) {
    case Source::kBuffer:
    case Source::kForwarders:
      return true;
    case Source::kAccounting:
      return std::any_of(in.forwarders.begin(), in.forwarders.end(),
                         [](F f) { return f.accounting.has_value(); });
    case Source::kProducers:
      return in.producers.has_value();
    case Source::kHealth:
      return in.health.has_value();
  }
  return false;
}

}  // namespace

std::string_view prometheus_type_name(PrometheusType type) noexcept {
  switch (type) {
    case PrometheusType::kCounter:
      return "counter";
    case PrometheusType::kGauge:
      return "gauge";
    case PrometheusType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::span<const PrometheusFamily> prometheus_families() {
  static const std::vector<PrometheusFamily> families = [] {
    std::vector<PrometheusFamily> out;
    for (const FamilyWriter& writer : family_writers()) out.push_back(writer.family);
    return out;
  }();
  return families;
}

std::string prometheus_escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_text(const PrometheusInputs& inputs) {
  std::string out;
  for (const FamilyWriter& writer : family_writers()) {
    if (!has_source(inputs, writer.source)) continue;
    const PrometheusFamily& family = writer.family;
    out += "# HELP ";
    out += family.name;
    out += ' ';
    out += prometheus_escape_help(family.help);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    out += prometheus_type_name(family.type);
    out += '\n';
    SeriesWriter series(&out, family.name);
    writer.write(inputs, series);
  }
  return out;
}

}  // namespace spool::report
