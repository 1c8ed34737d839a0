#include "tools/spoold/listen_address.h"

#include <gtest/gtest.h>

namespace spool::tools {
namespace {

TEST(SpooldListenAddress, ParsesHostAndPortForms) {
  auto v4 = parse_listen_address("127.0.0.1:4318", "--otlp-listen");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 4318);
  auto v6 = parse_listen_address("[::1]:9464", "--metrics-listen");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->text(), "[::1]:9464");
  auto any = parse_listen_address("localhost:0", "x");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0);
}

TEST(SpooldListenAddress, RejectsWhatIsNotHostColonPortNamingTheFlag) {
  for (const char* bad : {"4318", "127.0.0.1:", ":4318", "127.0.0.1:65536", "127.0.0.1:43x", "::1:4318", "[::1]4318"}) {
    auto r = parse_listen_address(bad, "--otlp-listen");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.status().message().rfind("--otlp-listen: '", 0), 0u) << r.status().message();
  }
}

TEST(SpooldListenAddress, KnowsLoopbackFromReachableAddresses) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com", "fe80::1"}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

}  // namespace
}  // namespace spool::tools
