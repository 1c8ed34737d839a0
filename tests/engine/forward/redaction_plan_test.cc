// RedactionPlan: which rule a field or an attribute name gets (exact before prefix, longer
// prefix before shorter, a key's own rule before the field alias that names it).
#include "engine/forward/redaction_plan.h"

#include <gtest/gtest.h>

#include "engine/sinks/otlp/otlp_mapping.h"

namespace spool::engine {
namespace {

std::vector<RedactionRule> rules_of(std::string_view text) {
  auto rules = parse_redaction_rules(text);
  EXPECT_TRUE(rules.is_ok()) << rules.status().to_string();
  return rules.is_ok() ? *rules : std::vector<RedactionRule>{};
}

std::string rule_of(const RedactionPlan& plan, std::string_view name) {
  const RedactionRule* r = plan.attribute(name);
  return r == nullptr ? "none" : redaction_rule_text(*r);
}

TEST(RedactionPlan, FieldsGetTheirRules) {
  const RedactionPlan plan(rules_of("input:hash,tool:truncate=4,body"));
  ASSERT_NE(plan.field(RedactedField::kInput), nullptr);
  EXPECT_EQ(plan.field(RedactedField::kInput)->action, RedactAction::kHash);
  EXPECT_EQ(plan.field(RedactedField::kOutput), nullptr);
  EXPECT_EQ(plan.field(RedactedField::kToolInput)->truncate_bytes, 4u);
  EXPECT_EQ(plan.field(RedactedField::kToolOutput)->truncate_bytes, 4u);
  EXPECT_EQ(plan.field(RedactedField::kBody)->action, RedactAction::kDrop);
  EXPECT_EQ(plan.field(RedactedField::kData), nullptr);
  // A field word is not an attribute key.
  EXPECT_EQ(rule_of(plan, "input"), "none");
  EXPECT_EQ(rule_of(plan, "body"), "none");
}

TEST(RedactionPlan, ExactBeforeLongerPrefixBeforeShorterPrefix) {
  const RedactionPlan plan(rules_of("llm*:truncate=1,llm.prompt:hash,llm.x.*:truncate=2,*"));
  EXPECT_EQ(rule_of(plan, "llm.prompt"), "llm.prompt:hash");
  EXPECT_EQ(rule_of(plan, "llm.x.y"), "llm.x.*:truncate=2");
  EXPECT_EQ(rule_of(plan, "llm.x"), "llm*:truncate=1");
  EXPECT_EQ(rule_of(plan, "llm"), "llm*:truncate=1");
  EXPECT_EQ(rule_of(plan, "other"), "*:drop");
  EXPECT_EQ(rule_of(plan, ""), "*:drop");
  EXPECT_TRUE(plan.has_attribute_rules());
}

TEST(RedactionPlan, FieldsAlsoNameTheAttributesTheyAreSentAs) {
  const RedactionPlan plan(rules_of("input:hash,output,tool:truncate=9"));
  EXPECT_EQ(rule_of(plan, "gen_ai.prompt"), "input:hash");
  EXPECT_EQ(rule_of(plan, "gen_ai.completion"), "output:drop");
  EXPECT_EQ(rule_of(plan, "gen_ai.tool.call.arguments"), "tool:truncate=9");
  EXPECT_EQ(rule_of(plan, "gen_ai.tool.call.result"), "tool:truncate=9");
  EXPECT_EQ(rule_of(plan, "gen_ai.tool.name"), "none");
  EXPECT_TRUE(plan.has_attribute_rules());
  // A rule naming the key itself wins, in either order.
  const RedactionPlan own(rules_of("gen_ai.prompt:truncate=3,input"));
  EXPECT_EQ(rule_of(own, "gen_ai.prompt"), "gen_ai.prompt:truncate=3");
  const RedactionPlan own_after(rules_of("input,gen_ai.prompt:truncate=3"));
  EXPECT_EQ(rule_of(own_after, "gen_ai.prompt"), "gen_ai.prompt:truncate=3");
}

TEST(RedactionPlan, BodyAndDataAloneNeedNoAttributeWalk) {
  EXPECT_FALSE(RedactionPlan(rules_of("body,data")).has_attribute_rules());
  EXPECT_FALSE(RedactionPlan({}).has_attribute_rules());
}

TEST(RedactionPlan, AliasesAreTheKeysTheOtlpSinksSend) {
  EXPECT_EQ(redacted_field_attribute(RedactedField::kInput), otlp_keys::kInput);
  EXPECT_EQ(redacted_field_attribute(RedactedField::kOutput), otlp_keys::kOutput);
  EXPECT_EQ(redacted_field_attribute(RedactedField::kToolInput), otlp_keys::kToolInput);
  EXPECT_EQ(redacted_field_attribute(RedactedField::kToolOutput), otlp_keys::kToolOutput);
}

TEST(RedactionPlan, FieldWords) {
  EXPECT_EQ(fields_named("tool").size(), 2u);
  EXPECT_EQ(fields_named("input").size(), 1u);
  EXPECT_TRUE(fields_named("gen_ai.prompt").empty());
  EXPECT_TRUE(fields_named("Input").empty());
  for (std::size_t i = 0; i < kRedactedFieldCount; ++i) {
    const auto f = static_cast<RedactedField>(i);
    const auto named = fields_named(redacted_field_name(f));
    ASSERT_EQ(named.size(), 1u) << redacted_field_name(f);
    EXPECT_EQ(named[0], f);
  }
}

}  // namespace
}  // namespace spool::engine
