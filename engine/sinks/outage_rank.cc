#include "engine/sinks/outage_rank.h"

namespace spool::engine {

namespace {

int rank(SinkOutage o) noexcept {
  switch (o) {
    case SinkOutage::kNone:
      return 0;
    case SinkOutage::kUnreachable:
      return 1;
    case SinkOutage::kBusy:
      return 2;
    case SinkOutage::kMisconfigured:
      return 3;
    case SinkOutage::kAuth:
      return 4;
  }
  return 0;
}

}  // namespace

SinkOutage worse_outage(SinkOutage a, SinkOutage b) noexcept { return rank(a) >= rank(b) ? a : b; }

}  // namespace spool::engine
