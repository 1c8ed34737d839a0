#include "tools/standard_span.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string_view>

namespace spool::tools {

namespace {

// Words of inference traffic: text that zstd compresses like real prompts, not random bytes.
constexpr std::string_view kWords[] = {
    "the",      "model",    "returned", "a",         "summary",  "of",        "request",
    "tokens",   "latency",  "inference", "gateway",  "edge",     "region",    "production",
    "span",     "trace",    "generation", "reasoning", "user",   "asked",     "for",
    "weather",  "forecast", "in",       "paris",     "and",      "berlin",    "answer",
    "was",      "ok",       "with",     "high",      "confidence", "context", "window",
    "retrieved", "documents", "cited",  "three",     "sources",  "tool",      "call"};

constexpr std::size_t kTextBytes = 256;          // input and output
constexpr std::size_t kStatusMessageBytes = 40;  // error spans
constexpr std::uint64_t kErrorOneIn = 50;
constexpr std::uint64_t kMaxTokens = 4096;
constexpr std::int64_t kMs = 1'000'000;
// 2025-01-01T00:00:00Z; span i starts about i ms later.
constexpr std::int64_t kBaseTimeNs = 1'735'689'600'000'000'000;

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  // Uniform in [lo, hi]; the modulo bias (< 2^-40 here) does not matter for a workload.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + rng_() % (hi - lo + 1); }

  template <std::size_t N>
  void fill_bytes(std::array<std::uint8_t, N>& bytes) {
    do {
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng_());
    } while (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; }));
  }

  // Exactly `size` printable characters: words separated by spaces, the last one cut.
  std::string words(std::size_t size) {
    std::string s;
    s.reserve(size + 16);
    while (s.size() < size) {
      if (!s.empty()) s.push_back(' ');
      s += kWords[rng_() % std::size(kWords)];
    }
    s.resize(size);
    return s;
  }

  // A version-4 UUID in its 36-character text form.
  std::string uuid() {
    std::array<std::uint8_t, 16> b;
    fill_bytes(b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
      s.push_back(kHex[b[i] >> 4]);
      s.push_back(kHex[b[i] & 0xf]);
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

// `"<lowercase hex>"`, in one append.
template <std::size_t N>
void append_hex_string(std::string& out, const std::array<std::uint8_t, N>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  char text[2 * N + 2];
  text[0] = '"';
  for (std::size_t i = 0; i < N; ++i) {
    text[1 + 2 * i] = kHex[bytes[i] >> 4];
    text[2 + 2 * i] = kHex[bytes[i] & 0xf];
  }
  text[2 * N + 1] = '"';
  out.append(text, sizeof text);
}

// True when one of the 8 bytes of `w` is below 0x20, '"' or '\\' (needs an escape).
// Bit tricks on a word instead of a branch per character: this runs on the producer thread
// of every text baseline, so a slow escaper would make them look worse than they are.
bool word_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  auto has_zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return (below_space | has_zero_byte(w ^ (kOnes * '"')) | has_zero_byte(w ^ (kOnes * '\\'))) != 0;
}

// A JSON string literal. Runs of characters that need no escape are copied whole.
void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    while (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (word_needs_escape(w)) break;
      i += 8;
    }
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

template <typename Number>
void append_number(std::string& out, Number n) {
  char digits[32];
  auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

// `,"key":` (no comma before the first member of an object).
void append_key(std::string& out, std::string_view key) {
  if (out.back() != '{') out.push_back(',');
  append_string(out, key);
  out.push_back(':');
}

void append_attributes(std::string& out, std::span<const Attribute> attributes) {
  out.push_back('{');
  for (const Attribute& a : attributes) {
    append_key(out, a.key);
    switch (a.type) {
      case AttributeType::kString: append_string(out, a.string_value); break;
      case AttributeType::kInt: append_number(out, a.int_value); break;
      case AttributeType::kDouble:
        // JSON has no NaN or infinity.
        if (std::isfinite(a.double_value)) {
          append_number(out, a.double_value);
        } else {
          out += "null";
        }
        break;
      case AttributeType::kBool: out += a.bool_value ? "true" : "false"; break;
    }
  }
  out.push_back('}');
}

std::string_view span_type_name(SpanType t) {
  switch (t) {
    case SpanType::kSpan: return "span";
    case SpanType::kGeneration: return "generation";
    case SpanType::kTool: return "tool";
    case SpanType::kRetrieval: return "retrieval";
    case SpanType::kEvent: return "event";
  }
  return "unknown";
}

std::string_view span_status_name(SpanStatus s) {
  switch (s) {
    case SpanStatus::kUnset: return "unset";
    case SpanStatus::kOk: return "ok";
    case SpanStatus::kError: return "error";
  }
  return "unknown";
}

void append_optional_string(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  append_key(out, key);
  append_string(out, value);
}

}  // namespace

StandardSpanSet::StandardSpanSet(std::size_t count, std::uint64_t seed) {
  if (count == 0) throw std::invalid_argument("StandardSpanSet needs at least one span");
  Generator gen(seed);
  storage_.resize(count);
  spans_.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    Storage& st = storage_[i];
    Span& s = spans_[i];
    gen.fill_bytes(s.trace_id.bytes);
    gen.fill_bytes(s.span_id.bytes);
    gen.fill_bytes(s.parent_span_id.bytes);
    s.name = "llm-call";
    s.type = SpanType::kGeneration;
    s.component_type = "reasoning";
    s.start_ns = kBaseTimeNs + static_cast<std::int64_t>(i) * kMs +
                 static_cast<std::int64_t>(gen.between(0, kMs - 1));
    s.end_ns = s.start_ns + static_cast<std::int64_t>(gen.between(1 * kMs, 2000 * kMs));
    if (gen.between(1, kErrorOneIn) == 1) {
      s.status = SpanStatus::kError;
      st.status_message = gen.words(kStatusMessageBytes);
    } else {
      s.status = SpanStatus::kOk;
    }
    s.model = "gpt-4";
    st.input = gen.words(kTextBytes);
    st.output = gen.words(kTextBytes);
    s.input_tokens = static_cast<std::int64_t>(gen.between(1, kMaxTokens));
    s.output_tokens = static_cast<std::int64_t>(gen.between(1, kMaxTokens));
    st.request_id = gen.uuid();
    // Views last: the strings above are final now.
    s.status_message = st.status_message;
    s.input = st.input;
    s.output = st.output;
    st.attributes[0] = Attribute::string("env", "production");
    st.attributes[1] = Attribute::string("service", "inference-gw");
    st.attributes[2] = Attribute::string("region", "edge-eu-1");
    st.attributes[3] = Attribute::string("request_id", st.request_id);
    s.attributes = st.attributes;
  }
}

void append_span_json(std::string& out, const Span& span) {
  out.push_back('{');
  append_key(out, "trace_id");
  append_hex_string(out, span.trace_id.bytes);
  append_key(out, "span_id");
  append_hex_string(out, span.span_id.bytes);
  if (span.parent_span_id.bytes != SpanId{}.bytes) {
    append_key(out, "parent_span_id");
    append_hex_string(out, span.parent_span_id.bytes);
  }
  append_key(out, "name");
  append_string(out, span.name);
  append_key(out, "type");
  append_string(out, span_type_name(span.type));
  append_optional_string(out, "component_type", span.component_type);
  append_key(out, "start_ns");
  append_number(out, span.start_ns);
  append_key(out, "end_ns");
  append_number(out, span.end_ns);
  append_key(out, "status");
  append_string(out, span_status_name(span.status));
  append_optional_string(out, "status_message", span.status_message);
  append_optional_string(out, "model", span.model);
  append_optional_string(out, "input", span.input);
  append_optional_string(out, "output", span.output);
  append_key(out, "input_tokens");
  append_number(out, span.input_tokens);
  append_key(out, "output_tokens");
  append_number(out, span.output_tokens);
  append_optional_string(out, "tool_name", span.tool_name);
  append_optional_string(out, "tool_input", span.tool_input);
  append_optional_string(out, "tool_output", span.tool_output);
  append_key(out, "attributes");
  append_attributes(out, span.attributes);
  if (!span.events.empty()) {
    append_key(out, "events");
    out.push_back('[');
    for (const SpanEvent& e : span.events) {
      if (out.back() != '[') out.push_back(',');
      out.push_back('{');
      append_key(out, "name");
      append_string(out, e.name);
      append_key(out, "time_ns");
      append_number(out, e.time_ns);
      append_key(out, "attributes");
      append_attributes(out, e.attributes);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
}

std::string span_to_json(const Span& span) {
  std::string out;
  out.reserve(1024);
  append_span_json(out, span);
  return out;
}

}  // namespace spool::tools
