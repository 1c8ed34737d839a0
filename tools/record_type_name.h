// Display names of record types (frame types) and priorities (frame flags), as spoolctl
// prints them. Type 0 is raw bytes by convention of the frame format; 1-4 are the
// FlatBuffers records of records.fbs (RecordKind).
#pragma once

#include <cstdint>
#include <string>

#include "spool/record_verify.h"
#include "spool/records.h"

namespace spool::tools {

inline std::string record_type_name(std::uint16_t type) {
  const auto kind = static_cast<RecordKind>(type);
  if (type <= static_cast<std::uint16_t>(RecordKind::kRecord)) {
    return std::string(record_kind_name(kind));
  }
  return "type-" + std::to_string(type);
}


}  // namespace spool::tools
