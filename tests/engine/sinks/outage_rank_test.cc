// worse_outage: which of two outages a sink reports for one batch.
#include "engine/sinks/outage_rank.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

TEST(OutageRank, TheMostSpecificOutageWinsInEitherOrder) {
  const SinkOutage ascending[] = {SinkOutage::kNone, SinkOutage::kUnreachable, SinkOutage::kBusy,
                                  SinkOutage::kMisconfigured, SinkOutage::kAuth};
  for (std::size_t i = 0; i < std::size(ascending); ++i) {
    EXPECT_EQ(worse_outage(ascending[i], ascending[i]), ascending[i]);
    for (std::size_t j = i + 1; j < std::size(ascending); ++j) {
      EXPECT_EQ(worse_outage(ascending[i], ascending[j]), ascending[j]) << i << " " << j;
      EXPECT_EQ(worse_outage(ascending[j], ascending[i]), ascending[j]) << i << " " << j;
    }
  }
}

}  // namespace
}  // namespace spool::engine
