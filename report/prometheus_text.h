#pragma once
#include <span>
#include <string>
#include "spool/buffer_stats.h"
#include "spool/forwarder_stats.h"
#include "spool/health.h"
namespace spool::report {
struct PrometheusForwarder { std::string cursor; std::string sink; ForwarderStats stats; };
std::string prometheus_text(const BufferStats& buffer, std::span<const PrometheusForwarder> forwarders, const HealthReport* health);
}
