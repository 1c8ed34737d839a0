#include "engine/forward/secret_redaction.h"

#include <array>
#include <cctype>

#include "engine/forward/utf8_cut.h"

namespace spool::engine {

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '~' || c == '%';
}

// Where a URL, query value or token ends in running text.
bool ends_value(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '&' || c == '#' || c == '"' || c == '\'' ||
         c == '<' || c == '>' || c == ';' || c == ',' || c == ')' || c == ']' || c == '}' || c == '`';
}

bool ends_authority(char c) { return c == '/' || c == '?' || ends_value(c); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 13> kSecretNames = {
    "token", "api_key", "apikey", "access_token", "sig", "signature", "password",
    "passwd", "secret", "client_secret", "auth", "key", "x-api-key"};

bool secret_name(std::string_view name) {
  for (std::string_view s : kSecretNames) {
    if (iequals(name, s)) return true;
  }
  return false;
}

// A ':' followed by a blank (or the end) ends a value too: "POST <url>: <message>".
std::size_t value_end(std::string_view text, std::size_t from) {
  while (from < text.size() && !ends_value(text[from])) {
    if (text[from] == ':' && (from + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[from + 1])))) break;
    ++from;
  }
  return from;
}

}  // namespace

bool url_has_userinfo(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  for (std::size_t i = scheme + 3; i < url.size() && !ends_authority(url[i]); ++i) {
    if (url[i] == '@') return true;
  }
  return false;
}

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    // URL userinfo: "://" then an authority holding '@'.
    if (c == ':' && text.substr(i, 3) == "://") {
      out += "://";
      const std::size_t start = i + 3;
      std::size_t at = std::string_view::npos;
      std::size_t j = start;
      for (; j < text.size() && !ends_authority(text[j]); ++j) {
        if (text[j] == '@') at = j;
      }
      if (at != std::string_view::npos) {
        out += kRedacted;
        i = at;  // continue from '@'
      } else {
        i = start;
      }
      continue;
    }
    // "?name=value" / "&name=value" (any name) and "name=value" for credential names at a
    // word start.
    const bool query = c == '?' || c == '&';
    const bool word_start = !query && is_name_char(c) && (i == 0 || !is_name_char(text[i - 1]));
    if (query || word_start) {
      const std::size_t name_start = query ? i + 1 : i;
      std::size_t j = name_start;
      while (j < text.size() && is_name_char(text[j])) ++j;
      const std::string_view name = text.substr(name_start, j - name_start);
      if (j < text.size() && text[j] == '=' && !name.empty() && (query || secret_name(name))) {
        const std::size_t end = value_end(text, j + 1);
        out.append(text.substr(i, j + 1 - i));
        if (end > j + 1) out += kRedacted;
        i = end;
        continue;
      }
      // "Bearer <token>" / "Basic <credentials>".
      if (word_start && (iequals(name, "bearer") || iequals(name, "basic")) && j < text.size() && text[j] == ' ') {
        std::size_t k = j;
        while (k < text.size() && text[k] == ' ') ++k;
        const std::size_t end = value_end(text, k);
        if (end > k) {
          out.append(text.substr(i, k - i));
          out += kRedacted;
          i = end;
          continue;
        }
      }
      if (word_start) {  // copy the whole word: no match starts inside it
        out.append(text.substr(i, j - i));
        i = j;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string redact_and_bound(std::string_view text, std::size_t max_bytes) {
  std::string out = redact_secrets(text);
  if (out.size() <= max_bytes) return out;
  out.resize(utf8_cut(out, max_bytes));
  return out;
}

}  // namespace spool::engine
