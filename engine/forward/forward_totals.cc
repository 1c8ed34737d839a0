// ForwardTotals: their sum and their text codec (format in forward_totals.h).
#include "engine/forward/forward_totals.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace spool::engine {

namespace {

// Every numeric field with its key, in the order of ForwardTotals.
template <typename Totals, typename Visit>
void for_each_number(Totals& t, Visit visit) {
  visit("delivered", t.delivered);
  visit("dead_lettered", t.dead_lettered);
  visit("dropped_unforwarded", t.dropped_unforwarded);
  visit("not_selected", t.not_selected);
  visit("rejected_unnamed", t.rejected_unnamed);
  visit("failed", t.failed);
  visit("retried", t.retried);
  visit("batches", t.batches);
  visit("failed_sends", t.failed_sends);
  visit("bytes_sent", t.bytes_sent);
  visit("bytes_read", t.bytes_read);
  visit("throttled_sends", t.throttled_sends);
  visit("throttled_ns", t.throttled_ns);
  visit("last_flush_ns", t.last_flush_ns);
  visit("last_error_ns", t.last_error_ns);
}

// The same for the budget's figures (after last_error).
template <typename Usage, typename Visit>
void for_each_bandwidth_number(Usage& u, Visit visit) {
  visit("bandwidth_rate_limit_bytes_per_s", u.rate_limit_bytes_per_s);
  visit("bandwidth_daily_cap_bytes", u.daily_cap_bytes);
  visit("bandwidth_critical_reserve_bytes", u.critical_reserve_bytes);
  visit("bandwidth_day", u.day);
  visit("bandwidth_spent_bytes", u.spent_bytes);
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxPersistedErrorBytes)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i + 1] == 'n' ? '\n' : s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

void add_totals(ForwardTotals* into, const ForwardTotals& add) {
  into->delivered += add.delivered;
  into->dead_lettered += add.dead_lettered;
  into->dropped_unforwarded += add.dropped_unforwarded;
  into->not_selected += add.not_selected;
  into->rejected_unnamed += add.rejected_unnamed;
  into->failed += add.failed;
  into->retried += add.retried;
  into->batches += add.batches;
  into->failed_sends += add.failed_sends;
  into->bytes_sent += add.bytes_sent;
  into->bytes_read += add.bytes_read;
  into->throttled_sends += add.throttled_sends;
  into->throttled_ns += add.throttled_ns;
  into->last_flush_ns = std::max(into->last_flush_ns, add.last_flush_ns);
  if (add.last_error_ns > into->last_error_ns) {
    into->last_error_ns = add.last_error_ns;
    into->last_error = add.last_error;
  }
}

std::string encode_forward_state(const ForwardTotals& totals, const BandwidthUsage& bandwidth) {
  std::string out;
  auto line = [&out](const char* key, auto value) {
    out += key;
    out += '=';
    out += std::to_string(value);
    out += '\n';
  };
  for_each_number(totals, line);
  out += "last_error=" + escape(totals.last_error) + "\n";
  // Absent while all are zero (a cursor no forwarder has run on yet).
  const bool any = bandwidth.rate_limit_bytes_per_s != 0 || bandwidth.daily_cap_bytes != 0 ||
                   bandwidth.day != 0 || bandwidth.spent_bytes != 0;
  if (any) for_each_bandwidth_number(bandwidth, line);
  return out;
}

Result<ForwardState> decode_forward_state(std::string_view text) {
  ForwardState state;
  ForwardTotals& totals = state.totals;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::corruption("forwarding totals: line without '=': " + std::string(line.substr(0, 64)));
    }
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "last_error") {
      totals.last_error = unescape(value);
      continue;
    }
    bool bad = false;
    auto parse = [&](const char* name, auto& field) {
      if (key != name) return;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), field);
      bad = ec != std::errc() || ptr != value.data() + value.size();
    };
    for_each_number(totals, parse);
    for_each_bandwidth_number(state.bandwidth, parse);
    if (bad) return Status::corruption("forwarding totals: bad number for " + std::string(key));
  }
  return state;
}

std::string encode_settled_ahead(std::span<const OffsetRun> runs) {
  if (runs.empty()) return {};
  std::string out = "settled_ahead=";
  for (const OffsetRun& run : runs) {
    std::string item = std::to_string(run.first) + "+" + std::to_string(run.size()) + " ";
    if (out.size() + item.size() + 1 > kMaxPersistedSettledBytes) break;  // the rest: sent again after a restart
    out += item;
  }
  out.back() = '\n';
  return out;
}

Result<std::vector<OffsetRun>> decode_settled_ahead(std::string_view text) {
  std::vector<OffsetRun> runs;
  constexpr std::string_view kKey = "settled_ahead=";
  std::size_t at = text.rfind(std::string("\n").append(kKey));
  if (at != std::string_view::npos) {
    at += 1;
  } else if (text.substr(0, kKey.size()) == kKey) {
    at = 0;
  } else {
    return runs;
  }
  std::string_view line = text.substr(at + kKey.size());
  line = line.substr(0, line.find('\n'));
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    const std::string_view item = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (item.empty()) continue;
    const std::size_t plus = item.find('+');
    std::uint64_t first = 0, count = 0;
    bool ok = plus != std::string_view::npos;
    if (ok) {
      auto [p1, e1] = std::from_chars(item.data(), item.data() + plus, first);
      auto [p2, e2] = std::from_chars(item.data() + plus + 1, item.data() + item.size(), count);
      ok = e1 == std::errc() && p1 == item.data() + plus && e2 == std::errc() && p2 == item.data() + item.size() &&
           count > 0 && first + count > first;
    }
    if (!ok) return Status::corruption("forwarding state: bad settled_ahead run '" + std::string(item.substr(0, 64)) + "'");
    runs.push_back(OffsetRun{first, first + count});
  }
  return runs;
}

}  // namespace spool::engine
