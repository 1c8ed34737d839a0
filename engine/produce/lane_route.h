// LaneRoute: which lane a record is appended to, compiled once from Options::lanes
// (include/spool/lane_options.h explains the route terms and their precedence).
//
// Compiled into a table of kind x priority -> lane, plus a short list of record types
// consulted only for kRecord records while some lane routes by type: routing an append is
// two array reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spool/lane_options.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

class LaneRoute {
 public:
  // Lane 0 is the default lane; lane i (i >= 1) is lanes[i - 1]. InvalidArgument naming the
  // lane and the term for a term that does not parse, and both lanes for two lanes that
  // claim the same records at the same rank.
  static Result<LaneRoute> compile(const std::vector<LaneOptions>& lanes);

  // Every record to the default lane.
  LaneRoute() = default;

  // The lane of a record. `type_tag` counts only for kRecord and only while
  // routes_by_type(); kinds this version does not know go to the default lane.
  std::size_t lane_of(RecordKind kind, Priority priority,
                      std::string_view type_tag = {}) const noexcept;
  // True when some lane routes by record type, so that kRecord appends need their tag.
  bool routes_by_type() const noexcept { return !types_.empty(); }

 private:
  static constexpr std::size_t kKinds = 5;       // RecordKind kRawFrame .. kRecord
  static constexpr std::size_t kPriorities = 4;  // Priority kLow .. kCritical
  std::array<std::array<std::uint8_t, kPriorities>, kKinds> table_{};
  std::vector<std::pair<std::string, std::uint8_t>> types_;
};

}  // namespace spool::engine
