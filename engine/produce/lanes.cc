// include/spool/lanes.h over engine/produce/lane_settings.
#include "spool/lanes.h"

#include <algorithm>

#include "engine/produce/lane_record.h"
#include "engine/produce/lane_settings.h"

namespace spool {

std::vector<std::string> list_lanes(const std::string& dir) {
  std::vector<std::string> names{std::string(kDefaultLane)};
  for (std::string& name : engine::lanes_on_disk(dir)) names.push_back(std::move(name));
  return names;
}

Result<std::string> find_lane_directory(const std::string& dir, std::string_view lane) {
  const std::vector<std::string> names = list_lanes(dir);
  if (std::find(names.begin(), names.end(), lane) != names.end())
    return engine::lane_directory(dir, lane);
  return engine::no_such_lane(dir, lane, names);
}

Result<std::optional<LaneOptions>> recorded_lane(const std::string& dir, std::string_view lane) {
  auto lane_dir = find_lane_directory(dir, lane);
  if (!lane_dir) return lane_dir.status();
  if (lane == kDefaultLane) return std::optional<LaneOptions>();
  return engine::read_lane_record(*lane_dir);
}

}  // namespace spool
