// A record read from the log (segment::RecordView) as the public StoredRecord.
#pragma once

#include <string_view>

#include "segment/segment_log.h"
#include "spool/reader.h"

namespace spool::engine {

// Fills `out` from `view`, moving the view's hold on its segment into it. For kind kRecord,
// decodes the type tag and data when the payload verifies (left empty when it does not).
void to_stored_record(segment::RecordView&& view, StoredRecord* out);

// The type tag of a kRecord payload; empty for another kind or a payload that does not
// verify. Points into `payload`.
std::string_view record_type_of(std::uint16_t frame_type, std::span<const std::uint8_t> payload);

}  // namespace spool::engine
