// make_sink_for_url: the URL forms of `spoolctl forward --to` and spool_forwarder_start.
#include "engine/sinks/sink_for_url.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace spool::engine {
namespace {

TEST(SinkForUrl, FileAndJsonlUrlsMakeAFileSinkAndHttpAnOtlpOne) {
  testing::TempDir tmp;
  for (const std::string scheme : {"file:", "jsonl:"}) {
    auto sink = make_sink_for_url(scheme + tmp.path() + "/out.jsonl", OtlpHttpOptions{}, 0600);
    ASSERT_TRUE(sink) << sink.status().to_string();
    EXPECT_NE(sink.value(), nullptr);
  }
  auto http = make_sink_for_url("http://127.0.0.1:4318", OtlpHttpOptions{}, 0600);
  ASSERT_TRUE(http) << http.status().to_string();
}

TEST(SinkForUrl, OtherUrlsAreRefusedNamingThemWithoutTheirSecrets) {
  auto none = make_sink_for_url("file:", OtlpHttpOptions{}, 0600);
  ASSERT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(none.status().message(), "file: names no file (use file:PATH)");
  auto ftp = make_sink_for_url("ftp://user:hunter2@host/x", OtlpHttpOptions{}, 0600);
  ASSERT_EQ(ftp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ftp.status().message().find("is not a supported URL"), std::string::npos);
  EXPECT_EQ(ftp.status().message().find("hunter2"), std::string::npos) << ftp.status().message();
}

}  // namespace
}  // namespace spool::engine
