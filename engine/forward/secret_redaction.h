// redact_secrets(): the one function every piece of text spool stores or prints passes
// through when it may hold a URL, a curl message or a receiver's answer (cursor state's
// last error, dead letters' error text, stats, health, logs, spoolctl output).
//
// What it replaces with "REDACTED":
//   - URL userinfo:           https://user:pass@host/...   -> https://REDACTED@host/...
//   - every query value:      /v1/logs?token=abc&x=1       -> /v1/logs?token=REDACTED&x=REDACTED
//   - credential-named pairs  token=, api_key=, apikey=, access_token=, sig=, signature=,
//     anywhere in the text:   password=, passwd=, secret=, client_secret=, auth=, key=
//                             (case-insensitive, at a word start)
//   - authorization schemes:  "Bearer abc", "Basic abc"    -> "Bearer REDACTED"
// Query values are kept when sending (a signed URL needs them); only text is redacted.
// Everything else is copied unchanged, so an error stays readable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spool::engine {

inline constexpr std::string_view kRedacted = "REDACTED";

std::string redact_secrets(std::string_view text);

// redact_secrets(text), then cut to at most max_bytes at a UTF-8 character boundary (a
// receiver's error body is kept bounded wherever it is stored).
std::string redact_and_bound(std::string_view text, std::size_t max_bytes);

// True when an http(s) URL carries userinfo ("user[:password]@" before the host).
bool url_has_userinfo(std::string_view url);

}  // namespace spool::engine
