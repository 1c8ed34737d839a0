#include "engine/record/record_type_tag.h"

#include <flatbuffers/flatbuffers.h>

#include "spool/record_verify.h"
#include "spool/records_generated.h"

namespace spool::engine {

std::string_view record_type_tag(std::span<const std::uint8_t> payload) {
  if (!verify_encoded(RecordKind::kRecord, payload).is_ok()) return {};
  return verified_record_type_tag(payload);
}

std::string_view verified_record_type_tag(std::span<const std::uint8_t> payload) {
  const flatbuffers::String* tag = flatbuffers::GetRoot<fb::Record>(payload.data())->type_tag();
  return tag == nullptr ? std::string_view() : std::string_view(tag->data(), tag->size());
}

}  // namespace spool::engine
