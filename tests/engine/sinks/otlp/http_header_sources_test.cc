// Header files and OTEL_EXPORTER_OTLP_HEADERS: parsing, precedence, permission checks, and
// errors that name the source without repeating a value.
#include "engine/sinks/otlp/http_header_sources.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using testing::TempDir;

std::string write_file(const TempDir& dir, const std::string& text, mode_t mode) {
  const std::string path = dir.path() + "/headers";
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(HttpHeaderSources, HeaderFileLinesCommentsAndBlanks) {
  auto h = parse_header_file_text("# credentials\n\nAuthorization: Bearer abc\r\n  X-Tenant :  t1  \n", "f");
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0], (std::pair<std::string, std::string>{"Authorization", "Bearer abc"}));
  EXPECT_EQ((*h)[1], (std::pair<std::string, std::string>{"X-Tenant", "t1"}));
}

TEST(HttpHeaderSources, MalformedHeaderLineNamesTheLineNotTheValue) {
  auto h = parse_header_file_text("A: 1\nsecretvalue-without-colon\n", "/etc/h");
  ASSERT_FALSE(h.is_ok());
  EXPECT_NE(h.status().message().find("/etc/h line 2"), std::string::npos) << h.status().message();
  EXPECT_EQ(h.status().message().find("secretvalue"), std::string::npos) << h.status().message();
  EXPECT_FALSE(parse_header_file_text(": value\n", "f").is_ok());
}

TEST(HttpHeaderSources, PrivateFileIsReadWithoutWarning) {
  TempDir dir;
  auto f = read_header_file(write_file(dir, "Authorization: Bearer x\n", 0600));
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->headers.size(), 1u);
  EXPECT_TRUE(f->warnings.empty());
}

TEST(HttpHeaderSources, ReadableByOthersWarnsWritableByOthersIsRefused) {
  TempDir dir;
  auto readable = read_header_file(write_file(dir, "A: b\n", 0644));
  ASSERT_TRUE(readable.is_ok());
  ASSERT_EQ(readable->warnings.size(), 1u);
  EXPECT_NE(readable->warnings[0].find("644"), std::string::npos) << readable->warnings[0];
  auto writable = read_header_file(write_file(dir, "A: b\n", 0620));
  ASSERT_FALSE(writable.is_ok());
  EXPECT_NE(writable.status().message().find("writable by group or others"), std::string::npos);
  EXPECT_FALSE(read_header_file(dir.path() + "/missing").is_ok());
  EXPECT_FALSE(read_header_file(dir.path()).is_ok());  // a directory
}

TEST(HttpHeaderSources, OtelHeadersArePercentDecodedAndTrimmed) {
  auto h = parse_otel_headers(" api-key = a%20b%3Dc , Authorization=Bearer%20tok,,");
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0], (std::pair<std::string, std::string>{"api-key", "a b=c"}));
  EXPECT_EQ((*h)[1], (std::pair<std::string, std::string>{"Authorization", "Bearer tok"}));
  EXPECT_TRUE(parse_otel_headers("")->empty());
}

TEST(HttpHeaderSources, MalformedOtelHeadersGiveAClearError) {
  auto no_eq = parse_otel_headers("a=1,secrettoken");
  ASSERT_FALSE(no_eq.is_ok());
  EXPECT_NE(no_eq.status().message().find("OTEL_EXPORTER_OTLP_HEADERS entry 2"), std::string::npos)
      << no_eq.status().message();
  EXPECT_EQ(no_eq.status().message().find("secrettoken"), std::string::npos);
  EXPECT_FALSE(parse_otel_headers("=v").is_ok());
  EXPECT_FALSE(parse_otel_headers("k=%zz").is_ok());
  EXPECT_FALSE(parse_otel_headers("k=abc%4").is_ok());
}

TEST(HttpHeaderSources, LaterSourceReplacesSameNameCaseInsensitively) {
  HttpHeaders h{{"Authorization", "old"}, {"X-A", "1"}};
  merge_headers(&h, {{"authorization", "new"}});
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"authorization", "new"}));
}

}  // namespace
}  // namespace spool::engine
