#include "engine/sinks/otlp/http_header_sources.h"

#include <algorithm>
#include <cctype>

#include "engine/forward/secret_file.h"

namespace spool::engine {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool percent_decode(std::string_view in, std::string* out) {
  const auto hex_value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

Result<std::pair<std::string, std::string>> parse_header_line(std::string_view line, std::string_view where) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return Status::invalid_argument(std::string(where) + ": expected 'Name: value' (no ':' found)");
  }
  const std::string_view name = trim(line.substr(0, colon));
  if (name.empty()) return Status::invalid_argument(std::string(where) + ": the header name is empty");
  return std::make_pair(std::string(name), std::string(trim(line.substr(colon + 1))));
}

Result<HttpHeaders> parse_header_file_text(std::string_view text, std::string_view path) {
  HttpHeaders headers;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto header = parse_header_line(line, std::string(path) + " line " + std::to_string(line_no));
    if (!header) return header.status();
    headers.push_back(std::move(*header));
  }
  return headers;
}

Result<HeaderFile> read_header_file(const std::string& path) {
  auto secret = read_secret_file(path, "header file", "credentials", kMaxHeaderFileBytes);
  if (!secret) return secret.status();
  auto headers = parse_header_file_text(secret->text, path);
  if (!headers) return headers.status();
  HeaderFile file;
  file.headers = std::move(*headers);
  file.warnings = std::move(secret->warnings);
  return file;
}

Result<HttpHeaders> parse_otel_headers(std::string_view text) {
  HttpHeaders headers;
  std::size_t entry = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    ++entry;
    if (!item.empty()) {
      const std::string where = std::string(kOtelHeadersVariable) + " entry " + std::to_string(entry);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) {
        return Status::invalid_argument(where + ": expected key=value (no '=' found)");
      }
      const std::string_view key = trim(item.substr(0, eq));
      if (key.empty()) return Status::invalid_argument(where + ": the key is empty");
      std::string name, value;
      if (!percent_decode(key, &name) || !percent_decode(trim(item.substr(eq + 1)), &value)) {
        return Status::invalid_argument(where + ": bad percent-encoding ('%' must be followed by two hex digits)");
      }
      headers.emplace_back(std::move(name), std::move(value));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return headers;
}

void merge_headers(HttpHeaders* into, HttpHeaders more) {
  for (auto& header : more) {
    std::erase_if(*into, [&](const auto& h) { return iequals(h.first, header.first); });
    into->push_back(std::move(header));
  }
}

}  // namespace spool::engine
