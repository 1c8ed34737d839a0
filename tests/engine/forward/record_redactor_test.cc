// RecordRedactor: each action on each kind of field (span fields, log bodies, Record data,
// attributes of every type, nested lists and arrays, events, links, resource, scope), UTF-8
// safe truncation, records no rule touches and raw frames passed as they are, payloads that
// are not tables withheld; every redacted copy verifies and, seen through spoolctl dump's
// JSON, equals the original but for what the rules changed.
#include "engine/forward/record_redactor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "spool/record_encoder.h"
#include "spool/record_verify.h"
#include "spool/records_generated.h"
#include "support/otlp_records.h"
#include "tools/record_json.h"

namespace spool::engine {
namespace {

using flatbuffers::Offset;
using Fbb = flatbuffers::FlatBufferBuilder;
using json = nlohmann::ordered_json;
using Outcome = RecordRedactor::Outcome;
using Attributes = std::vector<Offset<fb::Attribute>>;

constexpr std::string_view kKey = "0123456789abcdef-redaction-key";

// The text the hash action writes for `value` under kKey.
std::string hashed(std::string_view value) {
  auto h = HmacSha256::create(kKey);
  std::string out;
  EXPECT_TRUE(h.is_ok() && h->text(value, &out));
  return out;
}

// 8-byte aligned bytes, as payloads are in the log.
struct Aligned {
  std::vector<std::uint64_t> words;
  std::size_t size = 0;
  explicit Aligned(std::span<const std::uint8_t> bytes)
      : words((bytes.size() + 7) / 8), size(bytes.size()) {
    if (size != 0) std::memcpy(words.data(), bytes.data(), size);
  }
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(words.data()), size};
  }
};

// One rule set, its plan, key and redactor; run() keeps the last redacted copy.
class Redaction {
 public:
  explicit Redaction(std::string_view rules_text) : rules_(parse(rules_text)), plan_(rules_) {
    auto h = HmacSha256::create(kKey);
    EXPECT_TRUE(h.is_ok());
    hash_.emplace(std::move(*h));
    redactor_ = std::make_unique<RecordRedactor>(plan_, &*hash_);
  }

  Outcome run(RecordKind kind, std::span<const std::uint8_t> payload) {
    const Outcome outcome = redactor_->redact(kind, payload);
    if (outcome == Outcome::kRedacted) {
      out_.emplace(redactor_->redacted());
      // The copy is a valid table of the same kind (once aligned like the log's payloads).
      const Status verified = verify_encoded(kind, out_->bytes());
      EXPECT_TRUE(verified) << verified.to_string();
    }
    return outcome;
  }
  std::span<const std::uint8_t> out() const { return out_->bytes(); }
  // Runs, expects a redacted copy, and returns it as spoolctl dump's JSON (null otherwise).
  nlohmann::ordered_json redacted_json(RecordKind kind, std::span<const std::uint8_t> payload);

 private:
  static std::vector<RedactionRule> parse(std::string_view text) {
    auto rules = parse_redaction_rules(text);
    EXPECT_TRUE(rules.is_ok()) << rules.status().to_string();
    RedactionOptions o;
    if (rules.is_ok()) o.rules = *rules;
    o.hash_key = std::string(kKey);
    EXPECT_TRUE(validate(o));
    return o.rules;
  }

  std::vector<RedactionRule> rules_;
  RedactionPlan plan_;
  std::optional<HmacSha256> hash_;
  std::unique_ptr<RecordRedactor> redactor_;
  std::optional<Aligned> out_;
};

json json_of(RecordKind kind, std::span<const std::uint8_t> bytes) {
  const Aligned aligned(bytes);
  auto j = tools::record_to_json(static_cast<std::uint16_t>(kind), aligned.bytes());
  EXPECT_TRUE(j.is_ok()) << j.status().to_string();
  return j.is_ok() ? *j : json();
}

nlohmann::ordered_json Redaction::redacted_json(RecordKind kind,
                                                std::span<const std::uint8_t> payload) {
  const Outcome outcome = run(kind, payload);
  EXPECT_EQ(outcome, Outcome::kRedacted);
  return outcome == Outcome::kRedacted ? json_of(kind, out()) : json();
}

// ---- records ---------------------------------------------------------------------------

struct EncodedSpan {
  RecordEncoder encoder;
  std::vector<std::uint8_t> bytes;
};

// A generation span as producers write it: the four text fields and scalar attributes.
std::vector<std::uint8_t> producer_span() {
  const Attribute attributes[] = {
      Attribute::string("user.email", "ann@example.com"),
      Attribute::integer("llm.tokens", 42),
      Attribute::floating("llm.temperature", 2.5),
      Attribute::boolean("llm.cached", true),
      Attribute::string("env", "prod"),
  };
  const Attribute event_attributes[] = {Attribute::string("user.email", "bob@example.com"),
                                        Attribute::string("kept", "yes")};
  const SpanEvent events[] = {SpanEvent{"retry", 1500, event_attributes}};
  Span s;
  s.trace_id.bytes.fill(0x11);
  s.span_id.bytes.fill(0x22);
  s.parent_span_id.bytes.fill(0x33);
  s.name = "llm.call";
  s.type = SpanType::kGeneration;
  s.component_type = "openai";
  s.start_ns = 1000;
  s.end_ns = 5000;
  s.status = SpanStatus::kError;
  s.status_message = "rate limited";
  s.attributes = attributes;
  s.model = "gpt-x";
  s.input = "What is the secret prompt?";
  s.output = "The secret completion.";
  s.input_tokens = 7;
  s.output_tokens = 5;
  s.tool_name = "search";
  s.tool_input = "{\"q\": \"héllo wörld\"}";
  s.tool_output = "[1, 2, 3]";
  s.events = events;
  RecordEncoder encoder;
  const EncodedRecord r = encoder.encode(s);
  return {r.bytes.begin(), r.bytes.end()};
}

Offset<fb::Attribute> kv(Fbb& fbb, const char* key, const Attributes& entries) {
  return fb::CreateAttributeDirect(fbb, key, fb::AttributeType::KvList, nullptr, 0, 0, false,
                                   nullptr, &entries);
}
Offset<fb::Attribute> array(Fbb& fbb, const char* key, const Attributes& elements) {
  return fb::CreateAttributeDirect(fbb, key, fb::AttributeType::Array, nullptr, 0, 0, false,
                                   nullptr, &elements);
}
Offset<fb::Attribute> text(Fbb& fbb, const char* key, const char* value) {
  return fb::CreateAttributeDirect(fbb, key, fb::AttributeType::String, value);
}
Offset<fb::Attribute> bytes_attribute(Fbb& fbb, const char* key,
                                      const std::vector<std::uint8_t>& value) {
  return fb::CreateAttributeDirect(fbb, key, fb::AttributeType::Bytes, nullptr, 0, 0, false,
                                   &value);
}

// A span as spoold stores one received over OTLP: nested attributes, gen_ai.prompt as an
// attribute, links, resource, scope, every OTLP field set.
std::vector<std::uint8_t> received_span() {
  Fbb fbb;
  const std::vector<std::uint8_t> raw = {0x00, 0x01, 0xfe, 0xff, 0x42};
  const Attributes messages = {
      kv(fbb, "", {text(fbb, "role", "user"), text(fbb, "content", "secret message one")}),
      kv(fbb, "", {text(fbb, "role", "assistant"), text(fbb, "content", "secret message two")}),
  };
  const Attributes attributes = {
      text(fbb, "gen_ai.prompt", "received secret prompt"),
      kv(fbb, "llm",
         {text(fbb, "prompt", "nested secret"), text(fbb, "model", "gpt-x"),
          fb::CreateAttributeDirect(fbb, "n", fb::AttributeType::Int, nullptr, 3)}),
      text(fbb, "llm.prompt", "flat secret"),
      array(fbb, "msgs", messages),
      bytes_attribute(fbb, "blob", raw),
      testing::nested_attribute(fbb),
      fb::CreateAttributeDirect(fbb, "nothing", fb::AttributeType::Empty),
  };
  const auto attrs = fbb.CreateVector(attributes);
  const Attributes link_attributes = {text(fbb, "user.email", "link@example.com"),
                                      text(fbb, "kept", "1")};
  const fb::TraceId link_trace(
      flatbuffers::span<const std::uint8_t, 16>(std::array<std::uint8_t, 16>{9, 9}));
  const fb::SpanId link_span(
      flatbuffers::span<const std::uint8_t, 8>(std::array<std::uint8_t, 8>{8, 8}));
  const std::vector<Offset<fb::SpanLink>> links = {
      fb::CreateSpanLinkDirect(fbb, &link_trace, &link_span, "k=v", &link_attributes, 2, 1)};
  const auto links_offset = fbb.CreateVector(links);
  const auto resource = testing::build_resource(
      fbb, {.has = true,
            .attributes = {{"host.name", "edge-1"}, {"user.email", "res@example.com"}},
            .dropped_attributes_count = 1,
            .schema_url = "https://schema/r"});
  const auto scope = testing::build_scope(fbb, {.has = true,
                                                .name = "lib",
                                                .version = "1.2",
                                                .attributes = {{"user.email", "scope@example.com"}},
                                                .dropped_attributes_count = 3,
                                                .schema_url = "https://schema/s"});
  const auto name = fbb.CreateString("received");
  const auto state = fbb.CreateString("vendor=x");
  const auto message = fbb.CreateString("");  // present but empty
  const fb::TraceId trace(
      flatbuffers::span<const std::uint8_t, 16>(std::array<std::uint8_t, 16>{1, 2, 3}));
  const fb::SpanId span(
      flatbuffers::span<const std::uint8_t, 8>(std::array<std::uint8_t, 8>{4, 5, 6}));
  fb::SpanBuilder b(fbb);
  b.add_trace_id(&trace);
  b.add_span_id(&span);
  b.add_name(name);
  b.add_start_ns(10);
  b.add_end_ns(20);
  b.add_duration_ns(10);
  b.add_status(fb::SpanStatus::Ok);
  b.add_status_message(message);
  b.add_attributes(attrs);
  b.add_kind(3);
  b.add_trace_state(state);
  b.add_flags(0x301);
  b.add_links(links_offset);
  b.add_dropped_attributes_count(4);
  b.add_dropped_events_count(5);
  b.add_dropped_links_count(6);
  b.add_resource(resource);
  b.add_scope(scope);
  fbb.Finish(b.Finish());
  return testing::bytes_of(fbb);
}

// The attribute with `key` in a JSON attribute list (null when none).
json* find_attribute(json& list, std::string_view key) {
  for (json& a : list)
    if (a.value("key", "") == key) return &a;
  return nullptr;
}

void erase_attribute(json& list, std::string_view key) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->value("key", "") == key) {
      list.erase(it);
      return;
    }
  }
  ADD_FAILURE() << "no attribute " << key;
}

void set_string(json& attribute, const std::string& value) {
  attribute["type"] = "string";
  attribute.erase("value_b64");
  attribute["value"] = value;
}

// ---- tests -----------------------------------------------------------------------------

TEST(RecordRedactor, SpanFieldsDropHashAndTruncate) {
  const std::vector<std::uint8_t> span = producer_span();
  Redaction r("input,output:hash,tool_input:truncate=9");
  ASSERT_EQ(r.run(RecordKind::kSpan, span), Outcome::kRedacted);
  const auto* s = flatbuffers::GetRoot<fb::Span>(r.out().data());
  EXPECT_EQ(s->input(), nullptr);  // dropped, not emptied
  json want = json_of(RecordKind::kSpan, span);
  want["input"] = "";
  want["output"] = hashed("The secret completion.");
  want["tool_input"] = "{\"q\": \"h";  // 9 bytes would end inside "é": 8
  EXPECT_EQ(json_of(RecordKind::kSpan, r.out()), want);
}

TEST(RecordRedactor, TruncationNeverSplitsAUtf8Character) {
  const std::vector<std::uint8_t> span = producer_span();  // tool_input {"q": "héllo wörld"}
  for (std::uint32_t n = 1; n <= 24; ++n) {
    Redaction r("tool_input:truncate=" + std::to_string(n));
    ASSERT_EQ(r.run(RecordKind::kSpan, span), Outcome::kRedacted);
    const std::string cut = flatbuffers::GetRoot<fb::Span>(r.out().data())->tool_input()->str();
    const std::string whole = "{\"q\": \"h\xc3\xa9llo w\xc3\xb6rld\"}";
    EXPECT_LE(cut.size(), n);
    EXPECT_GE(cut.size() + 1,
              std::min<std::size_t>(n, whole.size()));  // at most one byte short of n
    EXPECT_EQ(whole.substr(0, cut.size()), cut);
    // Never ends in a lead byte or inside a sequence.
    if (cut.size() < whole.size())
      EXPECT_NE(static_cast<unsigned char>(whole[cut.size()]) & 0xC0, 0x80) << n;
  }
}

TEST(RecordRedactor, ToolNamesBothToolFields) {
  const std::vector<std::uint8_t> span = producer_span();
  Redaction r("tool:hash");
  json want = json_of(RecordKind::kSpan, span);
  want["tool_input"] = hashed("{\"q\": \"h\xc3\xa9llo w\xc3\xb6rld\"}");
  want["tool_output"] = hashed("[1, 2, 3]");
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, EveryScalarAttributeTypeHashed) {
  const std::vector<std::uint8_t> span = producer_span();
  Redaction r("user.email:hash,llm.*:hash");
  json want = json_of(RecordKind::kSpan, span);
  set_string(*find_attribute(want["attributes"], "user.email"), hashed("ann@example.com"));
  set_string(*find_attribute(want["attributes"], "llm.tokens"), hashed("42"));
  set_string(*find_attribute(want["attributes"], "llm.temperature"), hashed("2.5"));
  set_string(*find_attribute(want["attributes"], "llm.cached"), hashed("true"));
  // Event attributes too.
  set_string(*find_attribute(want["events"][0]["attributes"], "user.email"),
             hashed("bob@example.com"));
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, TruncateCutsTextAndKeepsNumbers) {
  const std::vector<std::uint8_t> span = producer_span();
  Redaction r("*:truncate=3");
  json want = json_of(RecordKind::kSpan, span);
  for (json* list : {&want["attributes"], &want["events"][0]["attributes"]}) {
    for (json& a : *list)
      if (a["type"] == "string") a["value"] = a["value"].get<std::string>().substr(0, 3);
  }
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, DroppedAttributesLeaveTheOthersAsTheyWere) {
  const std::vector<std::uint8_t> span = producer_span();
  Redaction r("user.email,llm.tokens");
  json want = json_of(RecordKind::kSpan, span);
  erase_attribute(want["attributes"], "user.email");
  erase_attribute(want["attributes"], "llm.tokens");
  erase_attribute(want["events"][0]["attributes"], "user.email");
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
  // Dropping every attribute of a list leaves it absent (read as empty).
  Redaction all("*");
  ASSERT_EQ(all.run(RecordKind::kSpan, span), Outcome::kRedacted);
  EXPECT_EQ(flatbuffers::GetRoot<fb::Span>(all.out().data())->attributes(), nullptr);
}

TEST(RecordRedactor, NothingToRedactPassesTheRecordAsItIs) {
  const std::vector<std::uint8_t> span = producer_span();
  const Aligned aligned(span);
  // No rule names anything present: not rebuilt.
  for (const char* rules : {"no.such.key", "body", "data", "gen_ai.tool.*", "output2:hash"}) {
    Redaction r(rules);
    EXPECT_EQ(r.run(RecordKind::kSpan, aligned.bytes()), Outcome::kUnchanged) << rules;
  }
  // Raw frames and kinds this version does not know are bytes: left as they are.
  const std::vector<std::uint8_t> raw = {'i', 'n', 'p', 'u', 't'};
  Redaction everything("*,input,output,tool,body,data");
  EXPECT_EQ(everything.run(RecordKind::kRawFrame, raw), Outcome::kUnchanged);
  EXPECT_EQ(everything.run(static_cast<RecordKind>(9), raw), Outcome::kUnchanged);
  EXPECT_EQ(everything.run(static_cast<RecordKind>(9), aligned.bytes()), Outcome::kUnchanged);
}

TEST(RecordRedactor, APayloadThatIsNotATableIsWithheld) {
  Redaction r("input");
  const std::vector<std::uint64_t> garbage = {0xffffffffffffffffull, 0x0123456789abcdefull};
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(garbage.data()),
                                            16);
  for (RecordKind kind :
       {RecordKind::kSpan, RecordKind::kLog, RecordKind::kMetric, RecordKind::kRecord}) {
    EXPECT_EQ(r.run(kind, bytes), Outcome::kWithheld);
    EXPECT_EQ(r.run(kind, {}), Outcome::kWithheld);
  }
}

TEST(RecordRedactor, AMisalignedPayloadIsRedactedToo) {
  const std::vector<std::uint8_t> span = producer_span();
  std::vector<std::uint64_t> words(span.size() / 8 + 2);
  auto* base = reinterpret_cast<std::uint8_t*>(words.data()) + 4;
  std::memcpy(base, span.data(), span.size());
  Redaction r("input");
  ASSERT_EQ(r.run(RecordKind::kSpan, std::span<const std::uint8_t>(base, span.size())),
            Outcome::kRedacted);
  EXPECT_EQ(flatbuffers::GetRoot<fb::Span>(r.out().data())->input(), nullptr);
}

TEST(RecordRedactor, NestedNamesAreDottedAndArraysShareTheirName) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("llm.prompt,msgs.content:hash");
  json want = json_of(RecordKind::kSpan, span);
  json& llm = *find_attribute(want["attributes"], "llm");
  erase_attribute(llm["values"], "prompt");           // {"llm": {"prompt": ...}} is llm.prompt
  erase_attribute(want["attributes"], "llm.prompt");  // and so is the flat key
  for (json& message : (*find_attribute(want["attributes"], "msgs"))["values"]) {
    json& content = *find_attribute(message["values"], "content");
    content["value"] = hashed(content["value"].get<std::string>());
  }
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, ANestedNamesOwnRuleWinsOverItsParents) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("llm:truncate=2,llm.prompt:drop,llm.n:hash");
  json want = json_of(RecordKind::kSpan, span);
  json& llm = *find_attribute(want["attributes"], "llm");
  erase_attribute(llm["values"], "prompt");
  (*find_attribute(llm["values"], "model"))["value"] = "gp";
  erase_attribute(want["attributes"], "llm.prompt");  // its own rule; "llm" is not its parent
  set_string(*find_attribute(llm["values"], "n"), hashed("3"));
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, HashReachesEveryValueInsideListsAndArraysKeysKept) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("nested:hash,blob:hash,nothing:hash");
  json want = json_of(RecordKind::kSpan, span);
  // nested = {"list": [7, "two", bytes 01 ff, empty, [true]], "pi": 3.5}
  json& nested = *find_attribute(want["attributes"], "nested");
  json& list = (*find_attribute(nested["values"], "list"))["values"];
  set_string(list[0], hashed("7"));
  set_string(list[1], hashed("two"));
  set_string(list[2], hashed("\x01\xff"));
  // list[3] (empty) stays empty
  set_string(list[4]["values"][0], hashed("true"));
  set_string(*find_attribute(nested["values"], "pi"), hashed("3.5"));
  set_string(*find_attribute(want["attributes"], "blob"),
             hashed(std::string("\x00\x01\xfe\xff\x42", 5)));
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, TruncateCutsBytesValuesAndNestedStrings) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("blob:truncate=2,msgs:truncate=6");
  json want = json_of(RecordKind::kSpan, span);
  (*find_attribute(want["attributes"], "blob"))["value_b64"] = "AAE=";  // 00 01
  for (json& message : (*find_attribute(want["attributes"], "msgs"))["values"]) {
    for (json& entry : message["values"])
      entry["value"] = entry["value"].get<std::string>().substr(0, 6);
  }
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, DroppingEveryElementLeavesAnEmptyArray) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("msgs.role,msgs.content");
  json want = json_of(RecordKind::kSpan, span);
  for (json& message : (*find_attribute(want["attributes"], "msgs"))["values"])
    message["values"] = json::array();
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

TEST(RecordRedactor, RulesReachLinksResourceAndScopeAndEveryOtherFieldIsKept) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("user.email:hash");
  json want = json_of(RecordKind::kSpan, span);
  set_string(*find_attribute(want["links"][0]["attributes"], "user.email"),
             hashed("link@example.com"));
  set_string(*find_attribute(want["resource"]["attributes"], "user.email"),
             hashed("res@example.com"));
  set_string(*find_attribute(want["scope"]["attributes"], "user.email"),
             hashed("scope@example.com"));
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
  // Present-but-empty strings stay present.
  const auto* s = flatbuffers::GetRoot<fb::Span>(r.out().data());
  ASSERT_NE(s->status_message(), nullptr);
  EXPECT_EQ(s->status_message()->size(), 0u);
}

TEST(RecordRedactor, InputAlsoNamesTheReceivedPromptAttribute) {
  const std::vector<std::uint8_t> span = received_span();
  Redaction r("input:hash");
  json want = json_of(RecordKind::kSpan, span);
  set_string(*find_attribute(want["attributes"], "gen_ai.prompt"),
             hashed("received secret prompt"));
  EXPECT_EQ(r.redacted_json(RecordKind::kSpan, span), want);
}

std::vector<std::uint8_t> log_with_body(const char* body, const Attributes* body_value_entries) {
  Fbb fbb;
  const auto body_offset = body == nullptr ? 0 : fbb.CreateString(body);
  Offset<fb::Attribute> body_value = 0;
  if (body_value_entries != nullptr) body_value = kv(fbb, nullptr, *body_value_entries);
  const Attributes attributes = {text(fbb, "user.email", "log@example.com"),
                                 text(fbb, "env", "prod")};
  const auto attrs = fbb.CreateVector(attributes);
  const auto severity = fbb.CreateString("ERROR");
  const auto event = fbb.CreateString("app.event");
  const fb::TraceId trace(
      flatbuffers::span<const std::uint8_t, 16>(std::array<std::uint8_t, 16>{7}));
  fb::LogRecordBuilder b(fbb);
  b.add_time_ns(123);
  b.add_severity_number(17);
  b.add_severity_text(severity);
  b.add_body(body_offset);
  b.add_attributes(attrs);
  b.add_trace_id(&trace);
  b.add_observed_time_ns(456);
  b.add_flags(1);
  b.add_dropped_attributes_count(2);
  b.add_event_name(event);
  b.add_body_value(body_value);
  fbb.Finish(b.Finish());
  return testing::bytes_of(fbb);
}

TEST(RecordRedactor, LogBodyEachAction) {
  const std::vector<std::uint8_t> log = log_with_body("user typed: my secret", nullptr);
  for (const auto& [rules, body] :
       std::map<std::string, std::string>{{"body", ""},
                                          {"body:hash", hashed("user typed: my secret")},
                                          {"body:truncate=4", "user"}}) {
    Redaction r(rules);
    ASSERT_EQ(r.run(RecordKind::kLog, log), Outcome::kRedacted) << rules;
    json want = json_of(RecordKind::kLog, log);
    want["body"] = body;
    EXPECT_EQ(json_of(RecordKind::kLog, r.out()), want) << rules;
  }
  Redaction drop("body");
  ASSERT_EQ(drop.run(RecordKind::kLog, log), Outcome::kRedacted);
  EXPECT_EQ(flatbuffers::GetRoot<fb::LogRecord>(drop.out().data())->body(), nullptr);
}

TEST(RecordRedactor, AnEmptyBodyStaysAnEmptyBody) {
  const std::vector<std::uint8_t> log = log_with_body("", nullptr);
  Redaction r("body:hash,env");
  ASSERT_EQ(r.run(RecordKind::kLog, log), Outcome::kRedacted);
  const auto* l = flatbuffers::GetRoot<fb::LogRecord>(r.out().data());
  ASSERT_NE(l->body(), nullptr);
  EXPECT_EQ(l->body()->size(), 0u);
}

// A log whose body is a key/value list holding a user.email entry, and a user.email attribute.
std::vector<std::uint8_t> structured_log() {
  Fbb fbb;
  const Attributes entries = {
      text(fbb, "user.email", "in-body@example.com"),
      fb::CreateAttributeDirect(fbb, "count", fb::AttributeType::Int, nullptr, 5)};
  const auto body_value = kv(fbb, nullptr, entries);
  const Attributes attributes = {text(fbb, "user.email", "log@example.com")};
  const auto attrs = fbb.CreateVector(attributes);
  fb::LogRecordBuilder b(fbb);
  b.add_time_ns(1);
  b.add_attributes(attrs);
  b.add_body_value(body_value);
  fbb.Finish(b.Finish());
  return testing::bytes_of(fbb);
}

TEST(RecordRedactor, AStructuredBodyFollowsTheBodyRuleAlone) {
  const std::vector<std::uint8_t> log = structured_log();
  // An attribute rule does not reach into the body.
  Redaction attributes_only("user.email");
  json want = json_of(RecordKind::kLog, log);
  erase_attribute(want["attributes"], "user.email");
  EXPECT_EQ(attributes_only.redacted_json(RecordKind::kLog, log), want);
  // The body rule does, to every value in it.
  Redaction body("body:hash");
  want = json_of(RecordKind::kLog, log);
  set_string(*find_attribute(want["body_value"]["values"], "user.email"),
             hashed("in-body@example.com"));
  set_string(*find_attribute(want["body_value"]["values"], "count"), hashed("5"));
  EXPECT_EQ(body.redacted_json(RecordKind::kLog, log), want);
  Redaction dropped("body");
  ASSERT_EQ(dropped.run(RecordKind::kLog, log), Outcome::kRedacted);
  EXPECT_EQ(flatbuffers::GetRoot<fb::LogRecord>(dropped.out().data())->body_value(), nullptr);
}

std::vector<std::uint8_t> rich_metric() {
  Fbb fbb;
  const auto name = fbb.CreateString("latency");
  const auto unit = fbb.CreateString("ms");
  const auto bounds = fbb.CreateVector(std::vector<double>{1, 5, 10});
  const auto counts = fbb.CreateVector(std::vector<std::uint64_t>{1, 2, 3, 4});
  const Attributes attributes = {text(fbb, "user.email", "m@example.com"),
                                 text(fbb, "route", "/v1")};
  const auto attrs = fbb.CreateVector(attributes);
  const auto description = fbb.CreateString("request latency");
  const auto quantiles = fbb.CreateVector(std::vector<double>{0.5, 0.99});
  const auto quantile_values = fbb.CreateVector(std::vector<double>{3, 9});
  const auto positive = fbb.CreateVector(std::vector<std::uint64_t>{5, 6});
  const auto negative = fbb.CreateVector(std::vector<std::uint64_t>{7});
  const auto resource =
      testing::build_resource(fbb, {.has = true, .attributes = {{"host.name", "h"}}});
  const auto scope = testing::build_scope(fbb, {.has = true, .name = "meter"});
  fb::MetricBuilder b(fbb);
  b.add_name(name);
  b.add_unit(unit);
  b.add_kind(fb::MetricKind::Histogram);
  b.add_time_ns(99);
  b.add_value(1.5);
  b.add_count(10);
  b.add_sum(55.5);
  b.add_bucket_bounds(bounds);
  b.add_bucket_counts(counts);
  b.add_attributes(attrs);
  b.add_description(description);
  b.add_start_time_ns(9);
  b.add_temporality(1);
  b.add_not_monotonic(true);
  b.add_value_is_int(true);
  b.add_int_value(-4);
  b.add_flags(1);
  b.add_min(0.5);
  b.add_max(12.5);
  b.add_has_min(true);
  b.add_has_max(true);
  b.add_quantiles(quantiles);
  b.add_quantile_values(quantile_values);
  b.add_scale(3);
  b.add_zero_count(2);
  b.add_zero_threshold(0.001);
  b.add_positive_offset(-1);
  b.add_positive_bucket_counts(positive);
  b.add_negative_offset(2);
  b.add_negative_bucket_counts(negative);
  b.add_resource(resource);
  b.add_scope(scope);
  fbb.Finish(b.Finish());
  return testing::bytes_of(fbb);
}

TEST(RecordRedactor, MetricAttributesRedactedEveryOtherFieldKept) {
  const std::vector<std::uint8_t> metric = rich_metric();
  Redaction r("user.email:truncate=1");
  json want = json_of(RecordKind::kMetric, metric);
  (*find_attribute(want["attributes"], "user.email"))["value"] = "m";
  EXPECT_EQ(r.redacted_json(RecordKind::kMetric, metric), want);
  const auto* m = flatbuffers::GetRoot<fb::Metric>(r.out().data());
  ASSERT_NE(m->positive_bucket_counts(), nullptr);
  EXPECT_EQ(m->positive_bucket_counts()->Get(1), 6u);
  EXPECT_EQ(m->negative_bucket_counts()->Get(0), 7u);
  EXPECT_EQ(m->quantile_values()->Get(1), 9.0);
  EXPECT_EQ(m->zero_threshold(), 0.001);
}

TEST(RecordRedactor, RecordDataEachAction) {
  RecordEncoder encoder;
  const std::string data = "prediction: secret output";
  const EncodedRecord encoded = encoder.encode(RawRecord{
      "prediction", std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())});
  const std::vector<std::uint8_t> record(encoded.bytes.begin(), encoded.bytes.end());
  auto data_of = [](std::span<const std::uint8_t> bytes) {
    const auto* v = flatbuffers::GetRoot<fb::Record>(bytes.data())->data();
    return v == nullptr ? std::string("(absent)") : std::string(v->begin(), v->end());
  };
  Redaction drop("data");
  ASSERT_EQ(drop.run(RecordKind::kRecord, record), Outcome::kRedacted);
  EXPECT_EQ(data_of(drop.out()), "(absent)");
  Redaction hash("data:hash");
  ASSERT_EQ(hash.run(RecordKind::kRecord, record), Outcome::kRedacted);
  EXPECT_EQ(data_of(hash.out()), hashed(data));
  Redaction cut("data:truncate=10");
  ASSERT_EQ(cut.run(RecordKind::kRecord, record), Outcome::kRedacted);
  EXPECT_EQ(data_of(cut.out()), "prediction");
  EXPECT_EQ(flatbuffers::GetRoot<fb::Record>(cut.out().data())->type_tag()->str(), "prediction");
  Redaction other("input");
  EXPECT_EQ(other.run(RecordKind::kRecord, record), Outcome::kUnchanged);
}

// records.fbs's tables and their field counts, read from the schema itself.
std::map<std::string, int> schema_field_counts() {
  std::ifstream in(SPOOL_RECORDS_FBS);
  EXPECT_TRUE(in.good()) << SPOOL_RECORDS_FBS;
  std::map<std::string, int> counts;
  std::string line, table;
  const std::regex table_start(R"(^\s*table\s+(\w+)\s*\{)");
  const std::regex field(R"(^\s*\w+\s*:\s*[\w\[\]:.]+\s*(\(.*\))?\s*(=\s*[^;]+)?;)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, table_start)) {
      table = m[1];
      counts[table] = 0;
    } else if (!table.empty() && line.find('}') != std::string::npos) {
      table.clear();
    } else if (!table.empty() && std::regex_search(line, field)) {
      ++counts[table];
    }
  }
  return counts;
}

TEST(RecordRedactor, CopiesEveryFieldOfEveryTable) {
  const std::map<std::string, int> schema = schema_field_counts();
  std::map<std::string, int> copied;
  for (const auto& [table, fields] : kCopiedFields) copied[std::string(table)] = fields;
  EXPECT_EQ(copied, schema)
      << "records.fbs has a field record_redactor.cc does not copy: copy it there and "
         "update kCopiedFields";
}

}  // namespace
}  // namespace spool::engine
