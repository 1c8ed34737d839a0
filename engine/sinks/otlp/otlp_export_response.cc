// Export*ServiceResponse decoding: a protobuf field walker and a small JSON reader, each just
// enough for partial_success (see otlp_export_response.h).
#include "engine/sinks/otlp/otlp_export_response.h"

#include <charconv>
#include <cstring>

namespace spool::engine {

namespace {

// ---- protobuf ----

struct ProtoReader {
  std::string_view in;
  std::size_t pos = 0;

  bool varint(std::uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) return false;
      const auto b = static_cast<unsigned char>(in[pos++]);
      *v |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  // Reads one field; for length-delimited ones *bytes is its payload.
  bool field(std::uint32_t* number, std::uint32_t* type, std::uint64_t* value, std::string_view* bytes) {
    std::uint64_t k = 0;
    if (!varint(&k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff) return false;
    *number = static_cast<std::uint32_t>(k >> 3);
    *type = static_cast<std::uint32_t>(k & 7);
    switch (*type) {
      case 0:
        return varint(value);
      case 1:
      case 5: {
        const std::size_t n = *type == 1 ? 8 : 4;
        if (in.size() - pos < n) return false;
        pos += n;
        return true;
      }
      case 2: {
        std::uint64_t n = 0;
        if (!varint(&n) || n > in.size() - pos) return false;
        *bytes = in.substr(pos, n);
        pos += n;
        return true;
      }
      default:
        return false;  // groups (3, 4) are not in these messages
    }
  }
};

Result<OtlpPartialSuccess> parse_protobuf(std::string_view body) {
  OtlpPartialSuccess out;
  ProtoReader response{body};
  while (response.pos < body.size()) {
    std::uint32_t number = 0, type = 0;
    std::uint64_t value = 0;
    std::string_view bytes;
    if (!response.field(&number, &type, &value, &bytes)) {
      return Status::corruption("malformed protobuf export response");
    }
    if (number != 1 || type != 2) continue;  // partial_success = 1
    ProtoReader partial{bytes};
    while (partial.pos < bytes.size()) {
      std::string_view text;
      if (!partial.field(&number, &type, &value, &text)) {
        return Status::corruption("malformed protobuf partial_success");
      }
      if (number == 1 && type == 0) out.rejected = static_cast<std::int64_t>(value);
      if (number == 2 && type == 2) out.error_message.assign(text);
    }
  }
  return out;
}

// ---- JSON ----

// A strict-enough JSON reader: values are skipped unless asked for; strings are decoded.
struct JsonReader {
  std::string_view in;
  std::size_t pos = 0;
  int depth = 0;

  void ws() {
    while (pos < in.size() && (in[pos] == ' ' || in[pos] == '\n' || in[pos] == '\r' || in[pos] == '\t')) ++pos;
  }
  bool eat(char c) {
    ws();
    if (pos < in.size() && in[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  static void utf8(std::string* out, std::uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  bool hex4(std::uint32_t* v) {
    if (in.size() - pos < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in[pos++];
      *v <<= 4;
      if (c >= '0' && c <= '9') *v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') *v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') *v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (pos < in.size()) {
      const char c = in[pos++];
      if (c == '"') return true;
      if (c != '\\') {
        if (out != nullptr) out->push_back(c);
        continue;
      }
      if (pos >= in.size()) return false;
      const char e = in[pos++];
      char plain = 0;
      switch (e) {
        case '"': case '\\': case '/': plain = e; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && in.substr(pos, 2) == "\\u") {
            pos += 2;
            std::uint32_t lo = 0;
            if (!hex4(&lo)) return false;
            if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (out != nullptr) utf8(out, cp);
          continue;
        }
        default:
          return false;
      }
      if (out != nullptr) out->push_back(plain);
    }
    return false;
  }
  // A number or a string holding one (proto3 JSON writes int64 either way).
  bool integer(std::int64_t* v) {
    ws();
    std::string text;
    if (pos < in.size() && in[pos] == '"') {
      if (!string(&text)) return false;
    } else {
      const std::size_t start = pos;
      while (pos < in.size() && std::strchr("+-0123456789.eE", in[pos]) != nullptr) ++pos;
      text.assign(in.substr(start, pos - start));
    }
    const auto r = std::from_chars(text.data(), text.data() + text.size(), *v);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
  }
  bool skip_value() {
    ws();
    if (pos >= in.size()) return false;
    if (++depth > 64) return false;
    const char c = in[pos];
    bool ok = true;
    if (c == '"') {
      ok = string(nullptr);
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++pos;
      if (!eat(close)) {
        do {
          if (c == '{' && (!string(nullptr) || !eat(':'))) return false;
          if (!skip_value()) return false;
        } while (eat(','));
        ok = eat(close);
      }
    } else {
      const std::size_t start = pos;
      while (pos < in.size() && std::strchr("+-0123456789.eEtruefalsn", in[pos]) != nullptr) ++pos;
      ok = pos > start;
    }
    --depth;
    return ok;
  }
};

Result<OtlpPartialSuccess> parse_json(std::string_view body) {
  OtlpPartialSuccess out;
  JsonReader r{body};
  const Status malformed = Status::corruption("malformed JSON export response");
  if (!r.eat('{')) return malformed;
  if (r.eat('}')) return out;
  do {
    std::string name;
    if (!r.string(&name) || !r.eat(':')) return malformed;
    if (name != "partialSuccess" && name != "partial_success") {
      if (!r.skip_value()) return malformed;
      continue;
    }
    if (r.eat('{')) {
      if (r.eat('}')) continue;
      do {
        std::string field;
        if (!r.string(&field) || !r.eat(':')) return malformed;
        if (field.starts_with("rejected")) {  // rejectedSpans, rejectedLogRecords, ...
          if (!r.integer(&out.rejected)) return malformed;
        } else if (field == "errorMessage" || field == "error_message") {
          if (!r.string(&out.error_message)) return malformed;
        } else if (!r.skip_value()) {
          return malformed;
        }
      } while (r.eat(','));
      if (!r.eat('}')) return malformed;
    } else if (!r.skip_value()) {  // null
      return malformed;
    }
  } while (r.eat(','));
  if (!r.eat('}')) return malformed;
  return out;
}

}  // namespace

Result<OtlpPartialSuccess> parse_otlp_export_response(std::string_view body, bool json) {
  if (body.empty()) return OtlpPartialSuccess{};
  return json ? parse_json(body) : parse_protobuf(body);
}

bool parse_rejected_offsets(std::string_view message, std::vector<std::uint64_t>* offsets) {
  const std::size_t at = message.find(kRejectedOffsetsMarker);
  if (at == std::string_view::npos) return false;
  std::size_t pos = at + kRejectedOffsetsMarker.size();
  while (pos < message.size()) {
    const char c = message[pos];
    if (c == ',' || c == ' ') {
      ++pos;
      continue;
    }
    if (c < '0' || c > '9') break;
    std::uint64_t v = 0;
    const auto r = std::from_chars(message.data() + pos, message.data() + message.size(), v);
    if (r.ec != std::errc()) break;
    offsets->push_back(v);
    pos = static_cast<std::size_t>(r.ptr - message.data());
  }
  return true;
}

}  // namespace spool::engine
