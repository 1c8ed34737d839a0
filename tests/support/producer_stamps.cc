#include "support/producer_stamps.h"

#include <flatbuffers/flatbuffers.h>

#include <string_view>

#include "segment/segment_log.h"
#include "spool/record_verify.h"
#include "spool/records.h"
#include "spool/records_generated.h"

namespace spool::testing {

namespace {

void read_stamp(const fb::Span& span, StampedSpan* out) {
  if (span.attributes() == nullptr) return;
  for (const fb::Attribute* a : *span.attributes()) {
    if (a->key() == nullptr) continue;
    const std::string_view key(a->key()->data(), a->key()->size());
    if (key == "producer" && a->string_value() != nullptr) {
      out->producer.assign(a->string_value()->data(), a->string_value()->size());
    } else if (key == "seq") {
      out->seq = a->int_value();
    }
  }
}

}  // namespace

std::vector<StampedSpan> read_stamped_spans(const std::string& dir) {
  std::vector<StampedSpan> out;
  auto log = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
  if (!log) return out;
  segment::LogReader reader = (*log)->scan((*log)->first_offset());
  segment::RecordView view;
  while (reader.next(&view)) {
    StampedSpan stamped;
    stamped.offset = view.offset;
    if (view.type == static_cast<std::uint16_t>(RecordKind::kSpan) &&
        verify_encoded(RecordKind::kSpan, view.payload).is_ok()) {
      read_stamp(*flatbuffers::GetRoot<fb::Span>(view.payload.data()), &stamped);
    }
    out.push_back(std::move(stamped));
  }
  return out;
}

StampCheck check_stamps(const std::vector<StampedSpan>& spans) {
  StampCheck check;
  std::map<std::string, std::int64_t> next_seq;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i > 0 && spans[i].offset != spans[i - 1].offset + 1) check.offsets_gap_free = false;
    const StampedSpan& s = spans[i];
    if (s.producer.empty() || s.seq < 0) {
      ++check.unstamped;
      continue;
    }
    ++check.count[s.producer];
    std::int64_t& expected = next_seq[s.producer];
    if (s.seq != expected && check.not_a_prefix.size() < 20) {
      check.not_a_prefix.push_back(s.producer + ": seq " + std::to_string(s.seq) + " at offset " +
                                   std::to_string(s.offset) + ", expected " + std::to_string(expected));
    }
    expected = s.seq + 1;
  }
  return check;
}

}  // namespace spool::testing
