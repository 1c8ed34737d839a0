// The C record structs (spool_span, spool_log, spool_metric) as spool's C++ views. Nothing is
// copied but the attribute arrays, into scratch vectors the calling thread reuses: an append
// through the C API allocates only while a thread's largest record so far grows.
//
// ABI: a caller compiled against an older spool.h passes a smaller struct_size; the fields
// past it keep their defaults (the struct is copied into a fully initialized one first).
#pragma once

#include <vector>

#include "spool/records.h"
#include "spool/spool.h"
#include "spool/status.h"

namespace spool::capi {

// A C priority (0 low .. 3 critical) as spool's; outside that range `error` is set and
// kNormal is returned.
Priority priority_of(int priority, Status* error);

class RecordViews {
 public:
  // `out` views `in` (and this object's scratch arrays) until the next call on this object.
  Status span(const spool_span* in, Span* out);
  Status log(const spool_log* in, LogRecord* out);
  Status metric(const spool_metric* in, Metric* out);

  // The calling thread's RecordViews.
  static RecordViews& for_this_thread();

 private:
  std::span<const Attribute> attributes(const spool_attribute* in, std::size_t count, Status* error);

  std::vector<Attribute> attributes_;  // every attribute of the record, events' included
  std::vector<SpanEvent> events_;
};

}  // namespace spool::capi
