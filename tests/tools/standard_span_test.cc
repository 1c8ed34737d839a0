// The standard span generator and its JSON line (tools/standard_span.h).
#include "tools/standard_span.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

namespace spool::tools {
namespace {

using nlohmann::json;

bool is_words(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || (c >= 'a' && c <= 'z'); });
}

bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36 || s[14] != '4') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

TEST(StandardSpanSet, SameSeedSameSpansOtherSeedOtherSpans) {
  const StandardSpanSet a(500, 7), b(500, 7), c(500, 8);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(span_to_json(a.spans()[i]), span_to_json(b.spans()[i])) << i;
  }
  EXPECT_NE(span_to_json(a.spans()[0]), span_to_json(c.spans()[0]));
  EXPECT_NE(a.spans()[0].trace_id, c.spans()[0].trace_id);
}

TEST(StandardSpanSet, FieldsAreInTheirRanges) {
  const StandardSpanSet set(StandardSpanSet::kPoolSize);
  ASSERT_EQ(set.size(), StandardSpanSet::kPoolSize);
  std::size_t errors = 0;
  std::set<std::string> trace_ids;
  for (const Span& s : set.spans()) {
    EXPECT_TRUE(s.trace_id.valid() && s.span_id.valid() && s.parent_span_id.valid());
    trace_ids.insert(s.trace_id.hex());
    EXPECT_EQ(s.name, "llm-call");
    EXPECT_EQ(s.type, SpanType::kGeneration);
    EXPECT_EQ(s.component_type, "reasoning");
    EXPECT_EQ(s.model, "gpt-4");
    const std::int64_t duration = s.end_ns - s.start_ns;
    EXPECT_GE(duration, 1'000'000);
    EXPECT_LE(duration, 2'000'000'000);
    EXPECT_GE(s.input_tokens, 1);
    EXPECT_LE(s.input_tokens, 4096);
    EXPECT_GE(s.output_tokens, 1);
    EXPECT_LE(s.output_tokens, 4096);
    EXPECT_EQ(s.input.size(), 256u);
    EXPECT_EQ(s.output.size(), 256u);
    EXPECT_TRUE(is_words(s.input) && is_words(s.output));
    if (s.status == SpanStatus::kError) {
      ++errors;
      EXPECT_EQ(s.status_message.size(), 40u);
      EXPECT_TRUE(is_words(s.status_message));
    } else {
      EXPECT_EQ(s.status, SpanStatus::kOk);
      EXPECT_TRUE(s.status_message.empty());
    }
    ASSERT_EQ(s.attributes.size(), 4u);
    EXPECT_EQ(s.attributes[0].key, "env");
    EXPECT_EQ(s.attributes[0].string_value, "production");
    EXPECT_EQ(s.attributes[1].key, "service");
    EXPECT_EQ(s.attributes[1].string_value, "inference-gw");
    EXPECT_EQ(s.attributes[2].key, "region");
    EXPECT_EQ(s.attributes[2].string_value, "edge-eu-1");
    EXPECT_EQ(s.attributes[3].key, "request_id");
    EXPECT_TRUE(is_uuid_v4(s.attributes[3].string_value)) << s.attributes[3].string_value;
  }
  EXPECT_EQ(trace_ids.size(), set.size());
  // 1 in 50 of 4096 is ~82; the bounds are many standard deviations wide.
  EXPECT_GT(errors, 30u);
  EXPECT_LT(errors, 160u);
}

TEST(StandardSpanSet, CyclesThroughThePoolAndSurvivesAMove) {
  StandardSpanSet moved(3);
  const std::string first = span_to_json(moved.cyclic(0));
  const StandardSpanSet set = std::move(moved);
  EXPECT_EQ(&set.cyclic(4), &set.spans()[1]);
  EXPECT_EQ(span_to_json(set.cyclic(3)), first);
  EXPECT_THROW(StandardSpanSet(0), std::invalid_argument);
}

TEST(SpanToJson, IsValidJsonOfAbout900BytesWithTheSpansFields) {
  const StandardSpanSet set(1000);
  std::size_t total = 0;
  for (const Span& s : set.spans()) {
    const std::string line = span_to_json(s);
    total += line.size();
    EXPECT_GE(line.size(), 850u);
    EXPECT_LE(line.size(), 1100u);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const json j = json::parse(line);
    EXPECT_EQ(j.at("trace_id"), s.trace_id.hex());
    EXPECT_EQ(j.at("span_id"), s.span_id.hex());
    EXPECT_EQ(j.at("parent_span_id"), s.parent_span_id.hex());
    EXPECT_EQ(j.at("name"), "llm-call");
    EXPECT_EQ(j.at("type"), "generation");
    EXPECT_EQ(j.at("start_ns"), s.start_ns);
    EXPECT_EQ(j.at("end_ns"), s.end_ns);
    EXPECT_EQ(j.at("status"), s.status == SpanStatus::kError ? "error" : "ok");
    EXPECT_EQ(j.at("input"), s.input);
    EXPECT_EQ(j.at("output"), s.output);
    EXPECT_EQ(j.at("input_tokens"), s.input_tokens);
    EXPECT_EQ(j.at("attributes").at("request_id"), s.attributes[3].string_value);
  }
  const std::size_t average = total / set.size();
  EXPECT_GE(average, 900u);
  EXPECT_LE(average, 1050u);
}

TEST(SpanToJson, EscapesAnyTextAndWritesEveryAttributeType) {
  const Attribute attributes[] = {Attribute::integer("n", -3), Attribute::floating("x", 0.5),
                                  Attribute::boolean("b", true),
                                  Attribute::string("q\"k", std::string_view("a\\b\n\x01", 5))};
  const SpanEvent events[] = {{"retry", 42, attributes}};
  Span s;
  s.name = "say \"hi\"\t";
  s.status = SpanStatus::kError;
  s.status_message = "line1\r\nline2";
  s.tool_name = "search";
  s.attributes = attributes;
  s.events = events;
  const std::string line = span_to_json(s);
  const json j = json::parse(line);
  EXPECT_FALSE(j.contains("parent_span_id"));  // a root span
  EXPECT_EQ(j.at("name"), "say \"hi\"\t");
  EXPECT_EQ(j.at("status_message"), "line1\r\nline2");
  EXPECT_EQ(j.at("tool_name"), "search");
  EXPECT_EQ(j.at("attributes").at("n"), -3);
  EXPECT_EQ(j.at("attributes").at("x"), 0.5);
  EXPECT_EQ(j.at("attributes").at("b"), true);
  EXPECT_EQ(j.at("attributes").at("q\"k"), std::string("a\\b\n\x01", 5));
  EXPECT_EQ(j.at("events").at(0).at("time_ns"), 42);

  std::string reused = "prefix";
  append_span_json(reused, s);
  EXPECT_EQ(reused, "prefix" + line);
}

}  // namespace
}  // namespace spool::tools
