// The one table of what an HTTP status means for the records (engine/sinks/otlp/http_answer_class.h).
#include "engine/sinks/otlp/http_answer_class.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

TEST(HttpAnswerClass, EveryStatusHasOneMeaning) {
  EXPECT_EQ(classify_http_status(200), HttpAnswerClass::kDelivered);
  EXPECT_EQ(classify_http_status(204), HttpAnswerClass::kDelivered);
  for (long s : {429L, 502L, 503L, 504L}) EXPECT_EQ(classify_http_status(s), HttpAnswerClass::kBusy) << s;
  for (long s : {401L, 403L, 407L}) EXPECT_EQ(classify_http_status(s), HttpAnswerClass::kAuth) << s;
  for (long s : {301L, 302L, 307L, 404L, 405L}) {
    EXPECT_EQ(classify_http_status(s), HttpAnswerClass::kMisconfigured) << s;
  }
  EXPECT_EQ(classify_http_status(413), HttpAnswerClass::kTooLarge);
  for (long s : {408L, 500L, 501L, 505L, 599L, 100L}) {
    EXPECT_EQ(classify_http_status(s), HttpAnswerClass::kServerError) << s;
  }
  for (long s : {400L, 409L, 415L, 422L}) EXPECT_EQ(classify_http_status(s), HttpAnswerClass::kRefused) << s;
}

TEST(HttpAnswerClass, OutagesAndTheServerErrorOption) {
  EXPECT_EQ(outage_of(HttpAnswerClass::kAuth, false), SinkOutage::kAuth);
  EXPECT_EQ(outage_of(HttpAnswerClass::kMisconfigured, false), SinkOutage::kMisconfigured);
  EXPECT_EQ(outage_of(HttpAnswerClass::kBusy, false), SinkOutage::kBusy);
  EXPECT_EQ(outage_of(HttpAnswerClass::kServerError, false), SinkOutage::kNone);
  EXPECT_EQ(outage_of(HttpAnswerClass::kServerError, true), SinkOutage::kBusy);
  EXPECT_EQ(outage_of(HttpAnswerClass::kRefused, true), SinkOutage::kNone);
  EXPECT_EQ(outage_of(HttpAnswerClass::kTooLarge, true), SinkOutage::kNone);
}

}  // namespace
}  // namespace spool::engine
