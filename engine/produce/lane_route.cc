#include "engine/produce/lane_route.h"

#include <algorithm>
#include <optional>

#include "spool/record_verify.h"

namespace spool::engine {

namespace {

// How specific a term is: a record is routed by its most specific matching term.
enum class Rank : std::uint8_t {
  kNone = 0,
  kAnyKindPriority = 1,
  kKind = 2,
  kKindPriority = 3,
  kType = 4
};

std::optional<RecordKind> kind_named(std::string_view name) {
  for (std::uint16_t k = 0; k <= static_cast<std::uint16_t>(RecordKind::kRecord); ++k) {
    if (record_kind_name(static_cast<RecordKind>(k)) == name) return static_cast<RecordKind>(k);
  }
  return std::nullopt;
}

std::optional<Priority> priority_named(std::string_view name) {
  for (std::uint8_t p = 0; p <= static_cast<std::uint8_t>(Priority::kCritical); ++p) {
    if (priority_name(static_cast<Priority>(p)) == name) return static_cast<Priority>(p);
  }
  return std::nullopt;
}

// One parsed term: the cells (kind x priority) it claims, or the record type it names.
struct Term {
  Rank rank = Rank::kNone;
  std::string type;                            // kType
  std::array<std::array<bool, 4>, 5> cells{};  // the others
};

Result<Term> parse_term(std::string_view text) {
  constexpr std::string_view kTypePrefix = "record:";
  Term term;
  if (text.substr(0, kTypePrefix.size()) == kTypePrefix) {
    term.rank = Rank::kType;
    term.type = std::string(text.substr(kTypePrefix.size()));
    if (term.type.empty())
      return Status::invalid_argument("record: needs a record type (record:TYPE)");
    return term;
  }
  const std::size_t at = text.find('@');
  const std::string_view kind_text = text.substr(0, at);
  std::optional<RecordKind> kind;
  if (kind_text != "*") {
    kind = kind_named(kind_text);
    if (!kind)
      return Status::invalid_argument("unknown kind '" + std::string(kind_text) +
                                      "' (span, log, metric, record, raw or *)");
  }
  std::uint8_t lowest = 0, highest = 3;
  if (at != std::string_view::npos) {
    std::string_view priority_text = text.substr(at + 1);
    const bool and_above = !priority_text.empty() && priority_text.back() == '+';
    if (and_above) priority_text.remove_suffix(1);
    const std::optional<Priority> priority = priority_named(priority_text);
    if (!priority)
      return Status::invalid_argument("unknown priority '" + std::string(priority_text) +
                                      "' (low, normal, high, critical)");
    lowest = static_cast<std::uint8_t>(*priority);
    highest = and_above ? 3 : lowest;
  } else if (!kind) {
    return Status::invalid_argument(
        "'*' needs a priority (*@P or *@P+): every other record goes to the default lane");
  }
  term.rank = !kind                          ? Rank::kAnyKindPriority
              : at == std::string_view::npos ? Rank::kKind
                                             : Rank::kKindPriority;
  for (std::size_t k = 0; k < term.cells.size(); ++k) {
    if (kind && k != static_cast<std::size_t>(*kind)) continue;
    for (std::uint8_t p = lowest; p <= highest; ++p) term.cells[k][p] = true;
  }
  return term;
}

std::string cell_name(std::size_t kind, std::size_t priority) {
  return std::string(record_kind_name(static_cast<RecordKind>(kind))) + "@" +
         std::string(priority_name(static_cast<Priority>(priority)));
}

Status conflict(const LaneOptions& a, const LaneOptions& b, const std::string& what) {
  return Status::invalid_argument("lanes '" + a.name + "' and '" + b.name + "' both route " + what +
                                  " at the same rank: make one route more specific");
}

}  // namespace

Result<LaneRoute> LaneRoute::compile(const std::vector<LaneOptions>& lanes) {
  LaneRoute route;
  struct Claim {
    Rank rank = Rank::kNone;
    std::size_t lane = 0;
  };
  std::array<std::array<Claim, kPriorities>, kKinds> claims{};
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const LaneOptions& lane = lanes[i];
    const auto index = static_cast<std::uint8_t>(i + 1);
    if (lane.route.empty())
      return Status::invalid_argument("lane '" + lane.name +
                                      "': route is empty (at least one term)");
    for (const std::string& text : lane.route) {
      auto term = parse_term(text);
      if (!term)
        return Status::invalid_argument("lane '" + lane.name + "': route term '" + text +
                                        "': " + term.status().message());
      if (term->rank == Rank::kType) {
        auto same = std::find_if(route.types_.begin(), route.types_.end(),
                                 [&](const auto& entry) { return entry.first == term->type; });
        if (same == route.types_.end()) {
          route.types_.emplace_back(term->type, index);
        } else if (same->second != index) {
          return conflict(lanes[same->second - 1], lane, "record:" + term->type);
        }
        continue;
      }
      for (std::size_t k = 0; k < kKinds; ++k) {
        for (std::size_t p = 0; p < kPriorities; ++p) {
          if (!term->cells[k][p]) continue;
          Claim& claim = claims[k][p];
          if (claim.rank == term->rank && claim.lane != index) {
            return conflict(lanes[claim.lane - 1], lane, cell_name(k, p));
          }
          if (claim.rank < term->rank) claim = {term->rank, index};
        }
      }
    }
  }
  for (std::size_t k = 0; k < kKinds; ++k) {
    for (std::size_t p = 0; p < kPriorities; ++p)
      route.table_[k][p] = static_cast<std::uint8_t>(claims[k][p].lane);
  }
  return route;
}

std::size_t LaneRoute::lane_of(RecordKind kind, Priority priority,
                               std::string_view type_tag) const noexcept {
  const auto k = static_cast<std::size_t>(kind);
  if (k >= kKinds) return 0;
  if (kind == RecordKind::kRecord && !types_.empty()) {
    for (const auto& [type, lane] : types_) {
      if (type == type_tag) return lane;
    }
  }
  return table_[k][static_cast<std::size_t>(priority) & (kPriorities - 1)];
}

}  // namespace spool::engine
