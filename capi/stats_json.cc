#include "capi/stats_json.h"

#include <nlohmann/json.hpp>

namespace spool::capi {
namespace {

using nlohmann::ordered_json;

ordered_json dropped_json(const std::array<std::uint64_t, kDropReasonCount>& dropped) {
  ordered_json j = ordered_json::object();
  for (std::size_t i = 0; i < kDropReasonCount; ++i) j[drop_reason_name(static_cast<DropReason>(i))] = dropped[i];
  return j;
}

ordered_json totals_json(const ForwardTotals& t) {
  ordered_json j;
  j["delivered"] = t.delivered;
  j["dead_lettered"] = t.dead_lettered;
  j["dropped_unforwarded"] = t.dropped_unforwarded;
  j["rejected_unnamed"] = t.rejected_unnamed;
  j["failed"] = t.failed;
  j["retried"] = t.retried;
  j["batches"] = t.batches;
  j["failed_sends"] = t.failed_sends;
  j["bytes_sent"] = t.bytes_sent;
  j["bytes_read"] = t.bytes_read;
  j["last_flush_ns"] = t.last_flush_ns;
  j["last_error_ns"] = t.last_error_ns;
  j["last_error"] = t.last_error;
  return j;
}

std::string text(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

}  // namespace

std::string buffer_stats_json(const BufferStats& s, std::string_view role) {
  ordered_json j;
  j["role"] = role;
  j["appended"] = s.appended;
  j["accepted"] = s.accepted;
  j["written"] = s.written;
  j["dropped_total"] = s.dropped_total();
  j["dropped"] = dropped_json(s.dropped);
  j["queue_depth"] = s.queue_depth;
  j["queue_bytes"] = s.queue_bytes;
  j["queue_budget_bytes"] = s.queue_budget_bytes;
  j["budget_resizes"] = s.budget_resizes;
  j["committed_offset"] = s.committed_offset;
  j["written_end_offset"] = s.written_end_offset;
  j["oldest_unwritten_age_ns"] = s.oldest_unwritten_age_ns;
  j["producers"] = s.producers;
  j["write_batches"] = s.write_batches;
  j["write_errors"] = s.write_errors;
  j["last_write_error"] = s.last_write_error;
  j["log_failed"] = s.log_failed;
  j["syncs"] = s.syncs;
  j["writer_wakeups"] = s.writer_wakeups;
  return text(j);
}

std::string forwarder_stats_json(const ForwarderStats& s) {
  ordered_json j;
  j["cursor"] = s.cursor;
  j["sink"] = s.sink;
  j["cursor_offset"] = s.cursor_offset;
  j["end_offset"] = s.end_offset;
  j["lag"] = {{"records", s.lag.records}, {"bytes", s.lag.bytes}, {"oldest_age_ns", s.lag.oldest_age_ns}};
  j["totals"] = totals_json(s.totals);
  j["session"] = totals_json(s.session);
  j["circuit"] = circuit_state_name(s.circuit);
  j["circuit_opened"] = s.circuit_opened;
  j["online"] = s.online;
  j["batch_records"] = s.batch_records;
  j["pending_retry_records"] = s.pending_retry_records;
  j["failure_rate"] = s.failure_rate;
  j["dead_letters_dropped"] = s.dead_letters_dropped;
  return text(j);
}

}  // namespace spool::capi
