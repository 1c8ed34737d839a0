// The text form of redaction rules: what parses, what each item means, errors that name the
// bad item, and validate()'s refusals (two rules for one thing, hash without a key).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "spool/redaction.h"

namespace spool {
namespace {

std::vector<std::string> texts(const std::vector<RedactionRule>& rules) {
  std::vector<std::string> out;
  for (const RedactionRule& r : rules) out.push_back(redaction_rule_text(r));
  return out;
}

std::string parse_error(std::string_view text) {
  auto rules = parse_redaction_rules(text);
  EXPECT_FALSE(rules.is_ok()) << text << " parsed";
  if (rules.is_ok()) return {};
  EXPECT_EQ(rules.status().code(), StatusCode::kInvalidArgument);
  return rules.status().message();
}

TEST(RedactionRules, ATargetAloneMeansDrop) {
  auto rules = parse_redaction_rules("input");
  ASSERT_TRUE(rules.is_ok()) << rules.status().to_string();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].target, "input");
  EXPECT_EQ((*rules)[0].action, RedactAction::kDrop);
}

TEST(RedactionRules, EveryActionAndTargetForm) {
  auto rules = parse_redaction_rules(
      "input:drop,output:hash,tool:truncate=64,user.email,llm.*:hash,*:truncate=1");
  ASSERT_TRUE(rules.is_ok()) << rules.status().to_string();
  EXPECT_EQ(texts(*rules),
            (std::vector<std::string>{"input:drop", "output:hash", "tool:truncate=64",
                                      "user.email:drop", "llm.*:hash", "*:truncate=1"}));
  EXPECT_EQ((*rules)[2].action, RedactAction::kTruncate);
  EXPECT_EQ((*rules)[2].truncate_bytes, 64u);
}

TEST(RedactionRules, BlanksAroundItemsAndColonsAreIgnored) {
  auto rules = parse_redaction_rules("  input ,\toutput : hash , body: truncate = 8 ");
  ASSERT_TRUE(rules.is_ok()) << rules.status().to_string();
  EXPECT_EQ(texts(*rules),
            (std::vector<std::string>{"input:drop", "output:hash", "body:truncate=8"}));
}

TEST(RedactionRules, TextRoundTrips) {
  auto rules = parse_redaction_rules("a:truncate=2147483647,b:hash,c*");
  ASSERT_TRUE(rules.is_ok());
  std::string joined;
  for (const std::string& t : texts(*rules)) joined += (joined.empty() ? "" : ",") + t;
  auto again = parse_redaction_rules(joined);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(texts(*again), texts(*rules));
}

TEST(RedactionRules, ErrorsNameTheBadItem) {
  EXPECT_EQ(parse_error("input,output:hsh"),
            "item 2 'output:hsh': unknown action 'hsh' (drop, hash or truncate=N)");
  EXPECT_EQ(parse_error("input,,output"), "item 2 is empty");
  EXPECT_EQ(parse_error("input,"), "item 2 is empty");
  EXPECT_EQ(parse_error(""), "no rules (expected FIELD[:ACTION][,...])");
  EXPECT_EQ(parse_error("  "), "no rules (expected FIELD[:ACTION][,...])");
  EXPECT_EQ(parse_error(":hash"), "item 1 ':hash': names no field or attribute");
  EXPECT_EQ(parse_error("a b"), "item 1 'a b': the target has a blank or control character");
  EXPECT_EQ(parse_error("*x"), "item 1 '*x': '*' may only end a key prefix");
  EXPECT_EQ(parse_error("a**"), "item 1 'a**': '*' may only end a key prefix");
  EXPECT_EQ(parse_error("a:hash:drop"),
            "item 1 'a:hash:drop': unknown action 'hash:drop' (drop, hash or truncate=N)");
  for (const char* bad :
       {"x:truncate=0", "x:truncate=", "x:truncate", "x:truncate 5", "x:truncate=-1",
        "x:truncate=12b", "x:truncate=2147483648", "x:truncate=99999999999999999999999"}) {
    EXPECT_NE(parse_error(bad).find("truncate needs a number of bytes from 1 to 2147483647"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(parse_error("x:DROP").find("unknown action 'DROP'"), std::string::npos);
}

TEST(RedactionRules, GarbageIsRefusedOrParsedNeverCrashes) {
  std::mt19937_64 rng(7);
  const std::string alphabet =
      "abz.*:,= \t\x01\x7f\xff"
      "0123456789truncatehashdrop";
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 24, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    auto rules = parse_redaction_rules(text);
    if (!rules.is_ok()) {
      EXPECT_EQ(rules.status().code(), StatusCode::kInvalidArgument);
      EXPECT_FALSE(rules.status().message().empty());
      continue;
    }
    // What parses is well-formed: every rule's text parses back to itself.
    for (const RedactionRule& r : *rules) {
      auto again = parse_redaction_rules(redaction_rule_text(r));
      ASSERT_TRUE(again.is_ok()) << redaction_rule_text(r);
      EXPECT_EQ(texts(*again), std::vector<std::string>{redaction_rule_text(r)});
    }
  }
}

RedactionOptions options_of(std::string_view text, std::string key = {}) {
  auto rules = parse_redaction_rules(text);
  EXPECT_TRUE(rules.is_ok()) << rules.status().to_string();
  RedactionOptions o;
  if (rules.is_ok()) o.rules = std::move(*rules);
  o.hash_key = std::move(key);
  return o;
}

TEST(RedactionRules, ValidateAcceptsDistinctTargets) {
  EXPECT_TRUE(validate(options_of("input,output,tool,body,data,gen_ai.prompt:hash,llm.*,llm.x",
                                  std::string(16, 'k'))));
  EXPECT_TRUE(validate(RedactionOptions{}));  // no rules: nothing to check
}

TEST(RedactionRules, ValidateRefusesTwoRulesForOneThing) {
  Status s = validate(options_of("input,output:truncate=3,input:hash", std::string(16, 'k')));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "rule 'input:hash' names input, which rule 'input:drop' names too");
  s = validate(options_of("tool,tool_output:truncate=5"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "rule 'tool_output:truncate=5' names tool_output, which rule 'tool:drop' names too");
  EXPECT_FALSE(validate(options_of("llm.*,llm.*:truncate=2")));
  EXPECT_FALSE(validate(options_of("user.id,user.id")));
}

TEST(RedactionRules, HashNeedsAKeyOfSixteenBytes) {
  Status s = validate(options_of("output:hash"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "rule 'output:hash' hashes, which needs a key of at least 16 bytes (none is set)");
  s = validate(options_of("output:hash", std::string(15, 'k')));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "rule 'output:hash' hashes, which needs a key of at least 16 bytes");
  EXPECT_TRUE(validate(options_of("output:hash", std::string(16, 'k'))));
  EXPECT_TRUE(validate(options_of("output:drop")));  // no key needed
}

TEST(RedactionRules, ValidateChecksRulesBuiltInCode) {
  RedactionOptions o;
  o.rules = {RedactionRule{"a,b", RedactAction::kDrop, 0}};
  EXPECT_FALSE(validate(o));
  o.rules = {RedactionRule{"", RedactAction::kDrop, 0}};
  EXPECT_FALSE(validate(o));
  o.rules = {RedactionRule{"x", RedactAction::kTruncate, 0}};
  EXPECT_FALSE(validate(o));
  o.rules = {RedactionRule{"x", RedactAction::kTruncate, 1}};
  EXPECT_TRUE(validate(o));
  o.zstd_level = 0;
  EXPECT_FALSE(validate(o));
}

}  // namespace
}  // namespace spool
