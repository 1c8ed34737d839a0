// Lanes for tests: a LaneOptions with only a name and a route (everything else inherited).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "spool/lane_options.h"

namespace spool::testing {

inline LaneOptions lane(std::string name, std::vector<std::string> route) {
  LaneOptions o;
  o.name = std::move(name);
  o.route = std::move(route);
  return o;
}

}  // namespace spool::testing
