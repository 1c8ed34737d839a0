// spoolctl produce DIR [--spans N] [--threads T] [--policy P] [--durability D] [--priority P]
//
// Load generator and end-to-end measurement of spool::Buffer with the standard span
// (../shared/WORKLOAD.md): the spans are generated before timing; T threads append N spans
// between them, each append timed; the clock stops when flush() returns (every span is in
// the log, synced in batch mode); then shutdown(). One JSON object on stdout says how it went.
//
// Several `produce` processes may run on one directory at once: the first holds the log
// ("role": "writer"), the others attach and append through shared rings ("role":
// "attached"); when the writer goes away an attached one takes over. So that order and
// completeness can be checked from `dump`, every span carries two attributes: `producer`
// (unique per process and thread: p<pid>.<process start>.t<thread>) and `seq` (0, 1, 2, ...
// per producer, counting acknowledged appends: a span the buffer did not take is retried
// under the same seq by the next append, so a producer's acknowledged spans are exactly seq
// 0 .. acknowledged-1).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "spool/buffer.h"
#include "tools/buffer_option_names.h"
#include "tools/cli_numbers.h"
#include "tools/commands/commands.h"
#include "tools/disk_usage.h"
#include "tools/exit_codes.h"
#include "tools/lane_spec.h"
#include "tools/log_directory.h"
#include "tools/report_json.h"
#include "tools/standard_span.h"
#include "tools/timed_producers.h"

namespace spool::tools {

namespace {

constexpr std::string_view kName = "produce";
constexpr std::uint64_t kMaxThreads = 1024;

struct ProduceArgs {
  std::string dir;
  std::uint64_t spans = 1'000'000;  // the standard 1p run
  std::uint64_t threads = 1;
  // Block by default (not the library's drop_newest): a load generator is asked to put N
  // spans in the log, and every drop would make the log hold fewer than asked.
  FullPolicy policy = FullPolicy::kBlock;
  Durability durability = Durability::kNone;
  Priority priority = Priority::kNormal;
  std::vector<std::string> lanes;  // --lane SPEC (tools/lane_spec.h)
};

// One producer thread's stamp: its id and next seq, and the span copy it hands to append().
struct ProducerStamp {
  std::string id;
  std::int64_t next_seq = 0;  // acknowledged appends so far
  Span span;
  std::array<Attribute, 16> attributes;
};

const char* role_name(Role role) { return role == Role::kWriter ? "writer" : "attached"; }

int run_produce(const ProduceArgs& args) {
  if (args.spans == 0) return report_error(kName, "--spans must be at least 1");
  if (args.threads == 0 || args.threads > kMaxThreads) {
    return report_error(kName, "--threads must be between 1 and " + std::to_string(kMaxThreads));
  }
  Status s = require_creatable_log_dir(args.dir);
  if (!s) return report_error(kName, s);

  // Untimed: the spans, then the buffer (recovery, writer thread start).
  const StandardSpanSet spans(std::min<std::uint64_t>(args.spans, StandardSpanSet::kPoolSize));
  Options options;
  auto existing = existing_log_options(args.dir);
  if (!existing) return report_error(kName, existing.status());
  options.log = *existing;  // an existing log keeps its settings
  options.full_policy = args.policy;
  // kBlock waits as long as it takes: a load generator is asked to put N spans in the log,
  // also while many producers share one writer or another process takes over the log.
  options.block_timeout_ms = 600'000;
  options.log.durability = args.durability;
  for (const std::string& spec : args.lanes) {
    auto lane = parse_lane_spec(spec);
    if (!lane) return report_error(kName, "--lane: " + lane.status().message());
    options.lanes.push_back(std::move(*lane));
  }
  auto opened = Buffer::open(args.dir, options);
  if (!opened) return report_error(kName, opened.status());
  Buffer& buffer = **opened;

  const Role role_at_open = buffer.role();

  ProducerPlan plan;
  plan.threads = static_cast<unsigned>(args.threads);
  plan.spans = args.spans;
  // Unique per process even across pid reuse: the pid and this process's start time.
  const std::string process_id = "p" + std::to_string(::getpid()) + "." +
                                 std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count());
  std::vector<ProducerStamp> stamps(plan.threads);
  for (unsigned t = 0; t < plan.threads; ++t) stamps[t].id = process_id + ".t" + std::to_string(t);
  // Which stamp the calling thread uses: set by prepare(), read by append() on the same thread.
  static thread_local ProducerStamp* current = nullptr;
  auto prepare = [&](unsigned t, std::uint64_t, const Span& base) -> const Span& {
    ProducerStamp& stamp = stamps[t];
    current = &stamp;
    stamp.span = base;
    stamp.span.priority = args.priority;
    const std::size_t n = std::min(base.attributes.size(), stamp.attributes.size() - 2);
    std::copy_n(base.attributes.begin(), n, stamp.attributes.begin());
    stamp.attributes[n] = Attribute::string("producer", stamp.id);
    stamp.attributes[n + 1] = Attribute::integer("seq", stamp.next_seq);
    stamp.span.attributes = std::span<const Attribute>(stamp.attributes.data(), n + 2);
    return stamp.span;
  };
  Status flushed;
  const ProducerRun run = run_timed_producers(
      spans, plan,
      [&](const Span& span) {
        const bool ok = buffer.append(span).is_ok();
        if (ok) ++current->next_seq;
        return ok;
      },
      [&] { flushed = buffer.flush(); }, prepare);
  if (!flushed) return report_error(kName, "flush: " + flushed.to_string());
  const BufferStats stats = buffer.stats();
  const Role role_at_end = buffer.role();
  const std::uint64_t committed = buffer.committed_offset();
  Status closed = buffer.shutdown();
  if (!closed) return report_error(kName, "shutdown: " + closed.to_string());
  opened->reset();  // the log's files are final before they are measured
  auto usage = disk_usage(args.dir);
  if (!usage) return report_error(kName, usage.status());

  const std::uint64_t accepted = args.spans - run.not_queued;
  nlohmann::ordered_json j;
  j["role"] = role_name(role_at_open);
  j["spans"] = args.spans;
  j["threads"] = args.threads;
  j["policy"] = name_of(full_policy_names(), args.policy);
  j["durability"] = name_of(durability_names(), args.durability);
  j["priority"] = name_of(priority_names(), args.priority);
  j["seconds"] = run.seconds;
  // Spans that append() accepted, per second from the first append until flush() returned.
  j["spans_per_s"] = run.seconds > 0 ? static_cast<double>(accepted) / run.seconds : 0.0;
  j["p50_ns"] = run.latency.p50_ns;
  j["p99_ns"] = run.latency.p99_ns;
  j["p999_ns"] = run.latency.p999_ns;
  j["max_ns"] = run.latency.max_ns;
  j["not_queued"] = run.not_queued;
  j["dropped"] = stats.dropped_total();
  j["dropped_by_reason"] = dropped_by_reason_json(stats.dropped);
  j["appended"] = stats.appended;
  j["written"] = stats.written;
  j["committed_offset"] = committed;
  // The writer at the end (an attached producer takes over when the writer goes away).
  j["role_at_end"] = role_name(role_at_end);
  nlohmann::ordered_json producers = nlohmann::ordered_json::array();
  for (const ProducerStamp& stamp : stamps) {
    producers.push_back({{"producer", stamp.id}, {"acknowledged", stamp.next_seq}});
  }
  j["producers"] = std::move(producers);
  // Allocated blocks of the whole directory (disk_usage.h); per record in the log.
  j["bytes_on_disk"] = usage->allocated_bytes;
  j["bytes_per_span"] =
      committed > 0 ? static_cast<double>(usage->allocated_bytes) / static_cast<double>(committed)
                    : 0.0;
  std::printf("%s\n", j.dump().c_str());
  if (std::fflush(stdout) != 0) return report_error(kName, "cannot write to standard output");
  return kExitOk;
}

}  // namespace

Command add_produce_command(CLI::App& app) {
  auto args = std::make_shared<ProduceArgs>();
  CLI::App* cmd = app.add_subcommand(
      std::string(kName),
      "Append standard spans through spool::Buffer from T threads and report throughput, "
      "append latency and disk use as JSON");
  cmd->add_option("DIR", args->dir, "Log directory (created if missing; its parent must exist)")
      ->required();
  cmd->add_option("--spans", args->spans, "Spans to append in total (default 1000000)")
      ->transform(decimal_u64_validator())
      ->type_name("N");
  cmd->add_option("--threads", args->threads,
                  "Producer threads; each appends N/T spans, the remainder spread (default 1)")
      ->transform(decimal_u64_validator())
      ->type_name("T");
  cmd->add_option("--policy", args->policy,
                  "Full-queue policy (default: block)")
      ->transform(one_of_names(full_policy_names()))
      ->type_name("POLICY");
  cmd->add_option("--durability", args->durability,
                  "Log durability (default: none)")
      ->transform(one_of_names(durability_names()))
      ->type_name("MODE");
  cmd->add_option("--priority", args->priority,
                  "Priority of every span: low, normal (default), high or critical (forwarders "
                  "deliver higher priorities first)")
      ->transform(one_of_names(priority_names()))
      ->type_name("P");
  cmd->add_option("--lane", args->lanes,
                  "Declare a lane (repeatable): NAME=TERM[,TERM...][;KEY=VALUE...], e.g. "
                  "spans=span;policy=block or logs=log;max_bytes=16MiB;policy=drop_oldest; spans "
                  "go to the lane whose route takes them")
      ->type_name("SPEC");
  cmd->footer(
      "Output: one JSON object with role (writer or attached, at open), spans, threads, policy, durability, priority, seconds, spans_per_s, "
      "p50_ns, p99_ns, p999_ns, max_ns (per append), not_queued, dropped, dropped_by_reason, "
      "appended, written, committed_offset, bytes_on_disk (allocated blocks of DIR after "
      "shutdown), bytes_per_span, role_at_end, and producers (per producer thread: its id and how many "
      "spans were acknowledged). Every span carries the attributes producer and seq (0, 1, 2, ... "
      "per producer, over acknowledged spans).\n"
      "Exit status: 0 on success, 2 on error or bad usage.");
  return {cmd, [args] { return run_produce(*args); }};
}

}  // namespace spool::tools
