// redact_secrets(): URL credentials, query values, credential-named pairs and
// authorization schemes never survive into text spool keeps or prints.
#include "engine/forward/secret_redaction.h"

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

TEST(SecretRedaction, UrlUserinfoIsRedacted) {
  EXPECT_EQ(redact_secrets("POST https://alice:s3cret@collector:4318/v1/logs: refused"),
            "POST https://REDACTED@collector:4318/v1/logs: refused");
  EXPECT_EQ(redact_secrets("http://tok@h/x"), "http://REDACTED@h/x");
}

TEST(SecretRedaction, EveryQueryValueIsRedactedNamesKept) {
  EXPECT_EQ(redact_secrets("POST https://h/v1/traces?token=abc123&region=eu: HTTP 500"),
            "POST https://h/v1/traces?token=REDACTED&region=REDACTED: HTTP 500");
  EXPECT_EQ(redact_secrets("https://h/p?sig=ZmFrZQ%3D%3D#frag"), "https://h/p?sig=REDACTED#frag");
}

TEST(SecretRedaction, CredentialNamedPairsAnywhere) {
  EXPECT_EQ(redact_secrets("bad request: api_key=K1 and access_token=T2; password=p"),
            "bad request: api_key=REDACTED and access_token=REDACTED; password=REDACTED");
  // Not a credential name, not after '?'/'&': unchanged.
  EXPECT_EQ(redact_secrets("count=5 offsets=1,2"), "count=5 offsets=1,2");
  // A name that merely ends in a credential name is not one.
  EXPECT_EQ(redact_secrets("monkey=1"), "monkey=1");
}

TEST(SecretRedaction, AuthorizationSchemes) {
  EXPECT_EQ(redact_secrets("got Authorization: Bearer eyJhbGciOi.x.y from you"),
            "got Authorization: Bearer REDACTED from you");
  EXPECT_EQ(redact_secrets("Basic dXNlcjpwYXNz"), "Basic REDACTED");
}

TEST(SecretRedaction, OrdinaryTextUnchanged) {
  const std::string text = "HTTP 400: invalid span at offset 12 (why? because) - see https://example.com/docs";
  EXPECT_EQ(redact_secrets(text), text);
  EXPECT_EQ(redact_secrets(""), "");
}

TEST(SecretRedaction, BoundedAtACharacterBoundary) {
  const std::string long_text = std::string(10, 'a') + "\xC3\xA9" + std::string(10, 'b');  // é at 10..11
  EXPECT_EQ(redact_and_bound(long_text, 11), std::string(10, 'a'));
  EXPECT_EQ(redact_and_bound("token=abcdef", 100), "token=REDACTED");
}

TEST(SecretRedaction, UserinfoDetection) {
  EXPECT_TRUE(url_has_userinfo("https://u:p@h:1/x"));
  EXPECT_TRUE(url_has_userinfo("http://u@h"));
  EXPECT_FALSE(url_has_userinfo("https://h:1/x?mail=a@b"));
  EXPECT_FALSE(url_has_userinfo("https://h/path@x"));
}

}  // namespace
}  // namespace spool::engine
