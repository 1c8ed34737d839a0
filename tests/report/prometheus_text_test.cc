// report/prometheus_text: spool's counters in the Prometheus text format, checked line by
// line and by the Prometheus Python client's parser.
#include "report/prometheus_text.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace spool::report {
namespace {

// Fixed stats with a distinct value in every counter, so a line can be found by its value.
PrometheusInputs fixed_inputs() {
  PrometheusInputs in;
  BufferStats& b = in.buffer;
  b.appended = 1000;
  b.accepted = 990;
  b.written = 950;
  b.dropped[static_cast<std::size_t>(DropReason::kQueueFull)] = 7;
  b.dropped[static_cast<std::size_t>(DropReason::kTooLarge)] = 3;
  b.queue_depth = 40;
  b.queue_bytes = 4096;
  b.queue_budget_bytes = 64 << 20;
  b.budget_resizes = 2;
  b.committed_offset = 940;
  b.written_end_offset = 950;
  b.oldest_unwritten_age_ns = 1'500'000'000;
  b.producers = 4;
  b.write_batches = 90;
  b.write_errors = 1;
  b.syncs = 12;
  b.writer_wakeups = 300;
  b.batch_records.buckets[0] = 1;  // a batch of 1 record
  b.batch_records.buckets[3] = 2;  // two of 8-15
  b.batch_records.count = 3;
  b.write_latency_ns.buckets[10] = 5;  // 1024-2047 ns
  b.write_latency_ns.count = 5;
  // One lane: the default lane, whose stats are the whole Buffer's (as Buffer::stats() fills
  // them without lanes).
  b.lanes.push_back(LaneStats{"default", "/var/spool/t", {}, false, b});

  PrometheusForwarder otlp;
  otlp.stats.cursor = "otlp";
  otlp.stats.sink = "otlp-http";
  otlp.sink = "https://user:pw@collector:4318/p?api_key=SECRET";
  otlp.stats.cursor_offset = 900;
  otlp.stats.end_offset = 940;
  otlp.stats.lag = {.records = 40, .bytes = 8000, .oldest_age_ns = 2'000'000'000};
  otlp.stats.totals.delivered = 880;
  otlp.stats.totals.dead_lettered = 5;
  otlp.stats.totals.dropped_unforwarded = 6;
  otlp.stats.totals.rejected_unnamed = 2;
  otlp.stats.totals.failed = 11;
  otlp.stats.totals.retried = 9;
  otlp.stats.totals.batches = 44;
  otlp.stats.totals.failed_sends = 3;
  otlp.stats.totals.bytes_sent = 123456;
  otlp.stats.totals.bytes_read = 654321;
  otlp.stats.totals.last_flush_ns = 1'700'000'000'250'000'000;
  otlp.stats.circuit = CircuitState::kHalfOpen;
  otlp.stats.circuit_opened = 2;
  otlp.stats.online = false;
  otlp.stats.batch_records = 512;
  otlp.stats.pending_retry_records = 17;
  otlp.stats.failure_rate = 0.25;
  otlp.stats.dead_letters_dropped = 1;
  otlp.stats.totals.throttled_sends = 12;
  otlp.stats.totals.throttled_ns = 3'500'000'000;
  otlp.stats.bandwidth.rate_limit_bytes_per_s = 1'048'576;
  otlp.stats.bandwidth.daily_cap_bytes = 500'000'000;
  otlp.stats.bandwidth.critical_reserve_bytes = 50'000'000;
  otlp.stats.bandwidth.spent_bytes = 460'000'000;
  otlp.stats.daily_cap = DailyCapState::kCriticalOnly;
  Accounting a;
  a.appended = 1000;
  a.backlog_at_start = 100;
  a.delivered = 880;
  a.dropped[static_cast<std::size_t>(DropReason::kQueueFull)] = 7;
  a.dropped_unforwarded = 6;
  a.dead_lettered = 5;
  a.still_buffered = 102;
  otlp.accounting = a;
  otlp.stats.lanes.push_back(LaneForwarderStats{"default", otlp.stats});
  in.forwarders.push_back(otlp);

  PrometheusForwarder file;
  file.stats.cursor = "we\"ird\\name\n";  // escaped in the label
  file.stats.sink = "jsonl";
  file.stats.lanes.push_back(LaneForwarderStats{"default", file.stats});
  in.forwarders.push_back(file);

  ProducersSummary producers;
  producers.writer = WriterInfo{.pid = 10, .since_ns = 1, .generation = 3};
  producers.producers.resize(3);
  producers.producers[1].alive = false;
  producers.producers_died = 4;
  producers.producer_died = 1;
  producers.malformed = 2;
  producers.ring_bytes_total = 1 << 20;
  in.producers = producers;

  HealthReport health;
  health.warnings.push_back({"forward_lag", "the oldest record waits"});
  health.warnings.push_back({"custom_code", "something new"});
  in.health = health;
  return in;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(PrometheusText, BufferCountersAndDropsByReason) {
  const std::string text = prometheus_text(fixed_inputs());
  for (const char* line : {
           "# HELP spool_buffer_appended_records_total Buffer::append calls (appended = written + "
           "dropped + queued)",
           "# TYPE spool_buffer_appended_records_total counter",
           "spool_buffer_appended_records_total 1000",
           "spool_buffer_accepted_records_total 990",
           "spool_buffer_written_records_total 950",
           "spool_buffer_dropped_records_total{reason=\"queue_full\"} 7",
           "spool_buffer_dropped_records_total{reason=\"too_large\"} 3",
           "spool_buffer_dropped_records_total{reason=\"malformed\"} 0",  // every reason, zero or
                                                                          // not
           "# TYPE spool_buffer_queued_records gauge",
           "spool_buffer_queued_records 40",
           "spool_buffer_queued_bytes 4096",
           "spool_buffer_queue_budget_bytes 67108864",
           "spool_buffer_budget_resizes_total 2",
           "spool_buffer_committed_offset 940",
           "spool_buffer_written_end_offset 950",
           "spool_buffer_oldest_unwritten_age_seconds 1.5",
           "spool_buffer_producer_rings 4",
           "spool_buffer_write_batches_total 90",
           "spool_buffer_write_errors_total 1",
           "spool_buffer_log_failed 0",
           "spool_buffer_syncs_total 12",
           "spool_buffer_writer_wakeups_total 300",
           "# TYPE spool_buffer_write_batch_records histogram",
           "spool_buffer_write_batch_records_bucket{le=\"1\"} 1",
           "spool_buffer_write_batch_records_bucket{le=\"7\"} 1",
           "spool_buffer_write_batch_records_bucket{le=\"15\"} 3",
           "spool_buffer_write_batch_records_bucket{le=\"+Inf\"} 3",
           "spool_buffer_write_batch_records_count 3",
           "spool_buffer_write_latency_seconds_bucket{le=\"2.047e-06\"} 5",
       }) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  }
}

TEST(PrometheusText, ForwarderSeriesCarryCursorAndRedactedSink) {
  const std::string text = prometheus_text(fixed_inputs());
  const std::string otlp =
      "{cursor=\"otlp\",sink=\"https://REDACTED@collector:4318/p?api_key=REDACTED\"}";
  for (const std::string& line : {
           "spool_forward_delivered_records_total" + otlp + " 880",
           "spool_forward_dead_lettered_records_total" + otlp + " 5",
           "spool_forward_dropped_unforwarded_records_total" + otlp + " 6",
           "spool_forward_rejected_unnamed_records_total" + otlp + " 2",
           "spool_forward_failed_record_sends_total" + otlp + " 11",
           "spool_forward_retried_record_sends_total" + otlp + " 9",
           "spool_forward_batches_total" + otlp + " 44",
           "spool_forward_failed_sends_total" + otlp + " 3",
           "spool_forward_sent_bytes_total" + otlp + " 123456",
           "spool_forward_read_bytes_total" + otlp + " 654321",
           "spool_forward_last_flush_timestamp_seconds" + otlp + " 1700000000.25",
           "spool_forward_last_error_timestamp_seconds" + otlp + " 0",
           "spool_forward_cursor_offset" + otlp + " 900",
           "spool_forward_end_offset" + otlp + " 940",
           "spool_forward_lag_records" + otlp + " 40",
           "spool_forward_lag_bytes" + otlp + " 8000",
           "spool_forward_oldest_unforwarded_age_seconds" + otlp + " 2",
           "spool_forward_circuit_opened_total" + otlp + " 2",
           "spool_forward_online" + otlp + " 0",
           "spool_forward_batch_target_records" + otlp + " 512",
           "spool_forward_pending_retry_records" + otlp + " 17",
           "spool_forward_failure_ratio" + otlp + " 0.25",
           "spool_forward_throttled_sends_total" + otlp + " 12",
           "spool_forward_throttled_seconds_total" + otlp + " 3.5",
           "spool_forward_rate_limit_bytes_per_second" + otlp + " 1048576",
           "spool_forward_daily_cap_bytes" + otlp + " 500000000",
           "spool_forward_critical_reserve_bytes" + otlp + " 50000000",
           "spool_forward_spent_today_bytes" + otlp + " 460000000",
           std::string("spool_dead_letters_dropped_records_total 1"),
           // A sink without a URL is named by its kind; label values are escaped.
           std::string("spool_forward_delivered_records_total{cursor=\"we\\\"ird\\\\name\\n\",sink="
                       "\"jsonl\"} 0"),
       }) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("SECRET"), std::string::npos);
  EXPECT_EQ(text.find("pw@"), std::string::npos);
}

TEST(PrometheusText, CircuitStateIsOneSeriesPerState) {
  const std::string text = prometheus_text(fixed_inputs());
  const std::string prefix =
      "spool_forward_circuit_state{cursor=\"otlp\",sink=\"https://REDACTED@collector:4318/"
      "p?api_key=REDACTED\",state=";
  EXPECT_TRUE(has_line(text, prefix + "\"closed\"} 0"));
  EXPECT_TRUE(has_line(text, prefix + "\"open\"} 0"));
  EXPECT_TRUE(has_line(text, prefix + "\"half-open\"} 1"));
}

TEST(PrometheusText, DailyCapStateIsOneSeriesPerState) {
  const std::string text = prometheus_text(fixed_inputs());
  const std::string prefix =
      "spool_forward_daily_cap_state{cursor=\"otlp\",sink=\"https://REDACTED@collector:4318/"
      "p?api_key=REDACTED\",state=";
  EXPECT_TRUE(has_line(text, prefix + "\"off\"} 0"));
  EXPECT_TRUE(has_line(text, prefix + "\"open\"} 0"));
  EXPECT_TRUE(has_line(text, prefix + "\"critical-only\"} 1"));
  EXPECT_TRUE(has_line(text, prefix + "\"reached\"} 0"));
  // A forwarder without a cap is in state off.
  EXPECT_TRUE(
      has_line(text,
               "spool_forward_daily_cap_state{cursor=\"we\\\"ird\\\\name\\n\",sink=\"jsonl\","
               "state=\"off\"} 1"));
}

TEST(PrometheusText, AccountingTermsProducersAndHealth) {
  const std::string text = prometheus_text(fixed_inputs());
  const std::string otlp =
      "cursor=\"otlp\",sink=\"https://REDACTED@collector:4318/p?api_key=REDACTED\"";
  for (const std::string& line : {
           "spool_accounting_records{" + otlp + ",term=\"appended\"} 1000",
           "spool_accounting_records{" + otlp + ",term=\"backlog_at_start\"} 100",
           "spool_accounting_records{" + otlp + ",term=\"delivered\"} 880",
           "spool_accounting_records{" + otlp + ",term=\"dropped\"} 13",
           "spool_accounting_records{" + otlp + ",term=\"dead_lettered\"} 5",
           "spool_accounting_records{" + otlp + ",term=\"still_buffered\"} 102",
           "spool_accounting_balanced{" + otlp + "} 1",
           std::string("spool_producers{state=\"live\"} 2"),
           std::string("spool_producers{state=\"died\"} 1"),
           std::string("spool_producers_died_total 4"),
           std::string("spool_producer_died_entries_total 1"),
           std::string("spool_producer_malformed_entries_total 2"),
           std::string("spool_producer_ring_bytes 1048576"),
           std::string("spool_writer_generation 3"),
           std::string("spool_healthy 0"),
           std::string("spool_health_warning{code=\"forward_lag\"} 1"),
           std::string("spool_health_warning{code=\"buffer_fill\"} 0"),
           std::string("spool_health_warning{code=\"custom_code\"} 1"),
       }) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  }
  // The forwarder without accounting has no accounting series.
  EXPECT_EQ(text.find("spool_accounting_balanced{cursor=\"we"), std::string::npos);
}

TEST(PrometheusText, OptionalPartsAreLeftOutWhenAbsent) {
  PrometheusInputs in;
  const std::string text = prometheus_text(in);
  EXPECT_NE(text.find("# TYPE spool_buffer_appended_records_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE spool_forward_delivered_records_total counter"), std::string::npos);
  for (const char* absent :
       {"spool_accounting_", "spool_producers", "spool_healthy", "spool_health_warning"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  }
}

// The format's rules, checked on the text itself: names, one HELP and TYPE per family before
// its samples, samples of a family together, counters named _total.
TEST(PrometheusText, EveryFamilyOnceWithHelpAndTypeAndConventionalNames) {
  const std::string text = prometheus_text(fixed_inputs());
  const std::regex name_re("^spool_[a-z0-9_]+$");
  const std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$)");
  std::set<std::string> seen;
  std::string family, type;
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with("# HELP ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(std::regex_match(family, name_re)) << family;
      EXPECT_TRUE(seen.insert(family).second) << family << " written twice";
      type.clear();
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      EXPECT_EQ(line.substr(7, family.size() + 1), family + " ") << line;
      type = line.substr(7 + family.size() + 1);
      if (type == "counter")
        EXPECT_TRUE(family.ends_with("_total")) << family;
      else
        EXPECT_FALSE(family.ends_with("_total")) << family;
      continue;
    }
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, sample_re)) << line;
    ASSERT_FALSE(type.empty()) << "sample before its TYPE: " << line;
    const std::string name = m[1];
    if (type == "histogram") {
      EXPECT_TRUE(name == family + "_bucket" || name == family + "_count") << line;
    } else {
      EXPECT_EQ(name, family) << line;
    }
  }
  // Every listed family was written (the fixture has every optional part).
  for (const PrometheusFamily& f : prometheus_families())
    EXPECT_TRUE(seen.contains(std::string(f.name))) << f.name;
  EXPECT_EQ(seen.size(), prometheus_families().size());
}

// README's "Metrics" table lists every family, with its type.
TEST(PrometheusText, TheReadmeListsEveryFamily) {
  const std::string readme = testing::read_file(SPOOL_README_PATH);
  for (const PrometheusFamily& f : prometheus_families()) {
    const std::string row =
        "| `" + std::string(f.name) + "` | " + std::string(prometheus_type_name(f.type)) + " |";
    EXPECT_NE(readme.find(row), std::string::npos) << row;
  }
}

// The Prometheus Python client's parser (Debian's python3-prometheus-client, in the system
// python3) reads every family with its type and finds the counters' values.
TEST(PrometheusText, ThePrometheusClientParserReadsEveryFamily) {
  testing::TempDir dir;
  const std::string path = dir.sub("metrics.txt");
  testing::write_file(path, prometheus_text(fixed_inputs()));
  const std::string script = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = []
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    families.append({"name": f.name, "type": f.type, "help": f.documentation,
                     "samples": [[s.name, s.labels, s.value] for s in f.samples]})
print(json.dumps(families))
)";
  const testing::ProcessResult result =
      testing::run_process({SPOOL_SYSTEM_PYTHON3, "-c", script, path});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto parsed = nlohmann::json::parse(result.out);

  std::map<std::string, nlohmann::json> by_name;
  for (const auto& f : parsed) {
    EXPECT_TRUE(by_name.emplace(f["name"].get<std::string>(), f).second)
        << f["name"] << " parsed twice";
  }
  ASSERT_EQ(by_name.size(), prometheus_families().size());
  for (const PrometheusFamily& family : prometheus_families()) {
    // The client names a counter family without its _total (its samples keep it).
    std::string name(family.name);
    if (family.type == PrometheusType::kCounter) name = name.substr(0, name.size() - 6);
    ASSERT_TRUE(by_name.contains(name)) << name;
    const auto& f = by_name[name];
    EXPECT_EQ(f["type"], std::string(prometheus_type_name(family.type))) << name;
    EXPECT_EQ(f["help"], std::string(family.help)) << name;
    EXPECT_FALSE(f["samples"].empty()) << name;
  }
  auto value_of = [&](const std::string& family, const std::string& sample,
                      const nlohmann::json& labels) -> double {
    for (const auto& s : by_name.at(family)["samples"]) {
      if (s[0] == sample && s[1] == labels) return s[2].get<double>();
    }
    ADD_FAILURE() << sample << labels.dump() << " not found";
    return -1;
  };
  EXPECT_EQ(value_of("spool_buffer_appended_records", "spool_buffer_appended_records_total",
                     nlohmann::json::object()),
            1000);
  EXPECT_EQ(value_of("spool_buffer_dropped_records", "spool_buffer_dropped_records_total",
                     {{"reason", "queue_full"}}),
            7);
  const nlohmann::json otlp = {{"cursor", "otlp"},
                               {"sink", "https://REDACTED@collector:4318/p?api_key=REDACTED"}};
  EXPECT_EQ(
      value_of("spool_forward_delivered_records", "spool_forward_delivered_records_total", otlp),
      880);
  EXPECT_EQ(value_of("spool_forward_lag_bytes", "spool_forward_lag_bytes", otlp), 8000);
  // The escaped label value comes back as it was.
  EXPECT_EQ(value_of("spool_forward_delivered_records", "spool_forward_delivered_records_total",
                     {{"cursor", "we\"ird\\name\n"}, {"sink", "jsonl"}}),
            0);
  EXPECT_EQ(value_of("spool_buffer_write_batch_records", "spool_buffer_write_batch_records_bucket",
                     {{"le", "+Inf"}}),
            3);
}

}  // namespace
}  // namespace spool::report
