#include "engine/read/stored_record.h"

#include <flatbuffers/flatbuffers.h>

#include "engine/record/record_type_tag.h"
#include "spool/record_verify.h"
#include "spool/records_generated.h"

namespace spool::engine {

namespace {

// The Record table of a kRecord payload, or null (another kind, or bytes that do not verify:
// the accessors must never touch unverified bytes).
const fb::Record* record_table(std::uint16_t frame_type, std::span<const std::uint8_t> payload) {
  if (frame_type != static_cast<std::uint16_t>(RecordKind::kRecord)) return nullptr;
  if (!verify_encoded(RecordKind::kRecord, payload)) return nullptr;
  return flatbuffers::GetRoot<fb::Record>(payload.data());
}

}  // namespace

std::string_view record_type_of(std::uint16_t frame_type, std::span<const std::uint8_t> payload) {
  if (frame_type != static_cast<std::uint16_t>(RecordKind::kRecord)) return {};
  return record_type_tag(payload);
}

void to_stored_record(segment::RecordView&& view, StoredRecord* out) {
  out->offset = view.offset;
  out->timestamp_ns = view.timestamp_ns;
  out->kind = static_cast<RecordKind>(view.type);
  out->priority = priority_from_flags(view.flags);
  out->payload = view.payload;
  out->record_type = {};
  out->data = {};
  if (const fb::Record* record = record_table(view.type, view.payload)) {
    const flatbuffers::String* tag = record->type_tag();
    if (tag != nullptr) out->record_type = std::string_view(tag->data(), tag->size());
    if (const flatbuffers::Vector<std::uint8_t>* data = record->data()) {
      out->data = std::span<const std::uint8_t>(data->data(), data->size());
    }
  }
  // The mapping is what keeps the bytes readable; the segment object is not needed for that.
  out->hold = std::move(view.mapping);
}

}  // namespace spool::engine
