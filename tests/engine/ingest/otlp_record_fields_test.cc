// What both request decoders share: ids from bytes and hex, the rules that reject spans, links
// and log records, and the priority of received records.
#include "engine/ingest/otlp_record_fields.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

TEST(OtlpRecordFieldsTest, ReceivedIds) {
  ReceivedId id;
  id.set_hex("0aFF");
  EXPECT_FALSE(id.not_hex);
  EXPECT_EQ(id.size, 2u);
  EXPECT_EQ(id.bytes[0], 0x0a);
  EXPECT_EQ(id.bytes[1], 0xff);
  id.set_hex("abc");
  EXPECT_TRUE(id.not_hex);
  id.set_hex("0g");
  EXPECT_TRUE(id.not_hex);
  id.set_hex(std::string(64, 'a'));  // longer than any id: size kept, bytes not
  EXPECT_FALSE(id.not_hex);
  EXPECT_EQ(id.size, 32u);
  id.set_bytes(std::string(8, '\0'));
  EXPECT_TRUE(id.all_zero());
  EXPECT_EQ(id_problem("span_id", id, 8, false, false), "span_id is all zero");
  EXPECT_EQ(id_problem("span_id", id, 8, false, true), "");
  id.set_bytes("");
  EXPECT_EQ(id_problem("trace_id", id, 16, true, false), "");
  EXPECT_EQ(id_problem("trace_id", id, 16, false, false), "trace_id is 0 bytes, want 16");
  id.set_hex("zz");
  EXPECT_EQ(id_problem("trace_id", id, 16, true, false), "trace_id is not hex");
}

TEST(OtlpRecordFieldsTest, Problems) {
  SpanFields s;
  s.trace_id.set_bytes(std::string(16, '\1'));
  s.span_id.set_bytes(std::string(8, '\1'));
  EXPECT_EQ(span_problem(s), "");
  s.parent_span_id.set_bytes(std::string(8, '\0'));  // an all-zero parent means none
  EXPECT_EQ(span_problem(s), "");
  s.parent_span_id.set_bytes(std::string(4, '\1'));
  EXPECT_EQ(span_problem(s), "parent_span_id is 4 bytes, want 8");
  LinkFields l;
  EXPECT_EQ(link_problem(l), "link trace_id is 0 bytes, want 16");
  LogFields log;
  EXPECT_EQ(log_problem(log), "");
  log.trace_id.set_bytes("x");
  EXPECT_EQ(log_problem(log), "trace_id is 1 bytes, want 16");
}

TEST(OtlpRecordFieldsTest, Priorities) {
  SpanFields s;
  EXPECT_EQ(span_priority(s), Priority::kNormal);
  s.status_code = 1;
  EXPECT_EQ(span_priority(s), Priority::kNormal);
  s.status_code = 2;
  EXPECT_EQ(span_priority(s), Priority::kHigh);
  LogFields l;
  const std::pair<int, Priority> cases[] = {{0, Priority::kNormal},   {16, Priority::kNormal},
                                            {17, Priority::kHigh},    {20, Priority::kHigh},
                                            {21, Priority::kCritical}, {24, Priority::kCritical},
                                            {-3, Priority::kNormal}};
  for (const auto& [severity, priority] : cases) {
    l.severity_number = severity;
    EXPECT_EQ(log_priority(l), priority) << severity;
  }
}

}  // namespace
}  // namespace spool::engine
