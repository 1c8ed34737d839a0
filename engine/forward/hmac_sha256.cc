#include "engine/forward/hmac_sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace spool::engine {

struct HmacSha256::Context {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~Context() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

Result<HmacSha256> HmacSha256::create(std::string_view key) {
  if (key.empty()) return Status::invalid_argument("an HMAC key must not be empty");
  auto c = std::make_unique<Context>();
  c->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (c->mac != nullptr) c->ctx = EVP_MAC_CTX_new(c->mac);
  if (c->ctx == nullptr) return Status::unavailable("libcrypto offers no HMAC");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(c->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    return Status::unavailable("libcrypto cannot set up HMAC-SHA256");
  }
  return HmacSha256(std::move(c));
}

HmacSha256::HmacSha256(std::unique_ptr<Context> context) noexcept : context_(std::move(context)) {}
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

bool HmacSha256::text(std::span<const std::uint8_t> data, std::string* out) {
  out->clear();
  // A null key re-initialises the context with the key it was created with.
  unsigned char digest[32];
  std::size_t length = 0;
  if (EVP_MAC_init(context_->ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(context_->ctx, data.data(), data.size()) != 1 ||
      EVP_MAC_final(context_->ctx, digest, &length, sizeof digest) != 1 ||
      length != sizeof digest) {
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(kTextBytes);
  out->append(kPrefix);
  for (unsigned char b : digest) {
    out->push_back(kHex[b >> 4]);
    out->push_back(kHex[b & 0xf]);
  }
  return true;
}

}  // namespace spool::engine
