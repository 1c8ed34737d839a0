// Buffer and Forwarder counters as JSON text for the C API (and the bindings above it). The
// field names are those of the C++ structs (include/spool/buffer_stats.h, forwarder_stats.h).
#pragma once

#include <string>

#include "spool/buffer_stats.h"
#include "spool/forwarder_stats.h"

namespace spool::capi {

std::string buffer_stats_json(const BufferStats& stats, std::string_view role);
std::string forwarder_stats_json(const ForwarderStats& stats);

}  // namespace spool::capi
