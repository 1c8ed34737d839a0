// Display names of record types. Type 0 is raw bytes by convention of the frame format;
// other types get a name once the schemas that define them exist.
#pragma once

#include <cstdint>
#include <string>

namespace spool::tools {

inline std::string record_type_name(std::uint16_t type) {
  if (type == 0) return "raw";
  return "type-" + std::to_string(type);
}

}  // namespace spool::tools
