#include "support/seq_records.h"

#include <cstring>

#include "segment/segment_log.h"
#include "spool/record_encoder.h"
#include "spool/records_generated.h"

namespace spool::testing {

namespace {

EncodedRecord encode_seq(std::uint32_t producer, std::uint64_t seq, std::size_t padding, Priority priority) {
  thread_local RecordEncoder encoder;
  thread_local std::vector<std::uint8_t> data;
  data.assign(12 + padding, 0xab);
  std::memcpy(data.data(), &producer, 4);
  std::memcpy(data.data() + 4, &seq, 8);
  RawRecord record;
  record.type_tag = "seq";
  record.data = data;
  record.priority = priority;
  return encoder.encode(record);
}

}  // namespace

Status append_seq(Buffer& buffer, std::uint32_t producer, std::uint64_t seq, std::size_t padding,
                  Priority priority) {
  return buffer.append(encode_seq(producer, seq, padding, priority));
}

Status append_seq(engine::BufferCore& core, std::uint32_t producer, std::uint64_t seq, std::size_t padding,
                  Priority priority) {
  EncodedRecord e = encode_seq(producer, seq, padding, priority);
  return core.append(e.kind, e.priority, e.bytes);
}

std::vector<SeqRecord> read_seq_records(const std::string& dir) {
  std::vector<SeqRecord> out;
  auto log = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
  if (!log) return out;
  segment::LogReader reader = (*log)->scan((*log)->first_offset());
  segment::RecordView view;
  while (reader.next(&view)) {
    if (view.type != static_cast<std::uint16_t>(RecordKind::kRecord)) continue;
    const auto* record = flatbuffers::GetRoot<fb::Record>(view.payload.data());
    if (record->type_tag() == nullptr || record->type_tag()->str() != "seq") continue;
    if (record->data() == nullptr || record->data()->size() < 12) continue;
    SeqRecord r;
    std::memcpy(&r.producer, record->data()->data(), 4);
    std::memcpy(&r.seq, record->data()->data() + 4, 8);
    r.priority = priority_from_flags(view.flags);
    out.push_back(r);
  }
  return out;
}

}  // namespace spool::testing
