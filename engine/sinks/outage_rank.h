// Of two outages of one batch (two requests, two messages), the one a sink reports: the
// most specific, because it is the one a person can act on. Credentials refused (kAuth)
// beats a wrong address (kMisconfigured), which beats a receiver pushing back (kBusy),
// which beats no answer at all (kUnreachable); any outage beats kNone.
#pragma once

#include "spool/sink.h"

namespace spool::engine {

SinkOutage worse_outage(SinkOutage a, SinkOutage b) noexcept;

}  // namespace spool::engine
