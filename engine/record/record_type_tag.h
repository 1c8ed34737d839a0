// The type_tag of a RecordKind::kRecord payload (records.fbs, table Record), read in place.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace spool::engine {

// The tag, pointing into `payload`; empty when the record has none or when `payload` is not a
// valid Record table (it is verified first: the accessors never touch unverified bytes).
std::string_view record_type_tag(std::span<const std::uint8_t> payload);
// The same for a payload the caller has just verified as a Record table (verify_encoded):
// no second verifier pass.
std::string_view verified_record_type_tag(std::span<const std::uint8_t> payload);

}  // namespace spool::engine
