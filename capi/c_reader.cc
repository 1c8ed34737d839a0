// The reading functions of include/spool/spool.h over spool::Reader: a selection struct
// into a ReadSelection, every record handed to the caller's visitor as views valid for the call.
#include <limits>
#include <memory>
#include <string>

#include "capi/c_status.h"
#include "spool/reader.h"
#include "spool/spool.h"

struct spool_reader {
  std::unique_ptr<spool::Reader> reader;
};

namespace spool::capi {
namespace {

spool_stored_record c_record_of(const StoredRecord& r) {
  spool_stored_record c{};
  c.offset = r.offset;
  c.timestamp_ns = r.timestamp_ns;
  c.kind = static_cast<int>(r.kind);
  c.priority = static_cast<int>(r.priority);
  c.payload = r.payload.data();
  c.payload_len = r.payload.size();
  c.record_type = spool_str{r.record_type.data(), r.record_type.size()};
  c.data = r.data.data();
  c.data_len = r.data.size();
  return c;
}

ReadSelection selection_of(const spool_read_selection& c) {
  ReadSelection s;
  s.from_offset = c.from_offset;
  s.until_offset = c.until_offset;
  if (c.from_ns != std::numeric_limits<std::int64_t>::min()) s.from_ns = c.from_ns;
  if (c.until_ns != std::numeric_limits<std::int64_t>::max()) s.until_ns = c.until_ns;
  if (c.kind >= 0) s.kinds = {static_cast<RecordKind>(c.kind)};
  if (c.record_type.len > 0) s.record_types = {std::string(c.record_type.data, c.record_type.len)};
  return s;
}

}  // namespace
}  // namespace spool::capi

using spool::capi::guarded;
using spool::capi::invalid;
using spool::capi::report;

extern "C" {

spool_status spool_reader_open(const char* dir, spool_reader** out) {
  return guarded("spool_reader_open", [&] {
    if (dir == nullptr || out == nullptr)
      return invalid("spool_reader_open: dir and out must not be NULL");
    *out = nullptr;
    auto opened = spool::Reader::open(dir);
    if (!opened) return report(opened.status());
    *out = new spool_reader{std::move(opened.value())};
    return SPOOL_OK;
  });
}

void spool_reader_close(spool_reader* reader) { delete reader; }

void spool_read_selection_init(spool_read_selection* selection) {
  if (selection == nullptr) return;
  *selection = spool_read_selection{};
  selection->until_offset = std::numeric_limits<std::uint64_t>::max();
  selection->from_ns = std::numeric_limits<std::int64_t>::min();
  selection->until_ns = std::numeric_limits<std::int64_t>::max();
  selection->kind = -1;
}

spool_status spool_reader_scan(spool_reader* reader, const spool_read_selection* selection,
                               spool_record_visitor visit, void* context) {
  return guarded("spool_reader_scan", [&] {
    if (reader == nullptr || selection == nullptr || visit == nullptr) {
      return invalid("spool_reader_scan: reader, selection and visit must not be NULL");
    }
    if (selection->record_type.len > 0 && selection->record_type.data == nullptr) {
      return invalid("spool_reader_scan: record_type has a length but no data");
    }
    auto scan = reader->reader->scan(spool::capi::selection_of(*selection));
    if (!scan) return report(scan.status());
    spool::StoredRecord r;
    while (scan->next(&r)) {
      const spool_stored_record c = spool::capi::c_record_of(r);
      if (visit(&c, context) != 0) return SPOOL_OK;
    }
    return report(scan->status());
  });
}

spool_status spool_reader_latest(spool_reader* reader, spool_str record_type,
                                 spool_record_visitor visit, void* context) {
  return guarded("spool_reader_latest", [&] {
    if (reader == nullptr || visit == nullptr ||
        (record_type.len > 0 && record_type.data == nullptr)) {
      return invalid("spool_reader_latest: reader and visit must not be NULL");
    }
    auto latest = reader->reader->latest(std::string_view(record_type.data, record_type.len));
    if (!latest) return report(latest.status());
    const spool_stored_record c = spool::capi::c_record_of(*latest);
    (void)visit(&c, context);
    return SPOOL_OK;
  });
}

}  // extern "C"
