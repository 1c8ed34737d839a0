// HMAC-SHA256 under one key (OpenSSL's libcrypto, already loaded by libcurl), written as the
// text the redaction's hash action puts in place of a value: "hmac-sha256:" and 64 lowercase
// hex digits (spool/redaction.h says why keyed).
//
// The key is set once; each digest re-initialises the same context with it, so hashing a
// value allocates nothing beyond the output string's growth. Not thread-safe: one per
// forwarder thread (a RedactingSink owns one).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "spool/status.h"

namespace spool::engine {

class HmacSha256 {
 public:
  static constexpr std::string_view kPrefix = "hmac-sha256:";
  static constexpr std::size_t kTextBytes = kPrefix.size() + 64;

  // InvalidArgument for an empty key; Unavailable if libcrypto has no HMAC or SHA-256.
  static Result<HmacSha256> create(std::string_view key);
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  ~HmacSha256();

  // Replaces *out with the text of the HMAC of `data`. False (and *out cleared) if libcrypto
  // failed, which only an allocation failure inside it can cause.
  bool text(std::span<const std::uint8_t> data, std::string* out);
  bool text(std::string_view data, std::string* out) {
    return text(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), out);
  }

 private:
  struct Context;  // EVP_MAC and EVP_MAC_CTX, owned
  explicit HmacSha256(std::unique_ptr<Context> context) noexcept;
  std::unique_ptr<Context> context_;
};

}  // namespace spool::engine
