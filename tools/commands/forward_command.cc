// spoolctl forward DIR --to URL [--cursor NAME] [--drain [--drain-timeout-s N]]
//                  [--from-time T] [--until-time T] [--rate-limit BYTES_PER_S]
//                  [--daily-cap BYTES [--critical-reserve BYTES]] [sink and forwarding options]
//
// Runs a spool::Forwarder over the log in DIR from this process: the records beyond the
// cursor go to the sink named by the URL (http(s)://... an OTLP/HTTP collector, kafka://... a
// Kafka topic, file:PATH or jsonl:PATH a JSON-lines file), at least once, with the library's
// retry, circuit breaker and dead-letter log. Without --drain it forwards until
// SIGINT/SIGTERM; with --drain it stops once caught up (see below). Either way the cursor is
// persisted, so the next run goes on where this one stopped, and one JSON object on stdout
// says what this session did.
//
// The log: when no other process has it open, spoolctl opens it for writing (the directory
// lock) and runs its retention. When another process writes it, spoolctl follows it
// read-only and forwards what that writer has committed (LOG_STATE); retention stays the
// writer's. The cursor is this process's alone while it runs (cursors/<name>.lock): a
// second forward on the same cursor exits 2 naming the holder's pid.
//
// --drain: on a log nobody else writes, the end is fixed and the drain stops when the
// cursor reaches it. Beside a live writer the end moves; the drain stops when the cursor has
// reached the committed offset and the writer has committed nothing new for --drain-idle-ms
// (or the writer has gone), so a drain started while producers run delivers everything
// they wrote before going quiet, and a drain beside a writer that never pauses runs until
// --drain-timeout-s. A drain also ends (exit 1) once the daily cap holds the batch at the
// cursor back: nothing more goes out before 00:00 UTC.
//
// --from-time / --until-time: a replay of the records buffered in [from, until) (replay_range.h).
// --from-time starts a new cursor (named by --cursor, or generated) at the first record
// buffered at or after it; --until-time makes the forwarder stop before the first record
// buffered at or after it (ForwarderOptions::until_ns). A replay stops at the end of its
// range, as --drain does, and deletes the cursor it created once the range is delivered.
//
// Secrets: headers come from OTEL_EXPORTER_OTLP_HEADERS, --header-file or --header (the
// first two keep them out of `ps`); a URL with user:pass@ is refused; whatever spool prints
// or stores about the URL is redacted (engine/forward/secret_redaction.h).
//
// Record redaction: --redact rules (spool/redaction.h) wrap the sink in a redacting sink, so
// what the rules name never reaches it; the hash action's key comes from --redact-key-file.
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/otlp/http_header_sources.h"
#include "engine/sinks/sink_for_url.h"
#include "engine/forward/record_selection.h"
#include "segment/log_state.h"
#include "spool/cursors.h"
#include "spool/forwarder.h"
#include "spool/forwarder_options.h"
#include "spool/otlp_http_sink.h"
#include "spool/redacting_sink.h"
#include "tools/buffer_option_names.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_directory.h"
#include "tools/redaction_config.h"
#include "tools/replay_range.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "forward";
constexpr std::uint64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

// Exit status when a drain stopped before the cursor caught up: --drain-timeout-s ran out, or
// the daily cap holds the rest back.
constexpr int kExitNotDrained = 1;

struct ForwardArgs {
  std::string dir;
  std::string url;
  std::optional<std::string> cursor;  // default: "default", or a generated name for --from-time
  std::optional<std::string> from_time;
  std::optional<std::string> until_time;
  bool drain = false;
  OtlpHttpOptions::Encoding encoding = OtlpHttpOptions::Encoding::kProtobuf;
  OtlpHttpOptions::Compression compression = OtlpHttpOptions::Compression::kZstd;
  std::vector<std::string> headers;
  std::string header_file;
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  OtlpHttpOptions::TlsVersion tls_min_version = OtlpHttpOptions::TlsVersion::kDefault;
  std::string proxy;
  bool insecure = false;
  bool server_errors_are_outages = false;
  std::optional<std::uint64_t> dead_letter_max_bytes;
  std::optional<std::uint64_t> dead_letter_max_age_s;
  std::optional<std::uint64_t> timeout_ms;
  std::string probe_url;
  std::optional<std::uint64_t> batch;
  FlushStrategy flush = FlushStrategy::kHybrid;
  std::optional<std::uint64_t> flush_interval_ms;
  std::optional<std::uint64_t> max_retries;
  std::optional<std::uint64_t> in_flight;  // --in-flight
  std::vector<std::string> lanes;          // --lane: empty = every lane
  std::optional<std::uint64_t> drain_timeout_s;
  std::uint64_t drain_idle_ms = 1000;
  engine::OrderSelectionText order_selection;
  std::vector<std::string> redact;  // rule lists, in order (spool/redaction.h)
  std::string redact_key_file;
  BandwidthOptions bandwidth;
};

// "min_priority: ..." -> "min-priority: ...": the message names the flag.
std::string flag_spelling(std::string message) {
  for (std::size_t i = 0; i < message.size() && message[i] != ':'; ++i) {
    if (message[i] == '_') message[i] = '-';
  }
  return message;
}

const std::map<std::string, OtlpHttpOptions::Encoding>& encoding_names() {
  static const std::map<std::string, OtlpHttpOptions::Encoding> names{
      {"protobuf", OtlpHttpOptions::Encoding::kProtobuf},
      {"json", OtlpHttpOptions::Encoding::kJson},
  };
  return names;
}

const std::map<std::string, OtlpHttpOptions::Compression>& compression_names() {
  static const std::map<std::string, OtlpHttpOptions::Compression> names{
      {"zstd", OtlpHttpOptions::Compression::kZstd},
      {"gzip", OtlpHttpOptions::Compression::kGzip},
      {"none", OtlpHttpOptions::Compression::kNone},
  };
  return names;
}

const std::map<std::string, OtlpHttpOptions::TlsVersion>& tls_version_names() {
  static const std::map<std::string, OtlpHttpOptions::TlsVersion> names{
      {"1.2", OtlpHttpOptions::TlsVersion::kTls12},
      {"1.3", OtlpHttpOptions::TlsVersion::kTls13},
  };
  return names;
}

const std::map<std::string, FlushStrategy>& flush_names() {
  static const std::map<std::string, FlushStrategy> names{
      {"size", FlushStrategy::kSize},
      {"time", FlushStrategy::kTime},
      {"manual", FlushStrategy::kManual},
      {"hybrid", FlushStrategy::kHybrid},
  };
  return names;
}

// ---- signals ---------------------------------------------------------------------------

volatile std::sig_atomic_t g_forward_stop_signal = 0;

extern "C" void on_forward_stop_signal(int sig) { g_forward_stop_signal = sig; }

// SIGINT/SIGTERM end the session instead of killing the process, so the forwarder stops
// cleanly (one last delivery attempt, cursor and totals persisted) and the summary is printed.
void install_stop_handlers() {
  struct sigaction sa;
  ::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_forward_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_forward_stop_signal != 0; }

// Sleeps `ms` milliseconds; a stop signal cuts it short (nanosleep returns EINTR).
void sleep_ms(int ms) {
  struct timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000L};
  ::nanosleep(&ts, nullptr);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---- sink ------------------------------------------------------------------------------

// The request headers, lowest precedence first (a later header of the same name replaces
// an earlier one): OTEL_EXPORTER_OTLP_HEADERS, --header-file, --header. Warnings about the
// header file go to stderr.
Result<engine::HttpHeaders> request_headers(const ForwardArgs& args) {
  engine::HttpHeaders headers;
  if (const char* env = std::getenv(std::string(engine::kOtelHeadersVariable).c_str()); env != nullptr) {
    auto parsed = engine::parse_otel_headers(env);
    if (!parsed) return parsed.status();
    engine::merge_headers(&headers, std::move(*parsed));
  }
  if (!args.header_file.empty()) {
    auto file = engine::read_header_file(args.header_file);
    if (!file) return file.status();
    for (const std::string& w : file->warnings) std::fprintf(stderr, "spoolctl forward: warning: %s\n", w.c_str());
    engine::merge_headers(&headers, std::move(file->headers));
  }
  engine::HttpHeaders argv_headers;
  for (const std::string& h : args.headers) {
    auto header = engine::parse_header_line(h, "--header");  // the message never repeats the value
    if (!header) return header.status();
    argv_headers.push_back(std::move(*header));
  }
  engine::merge_headers(&headers, std::move(argv_headers));
  return headers;
}

// `file_mode`: the log's, for a JSON-lines file this creates (it holds the same records).
Result<std::unique_ptr<Sink>> make_sink(const ForwardArgs& args, mode_t file_mode) {
  const std::string& url = args.url;
  OtlpHttpOptions o;
  if (url.starts_with("http://") || url.starts_with("https://")) {
    o.encoding = args.encoding;
    o.compression = args.compression;
    auto headers = request_headers(args);
    if (!headers) return headers.status();
    o.headers = std::move(*headers);
    o.ca_file = args.ca_file;
    o.client_cert_file = args.client_cert;
    o.client_key_file = args.client_key;
    o.tls_min_version = args.tls_min_version;
    o.proxy = args.proxy;
    o.insecure_skip_verify = args.insecure;
    o.server_errors_are_outages = args.server_errors_are_outages;
    if (o.insecure_skip_verify) {
      std::fprintf(stderr, "spoolctl forward: warning: --insecure: TLS certificate and host name "
                           "verification is off for this run\n");
    }
    if (args.timeout_ms) {
      o.request_timeout_ms = static_cast<std::uint32_t>(*args.timeout_ms);
      // The request timeout includes the connect; a longer connect timeout would never apply.
      o.connect_timeout_ms = std::min(o.connect_timeout_ms, o.request_timeout_ms);
    }
  }
  // The rules are checked before the sink is made (which creates a file sink's file).
  if (!args.redact_key_file.empty() && args.redact.empty()) {
    return Status::invalid_argument("--redact-key-file needs --redact");
  }
  std::vector<std::string> warnings;
  auto redaction =
      redaction_options(args.redact, args.redact_key_file, "--redact-key-file", &warnings);
  if (!redaction) return Status::invalid_argument("--redact: " + redaction.status().message());
  for (const std::string& w : warnings)
    std::fprintf(stderr, "spoolctl forward: warning: %s\n", w.c_str());
  auto sink = engine::make_sink_for_url(url, std::move(o), file_mode);
  if (!sink && sink.status().code() == StatusCode::kInvalidArgument) {
    return Status::invalid_argument("--to " + sink.status().message());  // names the flag
  }
  if (!sink) return sink;
  return make_redacting_sink(std::move(*sink), std::move(*redaction));
}

// ---- options ---------------------------------------------------------------------------

Status check_u32(const char* flag, const std::optional<std::uint64_t>& value, std::uint64_t min) {
  if (value && (*value < min || *value > kMaxU32)) {
    return Status::invalid_argument(std::string(flag) + " must be between " + std::to_string(min) +
                                    " and " + std::to_string(kMaxU32) + ", got " +
                                    std::to_string(*value));
  }
  return Status::ok();
}

// `args.drain`: as given, or implied by a replay range.
Result<ForwarderOptions> forwarder_options(const ForwardArgs& args, const std::string& cursor,
                                           const ReplayRange& range) {
  SPOOL_RETURN_IF_ERROR(check_u32("--timeout-ms", args.timeout_ms, 1));
  SPOOL_RETURN_IF_ERROR(check_u32("--batch", args.batch, 1));
  SPOOL_RETURN_IF_ERROR(check_u32("--flush-interval-ms", args.flush_interval_ms, 1));
  SPOOL_RETURN_IF_ERROR(check_u32("--max-retries", args.max_retries, 0));
  SPOOL_RETURN_IF_ERROR(check_u32("--in-flight", args.in_flight, 1));
  if (args.drain_timeout_s && !args.drain) {
    return Status::invalid_argument("--drain-timeout-s needs --drain");
  }
  if (args.drain_timeout_s && *args.drain_timeout_s == 0) {
    return Status::invalid_argument("--drain-timeout-s must be at least 1");
  }
  ForwarderOptions o;
  o.cursor = cursor;
  o.until_ns = range.until_ns;
  o.flush = args.flush;
  if (args.flush_interval_ms) o.flush_interval_ms = static_cast<std::uint32_t>(*args.flush_interval_ms);
  if (args.batch) {
    const auto n = static_cast<std::uint32_t>(*args.batch);
    o.batch.initial_records = n;
    o.batch.min_records = std::min(o.batch.min_records, n);
    o.batch.max_records = std::max(o.batch.max_records, n);
  }
  if (args.max_retries) o.retry.max_retries = static_cast<std::uint32_t>(*args.max_retries);
  if (args.in_flight) o.max_in_flight_batches = static_cast<std::uint32_t>(*args.in_flight);
  o.lanes = args.lanes;
  if (args.dead_letter_max_bytes) o.dead_letter_max_bytes = *args.dead_letter_max_bytes;
  if (args.dead_letter_max_age_s) {
    if (*args.dead_letter_max_age_s > std::numeric_limits<std::uint64_t>::max() / 1000) {
      return Status::invalid_argument("--dead-letter-max-age-s is too large");
    }
    o.dead_letter_max_age_ms = *args.dead_letter_max_age_s * 1000;
  }
  o.connectivity.probe_url = args.probe_url;
  SPOOL_RETURN_IF_ERROR(validate(o.connectivity));
  if (Status st = engine::apply_order_and_selection(args.order_selection, &o); !st) {
    return Status::invalid_argument("--" + flag_spelling(st.message()));
  }
  o.bandwidth = args.bandwidth;
  if (o.bandwidth.critical_reserve_bytes > o.bandwidth.daily_cap_bytes) {
    return Status::invalid_argument(o.bandwidth.daily_cap_bytes == 0
                                        ? "--critical-reserve needs --daily-cap"
                                        : "--critical-reserve must not exceed --daily-cap");
  }
  // A drain that gave up (or was interrupted) should not linger: its last delivery attempt
  // at stop() is kept short. Forwarding until a signal keeps the library's default.
  if (args.drain) o.stop_timeout_ms = 1000;
  return o;
}

// ---- progress --------------------------------------------------------------------------

// One line on a terminal's stderr, rewritten in place about twice a second.
class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO) == 1) {}

  void update(const ForwarderStats& s) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(500)) return;
    const double dt = shown_ ? std::chrono::duration<double>(now - last_).count() : 0.0;
    const std::uint64_t delivered = s.session.delivered;
    const double rate =
        dt > 0 ? static_cast<double>(delivered - std::min(delivered, last_delivered_)) / dt : 0.0;
    char line[256];
    const int n = std::snprintf(line, sizeof line,
                                "\rdelivered %llu  lag %llu records  %.0f records/s  circuit %s",
                                static_cast<unsigned long long>(delivered),
                                static_cast<unsigned long long>(s.lag.records), rate,
                                std::string(circuit_state_name(s.circuit)).c_str());
    const int width = n > 0 ? n : 0;
    // Pad over what a longer previous line left behind.
    std::fprintf(stderr, "%s%*s", line, std::max(0, last_width_ - width), "");
    std::fflush(stderr);
    last_width_ = width;
    last_ = now;
    last_delivered_ = delivered;
    shown_ = true;
  }

  void finish() {
    if (enabled_ && shown_) std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  int last_width_ = 0;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t last_delivered_ = 0;
};

// ---- the session -----------------------------------------------------------------------

// What a replay did: its range, whether it was delivered to its end, and its cursor's fate.
nlohmann::ordered_json range_json(const ReplayRange& range, const ReplayCursor& cursor,
                                  bool complete, bool until_reached, bool cursor_deleted) {
  nlohmann::ordered_json j;
  j["from_ns"] =
      range.from_ns ? nlohmann::ordered_json(*range.from_ns) : nlohmann::ordered_json(nullptr);
  j["until_ns"] =
      range.until_ns ? nlohmann::ordered_json(*range.until_ns) : nlohmann::ordered_json(nullptr);
  j["complete"] = complete;
  j["until_reached"] = until_reached;
  j["cursor_created"] = cursor.created;
  j["cursor_deleted"] = cursor_deleted;
  return j;
}

// Each forwarded lane's end (the committed end, or a replay's end), in lane order.
std::vector<std::uint64_t> lane_ends(const ForwarderStats& s) {
  std::vector<std::uint64_t> ends;
  for (const LaneForwarderStats& lane : s.lanes) ends.push_back(lane.stats.end_offset);
  return ends;
}

// True when every lane's cursor is at or past its entry of `ends`.
bool cursors_at(const ForwarderStats& s, const std::vector<std::uint64_t>& ends) {
  for (std::size_t i = 0; i < s.lanes.size() && i < ends.size(); ++i) {
    if (s.lanes[i].stats.cursor_offset < ends[i]) return false;
  }
  return true;
}

nlohmann::ordered_json summary_json(const ForwarderStats& s, const HealthReport& health, double seconds) {
  nlohmann::ordered_json j;
  j["cursor"] = s.cursor;
  j["sink"] = s.sink;
  j["delivered"] = s.session.delivered;
  j["dead_lettered"] = s.session.dead_lettered;
  j["failed"] = s.session.failed;
  j["retried"] = s.session.retried;
  j["dropped_unforwarded"] = s.session.dropped_unforwarded;
  j["not_selected"] = s.session.not_selected;
  j["bytes_sent"] = s.session.bytes_sent;
  j["throttled_sends"] = s.session.throttled_sends;
  j["throttled_s"] = static_cast<double>(s.session.throttled_ns) / 1e9;
  j["spent_today_bytes"] = s.bandwidth.spent_bytes;
  j["daily_cap"] = std::string(daily_cap_state_name(s.daily_cap));
  j["seconds"] = seconds;
  j["records_per_s"] = seconds > 0 ? static_cast<double>(s.session.delivered) / seconds : 0.0;
  j["cursor_offset"] = s.cursor_offset;
  j["end_offset"] = s.end_offset;
  j["lag_records"] = s.lag.records;
  j["circuit"] = std::string(circuit_state_name(s.circuit));
  j["dead_letters_dropped"] = s.dead_letters_dropped;
  nlohmann::ordered_json lanes = nlohmann::ordered_json::array();
  for (const LaneForwarderStats& lane : s.lanes) {
    nlohmann::ordered_json one;
    one["lane"] = lane.lane;
    one["delivered"] = lane.stats.session.delivered;
    one["dead_lettered"] = lane.stats.session.dead_lettered;
    one["dropped_unforwarded"] = lane.stats.session.dropped_unforwarded;
    one["not_selected"] = lane.stats.session.not_selected;
    one["cursor_offset"] = lane.stats.cursor_offset;
    one["end_offset"] = lane.stats.end_offset;
    one["lag_records"] = lane.stats.lag.records;
    one["circuit"] = std::string(circuit_state_name(lane.stats.circuit));
    lanes.push_back(std::move(one));
  }
  j["lanes"] = std::move(lanes);
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const HealthWarning& w : health.warnings) {
    warnings.push_back(nlohmann::ordered_json{{"code", w.code}, {"message", w.message}});
  }
  j["warnings"] = std::move(warnings);
  return j;
}

int run_forward(const ForwardArgs& given) {
  Status s = require_existing_log(given.dir);
  if (!s) return report_error(kName, s);
  auto range = parse_replay_range(given.from_time, given.until_time);
  if (!range) return report_error(kName, range.status());
  ForwardArgs args = given;
  args.drain = args.drain || range->active();  // a range ends where it ends
  auto options = forwarder_options(args, args.cursor.value_or("default"), *range);
  if (!options) return report_error(kName, options.status());
  auto log_options = existing_log_options(args.dir);
  if (!log_options) return report_error(kName, log_options.status());
  auto sink = make_sink(args, log_options->file_mode);
  if (!sink) return report_error(kName, sink.status());
  // Last before the forwarder: a cursor created here is deleted again if the open fails.
  auto cursor = prepare_replay_cursor(args.dir, args.cursor, *range);
  if (!cursor) return report_error(kName, cursor.status());
  options->cursor = cursor->name;

  install_stop_handlers();
  const auto started = std::chrono::steady_clock::now();
  // Another process writing the log (read before the open: the forwarder then follows it).
  auto state = segment::LogState::open_for_reader(args.dir);
  if (!state) return report_error(kName, state.status());
  auto writer_elsewhere = [&] {
    return state->has_value() && (*state)->writer_alive() && (*state)->writer().pid != ::getpid();
  };
  const bool beside_writer = writer_elsewhere();
  auto opened = Forwarder::open(args.dir, std::move(*sink), std::move(*options));
  if (!opened) {
    if (cursor->created) (void)delete_cursor(args.dir, cursor->name);
    return report_error(kName, opened.status());
  }
  Forwarder& forwarder = **opened;

  ProgressLine progress;
  bool timed_out = false;
  bool drained = false;  // stopped because everything to deliver was delivered
  bool capped = false;
  if (args.drain) {
    // Alone on the log: the end as it was at start (nobody appends while this process holds
    // the lock). Beside a writer: the committed end, once it stopped moving (see the top).
    std::vector<std::uint64_t> target = lane_ends(forwarder.stats());
    auto last_growth = std::chrono::steady_clock::now();
    const auto idle = std::chrono::milliseconds(args.drain_idle_ms);
    const std::optional<std::chrono::steady_clock::time_point> deadline =
        args.drain_timeout_s
            ? std::optional(started + std::chrono::seconds(*args.drain_timeout_s))
            : std::nullopt;
    while (!stop_requested()) {
      const ForwarderStats st = forwarder.stats();
      if (beside_writer && lane_ends(st) != target) {
        target = lane_ends(st);
        last_growth = std::chrono::steady_clock::now();
      }
      const bool at_target = cursors_at(st, target);
      const bool quiet = !beside_writer || std::chrono::steady_clock::now() - last_growth >= idle ||
                         !writer_elsewhere();
      if (st.until_reached || (at_target && quiet)) {
        drained = true;
        break;
      }
      if (st.budget_hold == BudgetHold::kDailyCap ||
          st.budget_hold == BudgetHold::kCriticalReserve) {
        capped = true;
        break;
      }
      if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        timed_out = true;
        break;
      }
      progress.update(st);
      // flush() sends whatever the flush strategy would still hold back (--flush manual
      // included) and returns once the cursor is there or after the slice; an open circuit
      // makes it return at once, so the loop then waits instead of spinning.
      const Status f = forwarder.flush(200);
      if (!f && f.code() != StatusCode::kTimedOut) sleep_ms(100);
      // Caught up beside a writer: wait for more (or for the idle period to pass).
      if (f && at_target) sleep_ms(50);
    }
  } else {
    while (!stop_requested()) {
      progress.update(forwarder.stats());
      sleep_ms(100);
    }
  }

  // Health before stop: the sink's standing conditions (sink_auth, tls_insecure) are the
  // session's, and the summary says what they were at the end.
  const HealthReport final_health = forwarder.health();
  const Status stopped = forwarder.stop();
  const ForwarderStats final_stats = forwarder.stats();
  const double seconds = seconds_since(started);
  progress.finish();

  nlohmann::ordered_json summary = summary_json(final_stats, final_health, seconds);
  if (range->active()) {
    // Only once the forwarder let go of it (stop() released its lock) can the cursor go.
    const bool complete = drained && stopped;
    auto deleted =
        finish_replay_cursor(args.dir, *cursor, *range, complete, final_stats.cursor_offset);
    if (!deleted) {
      std::fprintf(stderr, "spoolctl forward: %s\n", deleted.status().to_string().c_str());
    }
    summary["range"] = range_json(*range, *cursor, complete, final_stats.until_reached,
                                  deleted.is_ok() && *deleted);
  }
  std::printf(
      "%s\n",
      summary.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  if (!stopped) return report_error(kName, "stop: " + stopped.to_string());
  if (timed_out) {
    std::fprintf(stderr,
                 "spoolctl forward: --drain-timeout-s %llu expired at offset %llu of %llu "
                 "(the cursor keeps its position; run again to go on)\n",
                 static_cast<unsigned long long>(*args.drain_timeout_s),
                 static_cast<unsigned long long>(final_stats.cursor_offset),
                 static_cast<unsigned long long>(final_stats.end_offset));
    return kExitNotDrained;
  }
  if (capped) {
    std::fprintf(
        stderr,
        "spoolctl forward: the daily cap (%llu bytes, %llu spent today) holds the records from "
        "offset %llu back until 00:00 UTC (the cursor keeps its position; run again then)\n",
        static_cast<unsigned long long>(final_stats.bandwidth.daily_cap_bytes),
        static_cast<unsigned long long>(final_stats.bandwidth.spent_bytes),
        static_cast<unsigned long long>(final_stats.cursor_offset));
    return kExitNotDrained;
  }
  return kExitOk;
}

}  // namespace

Command add_forward_command(CLI::App& app) {
  auto args = std::make_shared<ForwardArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "Forward the log's records beyond a cursor to an OTLP/HTTP collector, Kafka or a "
      "JSON-lines file, until interrupted (or, with --drain, until caught up)");
  cmd->add_option("DIR", args->dir, "Log directory")->required();
  cmd->add_option("--to", args->url,
                  "Sink: http://HOST:PORT[/prefix] or https://... (OTLP/HTTP; /v1/traces etc. "
                  "are appended), kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?PROPERTY=VALUE&...] "
                  "(Kafka), or file:PATH / jsonl:PATH (JSON lines)")
      ->required()
      ->type_name("URL");
  cmd->add_option("--cursor", args->cursor,
                  "Cursor to forward from (default: default; with --from-time a new cursor, "
                  "default: replay-<pid>-<unix ms>)")
      ->type_name("NAME");
  cmd->add_option("--from-time", args->from_time,
                  "Replay from the first record buffered at or after T, through a new cursor "
                  "(implies --drain)")
      ->type_name("T");
  cmd->add_option("--until-time", args->until_time,
                  "Stop before the first record buffered at or after T (implies --drain)")
      ->type_name("T");
  cmd->add_flag("--drain", args->drain,
                "Stop once caught up: at the end the log had at start, or, beside a process "
                "that writes it, at its committed end once quiet (--drain-idle-ms)");
  cmd->add_option("--drain-idle-ms", args->drain_idle_ms,
                  "With --drain beside a process that writes the log: stop once caught up and "
                  "nothing new was committed for N ms (default 1000)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--drain-timeout-s", args->drain_timeout_s,
                  "With --drain: give up after N seconds and exit 1 (default: no limit)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--encoding", args->encoding, "OTLP body encoding: protobuf (default) or json")
      ->transform(one_of_names(encoding_names()))
      ->type_name("ENC");
  cmd->add_option("--compression", args->compression,
                  "OTLP request compression: zstd (default), gzip or none")
      ->transform(one_of_names(compression_names()))
      ->type_name("ALG");
  cmd->add_option("--header", args->headers,
                  "Extra request header 'Name: value' (repeatable), e.g. 'Authorization: Bearer T'")
      ->allow_extra_args(false)  // one header per --header, so it never swallows DIR
      ->type_name("HEADER");
  cmd->add_option("--header-file", args->header_file,
                  "Request headers from a file, one 'Name: value' per line ('#' comments); kept "
                  "off argv. Refused if group/other-writable, a warning if group/other-readable")
      ->type_name("PATH");
  cmd->add_option("--ca-file", args->ca_file, "PEM CA bundle to verify an https:// receiver with")
      ->type_name("PATH");
  cmd->add_option("--client-cert", args->client_cert, "PEM client certificate (mutual TLS)")
      ->type_name("PATH");
  cmd->add_option("--client-key", args->client_key, "PEM private key of --client-cert")
      ->type_name("PATH");
  cmd->add_option("--tls-min-version", args->tls_min_version, "Lowest TLS version accepted: 1.2 or 1.3")
      ->transform(one_of_names(tls_version_names()))
      ->type_name("VER");
  cmd->add_option("--proxy", args->proxy,
                  "Proxy URL (http://HOST:PORT, socks5h://...); default: https_proxy/no_proxy")
      ->type_name("URL");
  cmd->add_flag("--insecure", args->insecure,
                "Do not verify the receiver's TLS certificate (tests only; reported as health "
                "warning tls_insecure)");
  cmd->add_flag("--server-errors-as-outages", args->server_errors_are_outages,
                "Treat 500, 501, 505 and other non-gateway 5xx as outages (no retry used up) "
                "instead of failures that count towards --max-retries");
  cmd->add_option("--dead-letter-max-bytes", args->dead_letter_max_bytes,
                  "Cap of DIR/deadletter in bytes (default 268435456 = 256 MiB; 0 = none)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--dead-letter-max-age-s", args->dead_letter_max_age_s,
                  "Delete dead letters set aside longer ago (default 604800 = 7 days; 0 = never)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--timeout-ms", args->timeout_ms, "OTLP request timeout (default 10000)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--probe-url", args->probe_url,
                  "http(s) URL probed to learn that the network is back (default: none)")
      ->type_name("URL");
  cmd->add_option("--batch", args->batch, "Initial batch size in records (default 1024)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--flush", args->flush,
                  "When a batch is sent: size, time, manual or hybrid (default)")
      ->transform(one_of_names(flush_names()))
      ->type_name("STRATEGY");
  cmd->add_option("--flush-interval-ms", args->flush_interval_ms,
                  "Interval of the time and hybrid strategies (default 1000)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--redact", args->redact,
                  "Redaction rules (repeatable): FIELD[:drop|hash|truncate=N], comma-separated; "
                  "FIELD is input, output, tool_input, tool_output, tool, body, data, an attribute "
                  "key or a key prefix ending in '*' (e.g. input,output:hash,user.*)")
      ->allow_extra_args(false)
      ->type_name("RULES");
  cmd->add_option("--redact-key-file", args->redact_key_file,
                  "HMAC-SHA256 key of the hash action (at least 16 bytes; one trailing newline "
                  "ignored). Refused if group/other-writable, a warning if group/other-readable")
      ->type_name("PATH");
  cmd->add_option("--rate-limit", args->bandwidth.rate_limit_bytes_per_s,
                  "Wire bytes per second at most, e.g. 1000000, 1MB or 1MiB (bursts up to one "
                  "second's worth; default: no limit)")
      ->transform(byte_size_validator())
      ->type_name("BYTES_PER_S");
  cmd->add_option("--daily-cap", args->bandwidth.daily_cap_bytes,
                  "Wire bytes per UTC day at most, e.g. 500MiB (default: no cap); then nothing "
                  "until 00:00 UTC")
      ->transform(byte_size_validator())
      ->type_name("BYTES");
  cmd->add_option("--critical-reserve", args->bandwidth.critical_reserve_bytes,
                  "Of --daily-cap, bytes only batches of critical records may use (default 0)")
      ->transform(byte_size_validator())
      ->type_name("BYTES");
  cmd->add_option("--max-retries", args->max_retries,
                  "Retries of a failing record before it is dead-lettered (default 8; outages "
                  "of the sink itself do not count)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--in-flight", args->in_flight,
                  "Batches in flight at once, 1-64 (default 4): encoded, compressed and sent "
                  "in parallel; the cursor still commits in order (http(s) sinks; others take "
                  "one at a time, and so does a --rate-limit or --daily-cap)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--order", args->order_selection.order,
                  "Within a priority: oldest (default) or newest records first; offset: plain "
                  "offset order, whatever the records' priorities")
      ->check(CLI::IsMember({"oldest", "newest", "offset"}))
      ->type_name("oldest|newest|offset");
  cmd->add_option("--min-priority", args->order_selection.min_priority,
                  "Forward only records of this priority or higher: low, normal, high, critical")
      ->type_name("P");
  cmd->add_option("--min-severity", args->order_selection.min_severity,
                  "Forward only log records of this severity or higher (trace, debug, info, warn, "
                  "error, fatal or an OTLP number 1-24); other kinds are not affected")
      ->type_name("S");
  cmd->add_option(
         "--lane", args->lanes,
         "Forward only these lanes (default, or lanes' names; comma-separated, repeatable); "
         "every lane when not given, each from a cursor of its own")
      ->delimiter(',')
      ->type_name("NAME[,NAME...]");
  cmd->add_option("--select", args->order_selection.select,
                  "Forward only these kinds: span, log, metric, record, raw, record:TYPE "
                  "(comma-separated, repeatable)")
      ->type_name("KIND[,KIND...]");
  cmd->footer(
      "Order: with a backlog, critical records go before high before normal before low; within "
      "a priority oldest first (--order newest: newest first). One batch in ten goes to the "
      "oldest record of any priority, so nothing waits forever. Records a selection leaves out "
      "are passed over (not_selected), never sent by this cursor.\n"
      "--encoding, --compression, --header, --header-file, --timeout-ms, --proxy and the TLS "
      "options apply to http(s) sinks only.\n"
      "Kafka: a message per record, key = its idempotency key, spool.* headers, value = the "
      "record as an OTLP/protobuf request; \"{kind}\" in TOPIC makes a topic per kind (span, "
      "log, metric, record). Query parameters are librdkafka properties (values REDACTED in "
      "every output); message.timeout.ms is the delivery timeout (default 10000). Brokers "
      "down and timeouts are outages; a record over message.max.bytes is dead-lettered.\n"
      "Headers: OTEL_EXPORTER_OTLP_HEADERS (key=value,key=value, values percent-decoded) first, "
      "then --header-file, then --header; a later header of the same name wins. A URL with "
      "credentials (https://user:pass@host) is refused: use --header-file. Query parameters "
      "are sent but shown only as REDACTED in every error, cursor file and dead letter.\n"
      "401/403/407 (sink_auth), 404/405/3xx and TLS errors (sink_misconfigured) are outages: "
      "nothing is dead-lettered, forwarding waits with back-off. 413 halves the batch.\n"
      "Redaction: each record is rewritten before the sink encodes it: drop leaves the field "
      "out, hash replaces it with hmac-sha256:<hex> (keyed: --redact-key-file), truncate=N "
      "keeps at most N bytes (UTF-8 safe). input/output/tool_input/tool_output also name the "
      "gen_ai.* attributes they are sent as. Raw frames are passed as they are.\n"
      "Bandwidth: --rate-limit, --daily-cap and --critical-reserve count the bytes the sink puts "
      "on the wire (request bodies, compressed). Once the daily cap less the reserve is spent, "
      "only batches made only of critical records are sent; once the cap is spent, none until "
      "00:00 UTC. Held-back records stay in the log: nothing is dropped or dead-lettered. What "
      "was spent today is kept with the cursor across runs. Sizes: a plain number of bytes or "
      "K/KiB, M/MiB, G/GiB (powers of 1024; 1M = 1MiB = 1048576) or kB, MB, GB (powers of 1000; "
      "1MB = 1000000).\n"
      "On a terminal, stderr shows progress (delivered, lag, records/s, circuit state).\n"
      "Output at exit: one JSON object with this session's figures: cursor, sink, delivered, "
      "dead_lettered, failed, retried, dropped_unforwarded, not_selected, bytes_sent, "
      "throttled_sends, throttled_s (time held back by the bandwidth budget), spent_today_bytes, "
      "daily_cap (off, open, critical-only, reached), seconds, records_per_s, "
      "cursor_offset, end_offset, lag_records, circuit, dead_letters_dropped, lanes ([{lane, "
      "delivered, dead_lettered, dropped_unforwarded, not_selected, cursor_offset, end_offset, "
      "lag_records, circuit}]: each lane's part; the figures above are their sums, the offsets "
      "the first lane's), warnings "
      "([{code, message}]: the forwarder's health at the end, e.g. sink_auth, tls_insecure).\n"
      "A log another process writes is followed read-only: what its writer committed is "
      "forwarded, its retention stays the writer's.\n"
      "Times (T): ns since the Unix epoch, time:NANOS, or UTC as 2026-11-22T20:03:39.056Z. "
      "A replay (--from-time/--until-time) delivers the records buffered in [from, until), "
      "stops at the end of the range and adds \"range\": {from_ns, until_ns, complete, "
      "until_reached, cursor_created, cursor_deleted} to the summary. The cursor --from-time "
      "created is deleted once the range is delivered (a cursor left behind holds back the "
      "log's age retention); an interrupted replay keeps it and says how to resume (--cursor "
      "NAME --until-time T) or delete it. "
      "--from-time refuses an existing cursor: the log's other cursors never move.\n"
      "Exit status: 0 when drained or stopped by SIGINT/SIGTERM, 1 when --drain-timeout-s "
      "expired first or the daily cap holds the rest back, 2 on error (bad URL or option, missing "
      "directory, the cursor held by "
      "another forwarder: \"cursor 'NAME' of log DIR is held by pid N\").");
  return {cmd, [args] { return run_forward(*args); }};
}

}  // namespace spool::tools
