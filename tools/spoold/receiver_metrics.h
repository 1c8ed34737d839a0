// The OTLP receiver's counters in the Prometheus text format (families spool_otlp_*, label
// signal="traces|logs|metrics"), appended by spoold to report/prometheus_text's families.
#pragma once

#include <string>

#include "tools/spoold/otlp_http_receiver.h"

namespace spool::tools {

std::string receiver_prometheus_text(const OtlpReceiverStats& stats);

}  // namespace spool::tools
