#include "engine/forward/record_selection.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

#include "spool/record_verify.h"
#include "spool/records_generated.h"

namespace spool::engine {

namespace {

bool contains_kind(const std::vector<RecordKind>& kinds, RecordKind kind) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

std::string lower(std::string_view text) {
  std::string s(text);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool record_selected(const SelectOptions& select, RecordKind kind, Priority priority,
                     std::span<const std::uint8_t> payload) {
  if (priority < select.min_priority) return false;
  if (!select.kinds.empty() && !contains_kind(select.kinds, kind)) return false;
  const bool by_type = kind == RecordKind::kRecord && !select.record_types.empty();
  const bool by_severity = kind == RecordKind::kLog && select.min_severity > 0;
  if (!by_type && !by_severity) return true;
  if (!verify_encoded(kind, payload).is_ok()) return true;
  if (by_type) {
    const auto* record = flatbuffers::GetRoot<fb::Record>(payload.data());
    const std::string_view tag =
        record->type_tag() == nullptr ? std::string_view{} : record->type_tag()->string_view();
    return std::find(select.record_types.begin(), select.record_types.end(), tag) !=
           select.record_types.end();
  }
  const auto* log = flatbuffers::GetRoot<fb::LogRecord>(payload.data());
  return log->severity_number() >= select.min_severity;
}

Status parse_select_list(std::string_view text, SelectOptions* select) {
  static constexpr std::array<std::pair<std::string_view, RecordKind>, 5> kKinds{{
      {"span", RecordKind::kSpan},
      {"log", RecordKind::kLog},
      {"metric", RecordKind::kMetric},
      {"record", RecordKind::kRecord},
      {"raw", RecordKind::kRawFrame},
  }};
  if (trim(text).empty())
    return Status::invalid_argument("empty selection: name kinds, e.g. span,log");
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item =
        trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    std::string_view kind_name = item;
    std::string_view type;
    if (const std::size_t colon = item.find(':'); colon != std::string_view::npos) {
      kind_name = item.substr(0, colon);
      type = item.substr(colon + 1);
      if (lower(kind_name) != "record" || type.empty()) {
        return Status::invalid_argument(
            "'" + std::string(item) + "': a type is selected as record:TYPE (e.g. record:action)");
      }
    }
    const auto it = std::find_if(kKinds.begin(), kKinds.end(),
                                 [&](const auto& k) { return k.first == lower(kind_name); });
    if (it == kKinds.end()) {
      return Status::invalid_argument(
          "'" + std::string(item) + "' is not one of span, log, metric, record, raw, record:TYPE");
    }
    if (!contains_kind(select->kinds, it->second)) select->kinds.push_back(it->second);
    if (!type.empty()) select->record_types.emplace_back(type);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::ok();
}

Result<Priority> parse_priority(std::string_view name) {
  const std::string n = lower(trim(name));
  for (Priority p : {Priority::kLow, Priority::kNormal, Priority::kHigh, Priority::kCritical}) {
    if (n == priority_name(p)) return p;
  }
  return Status::invalid_argument("'" + std::string(name) +
                                  "' is not one of low, normal, high, critical");
}

Result<std::int32_t> parse_severity(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::int32_t>, 7> kNames{{
      {"trace", 1},
      {"debug", 5},
      {"info", 9},
      {"warn", 13},
      {"warning", 13},
      {"error", 17},
      {"fatal", 21},
  }};
  const std::string t = lower(trim(text));
  for (const auto& [name, number] : kNames) {
    if (t == name) return number;
  }
  std::int32_t n = -1;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec == std::errc() && end == t.data() + t.size() && !t.empty() && n >= 0 && n <= 24) return n;
  return Status::invalid_argument(
      "'" + std::string(text) +
      "' is not a severity: trace, debug, info, warn, error, fatal or 0..24");
}

Status apply_order_and_selection(const OrderSelectionText& text, ForwarderOptions* options) {
  if (!text.order.empty()) {
    const std::string order = lower(trim(text.order));
    if (order == "offset") {
      options->order.by_priority = false;
    } else if (order == "oldest" || order == "newest") {
      options->order.within =
          order == "newest" ? WithinPriority::kNewestFirst : WithinPriority::kOldestFirst;
    } else {
      return Status::invalid_argument("order: '" + text.order +
                                      "' is not one of oldest, newest, offset");
    }
  }
  if (!text.min_priority.empty()) {
    auto p = parse_priority(text.min_priority);
    if (!p) return Status::invalid_argument("min_priority: " + p.status().message());
    options->select.min_priority = *p;
  }
  if (!text.min_severity.empty()) {
    auto n = parse_severity(text.min_severity);
    if (!n) return Status::invalid_argument("min_severity: " + n.status().message());
    options->select.min_severity = *n;
  }
  for (const std::string& list : text.select) {
    if (Status s = parse_select_list(list, &options->select); !s) {
      return Status::invalid_argument("select: " + s.message());
    }
  }
  return Status::ok();
}

}  // namespace spool::engine
