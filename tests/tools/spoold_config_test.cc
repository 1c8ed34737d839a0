// spoold's configuration: each source, their precedence, the checks, and the masking of
// secrets in the JSON form.
#include "tools/spoold/spoold_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace spool::tools {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Loaded {
  Status status;
  SpooldCommandLine line;
};

Loaded load(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), "spoold");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  Loaded loaded;
  loaded.status = load_spoold_config(static_cast<int>(argv.size()), argv.data(), env, &loaded.line);
  return loaded;
}

// The error message of a load that must fail.
std::string error_of(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  Loaded loaded = load(std::move(args), env);
  EXPECT_FALSE(loaded.status.is_ok());
  EXPECT_EQ(loaded.status.code(), StatusCode::kInvalidArgument);
  return loaded.status.message();
}

class SpooldConfigTest : public ::testing::Test {
 protected:
  // A config file in the test's directory; returns its path.
  std::string config_file(const std::string& text) {
    const std::string path = dir_.sub("spoold.toml");
    testing::write_file(path, text);
    return path;
  }
  std::string private_file(const std::string& name, const std::string& text) {
    const std::string path = dir_.sub(name);
    testing::write_file(path, text);
    ::chmod(path.c_str(), 0600);
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(SpooldConfigTest, DefaultsNeedOnlyTheDirectory) {
  Loaded loaded = load({"/var/lib/spool"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const SpooldConfig& c = loaded.line.config;
  EXPECT_EQ(c.dir, "/var/lib/spool");
  EXPECT_EQ(c.max_size_mb, 0u);
  EXPECT_EQ(c.retention_days, 0u);
  EXPECT_EQ(c.service_name, "spoold");
  EXPECT_EQ(c.otlp_listen, "127.0.0.1:4318");
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(c.ack, AckMode::kCommitted);
  EXPECT_EQ(c.max_body_bytes, 16u << 20);
  EXPECT_EQ(c.drain_timeout_ms, 10000u);
  EXPECT_TRUE(c.token.empty());
  EXPECT_TRUE(c.sinks.empty());
  EXPECT_FALSE(loaded.line.help || loaded.line.version || loaded.line.print_config);
  EXPECT_NE(loaded.line.help_text.find("usage: spoold"), std::string::npos);
}

TEST_F(SpooldConfigTest, TheDirectoryIsRequired) {
  EXPECT_NE(error_of({}).find("no log directory"), std::string::npos);
  EXPECT_NE(error_of({"a", "b"}).find("unexpected argument 'b'"), std::string::npos);
}

TEST_F(SpooldConfigTest, HelpVersionAndPrintConfigAreActionsNotErrors) {
  Loaded help = load({"--help"});
  ASSERT_TRUE(help.status.is_ok()) << help.status.message();
  EXPECT_TRUE(help.line.help);
  for (std::string_view flag : {"SPOOL_DIR", "--otlp-listen", "--token-file", "--to", "--buffer",
                                "SPOOL_OTLP_TOKEN", "[[sink]]"}) {
    EXPECT_NE(help.line.help_text.find(flag), std::string::npos) << flag;
  }
  Loaded version = load({"--version"});
  ASSERT_TRUE(version.status.is_ok());
  EXPECT_TRUE(version.line.version);
  Loaded print = load({"--print-config", "d"});
  ASSERT_TRUE(print.status.is_ok());
  EXPECT_TRUE(print.line.print_config);
}

TEST_F(SpooldConfigTest, EveryFlag) {
  const std::string token = private_file("token", "  s3cret\n");
  const std::string cert = private_file("cert.pem", "cert");
  const std::string key = private_file("key.pem", "key");
  Loaded loaded = load({"--max-size-mb",
                        "512",
                        "--retention-days=7",
                        "--device-id",
                        "edge-7",
                        "--service-name",
                        "gw",
                        "--otlp-listen",
                        "[::]:4318",
                        "--metrics-listen",
                        "off",
                        "--ack",
                        "written",
                        "--max-body-bytes",
                        "4MiB",
                        "--token-file",
                        token,
                        "--tls-cert",
                        cert,
                        "--tls-key",
                        key,
                        "--drain-timeout-ms",
                        "2500",
                        "--to",
                        "http://collector:4318",
                        "--to",
                        "file:/tmp/out.jsonl",
                        "--resource-attribute",
                        "region=eu",
                        "--buffer",
                        "durability=batch",
                        "d"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const SpooldConfig& c = loaded.line.config;
  EXPECT_EQ(c.max_size_mb, 512u);
  EXPECT_EQ(c.retention_days, 7u);
  EXPECT_EQ(c.device_id, "edge-7");
  EXPECT_EQ(c.service_name, "gw");
  EXPECT_EQ(c.otlp_listen, "[::]:4318");
  EXPECT_EQ(c.metrics_listen, "");
  EXPECT_EQ(c.ack, AckMode::kWritten);
  EXPECT_EQ(c.max_body_bytes, 4u << 20);
  EXPECT_EQ(c.token, "s3cret");  // trimmed
  EXPECT_EQ(c.token_file, token);
  EXPECT_EQ(c.tls_cert_file, cert);
  EXPECT_EQ(c.tls_key_file, key);
  EXPECT_EQ(c.drain_timeout_ms, 2500u);
  ASSERT_EQ(c.sinks.size(), 2u);
  EXPECT_EQ(c.sinks[0].url, "http://collector:4318");
  EXPECT_EQ(c.sinks[0].cursor, "sink-0");
  EXPECT_EQ(c.sinks[1].url, "file:/tmp/out.jsonl");
  EXPECT_EQ(c.sinks[1].cursor, "sink-1");
  EXPECT_EQ(c.resource_attributes, (Pairs{{"region", "eu"}}));
  EXPECT_EQ(c.buffer_options.at("durability"), "batch");
}

TEST_F(SpooldConfigTest, EveryEnvironmentVariable) {
  const std::string cert = private_file("cert.pem", "cert");
  const std::string key = private_file("key.pem", "key");
  Loaded loaded = load(
      {}, {"SPOOL_DIR=/data/spool", "SPOOL_MAX_SIZE_MB=100", "SPOOL_RETENTION_DAYS=3",
           "SPOOL_DEVICE_ID=dev-1", "OTEL_SERVICE_NAME=svc", "SPOOL_OTLP_LISTEN=localhost:5318",
           "SPOOL_METRICS_LISTEN=127.0.0.1:9999", "SPOOL_ACK=written", "SPOOL_MAX_BODY_BYTES=1000",
           "SPOOL_OTLP_TOKEN= tok ", "SPOOL_TLS_CERT_FILE=" + cert, "SPOOL_TLS_KEY_FILE=" + key,
           "SPOOL_DRAIN_TIMEOUT_MS=5", "OTEL_RESOURCE_ATTRIBUTES=a=1,b=x%2Cy%3Dz, ,c = 3 ",
           "UNRELATED=1", "NOEQUALS", "SPOOL_DEVICE_ID_OTHER=x"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const SpooldConfig& c = loaded.line.config;
  EXPECT_EQ(c.dir, "/data/spool");
  EXPECT_EQ(c.max_size_mb, 100u);
  EXPECT_EQ(c.retention_days, 3u);
  EXPECT_EQ(c.device_id, "dev-1");
  EXPECT_EQ(c.service_name, "svc");
  EXPECT_EQ(c.otlp_listen, "localhost:5318");
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9999");
  EXPECT_EQ(c.ack, AckMode::kWritten);
  EXPECT_EQ(c.max_body_bytes, 1000u);
  EXPECT_EQ(c.token, "tok");
  EXPECT_TRUE(c.token_file.empty());
  EXPECT_EQ(c.tls_cert_file, cert);
  EXPECT_EQ(c.drain_timeout_ms, 5u);
  // Percent-decoded, blanks trimmed, empty entries skipped.
  EXPECT_EQ(c.resource_attributes, (Pairs{{"a", "1"}, {"b", "x,y=z"}, {"c", "3"}}));
}

TEST_F(SpooldConfigTest, AnEmptyVariableCountsAsUnset) {
  Loaded loaded = load({"d"}, {"SPOOL_ACK=", "OTEL_SERVICE_NAME="});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  EXPECT_EQ(loaded.line.config.ack, AckMode::kCommitted);
  EXPECT_EQ(loaded.line.config.service_name, "spoold");
}

TEST_F(SpooldConfigTest, EveryConfigFileKey) {
  const std::string token = private_file("token", "file-token");
  const std::string path = config_file(R"(# spoold
dir = "/srv/spool"
max_size_mb = 2048
retention_days = 30
device_id = "rpi-4"
service_name = "edge"
otlp_listen = "0.0.0.0:4318"
metrics_listen = ""
ack = "written"
max_body_bytes = "8MiB"
token_file = ")" + token + R"("
drain_timeout_ms = 100

[resource]
"deployment.environment" = "prod"
rack = 12

[buffer]
durability = "interval"
sync_interval_ms = 50
queue_bytes = "32MiB"
adaptive_budget = false
sample_above_fill = 0.75

[[sink]]
url = "https://otlp.example.com:4318"
cursor = "cloud"
compression = "gzip"
headers = { "x-api-key" = "k3y" }
rate_limit = "1MiB"
daily_cap = 500000000
critical_reserve = "50M"

[[sink]]
url = "jsonl:/var/log/spool.jsonl"
)");
  Loaded loaded = load({"--config", path});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const SpooldConfig& c = loaded.line.config;
  EXPECT_EQ(c.dir, "/srv/spool");
  EXPECT_EQ(c.max_size_mb, 2048u);
  EXPECT_EQ(c.retention_days, 30u);
  EXPECT_EQ(c.device_id, "rpi-4");
  EXPECT_EQ(c.service_name, "edge");
  EXPECT_EQ(c.otlp_listen, "0.0.0.0:4318");  // not loopback: allowed with the token
  EXPECT_EQ(c.metrics_listen, "");
  EXPECT_EQ(c.ack, AckMode::kWritten);
  EXPECT_EQ(c.max_body_bytes, 8u << 20);
  EXPECT_EQ(c.token, "file-token");
  EXPECT_EQ(c.drain_timeout_ms, 100u);
  EXPECT_EQ(c.resource_attributes, (Pairs{{"deployment.environment", "prod"}, {"rack", "12"}}));
  EXPECT_EQ(c.buffer_options.size(), 5u);
  EXPECT_EQ(c.buffer_options.at("queue_bytes"), "32MiB");
  EXPECT_EQ(c.buffer_options.at("adaptive_budget"), "false");
  ASSERT_EQ(c.sinks.size(), 2u);
  EXPECT_EQ(c.sinks[0].cursor, "cloud");
  EXPECT_EQ(c.sinks[0].compression, "gzip");
  EXPECT_EQ(c.sinks[0].headers, (Pairs{{"x-api-key", "k3y"}}));
  EXPECT_EQ(c.sinks[0].bandwidth.rate_limit_bytes_per_s, 1u << 20);
  EXPECT_EQ(c.sinks[0].bandwidth.daily_cap_bytes, 500'000'000u);
  EXPECT_EQ(c.sinks[0].bandwidth.critical_reserve_bytes, 50u << 20);
  EXPECT_EQ(c.sinks[1].cursor, "sink-1");
  EXPECT_EQ(c.sinks[1].bandwidth.rate_limit_bytes_per_s, 0u);  // off unless set
  EXPECT_EQ(c.sinks[1].bandwidth.daily_cap_bytes, 0u);

  Options options;
  ASSERT_TRUE(apply_buffer_options(c.buffer_options, &options).is_ok());
  EXPECT_EQ(options.log.durability, Durability::kInterval);
  EXPECT_EQ(options.log.sync_interval_ms, 50u);
  EXPECT_EQ(options.queue_bytes, 32u << 20);
  EXPECT_FALSE(options.adaptive_budget);
  EXPECT_DOUBLE_EQ(options.sample_above_fill, 0.75);
}

TEST_F(SpooldConfigTest, BufferOptionsOfTheLog) {
  Loaded loaded = load({"--max-size-mb", "100", "--retention-days", "2", "--buffer",
                        "full_policy=block", "--buffer", "queue_bytes=8M", "d"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  Options options;
  ASSERT_TRUE(spoold_buffer_options(loaded.line.config, &options).is_ok());
  EXPECT_EQ(options.role, Role::kWriter);
  EXPECT_EQ(options.log.retention_bytes, 100u << 20);
  EXPECT_EQ(options.log.retention_max_age_ms, 2u * 86'400'000);
  EXPECT_EQ(options.full_policy, FullPolicy::kBlock);
  EXPECT_EQ(options.queue_bytes, 8u << 20);
  // Unset caps leave the Buffer's defaults.
  Options defaults;
  ASSERT_TRUE(spoold_buffer_options(load({"d"}).line.config, &defaults).is_ok());
  EXPECT_EQ(defaults.log.retention_bytes, Options{}.log.retention_bytes);
  EXPECT_EQ(defaults.log.retention_max_age_ms, Options{}.log.retention_max_age_ms);
  EXPECT_EQ(error_of({"--max-size-mb", "17592186044416", "d"}),
            "--max-size-mb: '17592186044416' is out of range (at most 17592186044415)");
}

TEST_F(SpooldConfigTest, TheConfigFileComesFromSpoolConfigUnlessTheFlagNamesOne) {
  const std::string path = config_file("dir = \"from-file\"\n");
  Loaded by_env = load({}, {"SPOOL_CONFIG=" + path});
  ASSERT_TRUE(by_env.status.is_ok()) << by_env.status.message();
  EXPECT_EQ(by_env.line.config.dir, "from-file");
  const std::string missing = dir_.sub("missing.toml");
  EXPECT_EQ(error_of({}, {"SPOOL_CONFIG=" + missing}),
            "environment SPOOL_CONFIG " + missing + ": cannot be read: No such file or directory");
  // The flag wins: the variable's (missing) file is not read.
  Loaded by_flag = load({"--config", path}, {"SPOOL_CONFIG=" + missing});
  EXPECT_TRUE(by_flag.status.is_ok()) << by_flag.status.message();
}

TEST_F(SpooldConfigTest, PrecedenceDefaultsFileEnvironmentFlags) {
  const std::string path = config_file(
      "dir = \"f\"\nmax_size_mb = 1\nretention_days = 1\ndrain_timeout_ms = 1\nack = \"written\"\n"
      "[resource]\nzone = \"file\"\nkeep = \"file\"\n[[sink]]\nurl = \"file:/from/file\"\n");
  // Each key set by one more source than the one before: the last one wins.
  Loaded loaded = load(
      {"--config", path, "--drain-timeout-ms", "3", "--resource-attribute", "zone=flag"},
      {"SPOOL_RETENTION_DAYS=2", "SPOOL_DRAIN_TIMEOUT_MS=2", "OTEL_RESOURCE_ATTRIBUTES=zone=env"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const SpooldConfig& c = loaded.line.config;
  EXPECT_EQ(c.dir, "f");
  EXPECT_EQ(c.max_size_mb, 1u);                // file over default
  EXPECT_EQ(c.retention_days, 2u);             // environment over file
  EXPECT_EQ(c.drain_timeout_ms, 3u);           // flag over environment over file
  EXPECT_EQ(c.ack, AckMode::kWritten);         // file over default
  EXPECT_EQ(c.otlp_listen, "127.0.0.1:4318");  // default
  EXPECT_EQ(c.resource_attributes, (Pairs{{"keep", "file"}, {"zone", "flag"}}));  // merged by key
  ASSERT_EQ(c.sinks.size(), 1u);
  EXPECT_EQ(c.sinks[0].url, "file:/from/file");

  // The positional DIR wins over SPOOL_DIR over the file's dir.
  EXPECT_EQ(load({"--config", path}, {"SPOOL_DIR=e"}).line.config.dir, "e");
  EXPECT_EQ(load({"--config", path, "p"}, {"SPOOL_DIR=e"}).line.config.dir, "p");
}

TEST_F(SpooldConfigTest, SinkListsReplaceEachOtherInPrecedenceOrder) {
  const std::string path =
      config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\n[[sink]]\nurl = \"file:/b\"\n");
  Loaded env = load({"--config", path}, {"OTEL_EXPORTER_OTLP_ENDPOINT=http://otel:4318/"});
  ASSERT_TRUE(env.status.is_ok()) << env.status.message();
  ASSERT_EQ(env.line.config.sinks.size(), 1u);
  // The OTel base URL is the OTLP sink's endpoint unchanged: the sink appends /v1/traces etc.
  EXPECT_EQ(env.line.config.sinks[0].url, "http://otel:4318/");
  EXPECT_EQ(env.line.config.sinks[0].cursor, "sink-0");
  Loaded flag = load({"--config", path, "--to", "jsonl:/c"},
                     {"OTEL_EXPORTER_OTLP_ENDPOINT=http://otel:4318"});
  ASSERT_TRUE(flag.status.is_ok()) << flag.status.message();
  ASSERT_EQ(flag.line.config.sinks.size(), 1u);
  EXPECT_EQ(flag.line.config.sinks[0].url, "jsonl:/c");
}

TEST_F(SpooldConfigTest, OtelHeadersAndCompressionGoToTheOtelSink) {
  Loaded loaded = load({"d"}, {"OTEL_EXPORTER_OTLP_ENDPOINT=https://api.example.com",
                               "OTEL_EXPORTER_OTLP_HEADERS=x-api-key=abc%3D,x-team = t1",
                               "OTEL_EXPORTER_OTLP_COMPRESSION=gzip"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  ASSERT_EQ(loaded.line.config.sinks.size(), 1u);
  const SinkConfig& sink = loaded.line.config.sinks[0];
  EXPECT_EQ(sink.headers, (Pairs{{"x-api-key", "abc="}, {"x-team", "t1"}}));
  EXPECT_EQ(sink.compression, "gzip");

  // Without the endpoint variable they go to the http(s) sinks of --to (not to file sinks).
  Loaded to =
      load({"--to", "http://a:1", "--to", "file:/x", "d"}, {"OTEL_EXPORTER_OTLP_HEADERS=k=v"});
  ASSERT_TRUE(to.status.is_ok()) << to.status.message();
  EXPECT_EQ(to.line.config.sinks[0].headers, (Pairs{{"k", "v"}}));
  EXPECT_TRUE(to.line.config.sinks[1].headers.empty());

  // When --to replaces the endpoint's sink, the endpoint's headers are not sent elsewhere.
  Loaded replaced = load(
      {"--to", "http://other:1", "d"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT=https://api.example.com", "OTEL_EXPORTER_OTLP_HEADERS=k=v"});
  ASSERT_TRUE(replaced.status.is_ok()) << replaced.status.message();
  EXPECT_TRUE(replaced.line.config.sinks[0].headers.empty());
  EXPECT_EQ(replaced.line.warnings.size(), 1u);

  // With neither, they are ignored, and a warning says so.
  Loaded none = load({"d"}, {"OTEL_EXPORTER_OTLP_HEADERS=k=v"});
  ASSERT_TRUE(none.status.is_ok()) << none.status.message();
  ASSERT_EQ(none.line.warnings.size(), 1u);
  EXPECT_NE(none.line.warnings[0].find("OTEL_EXPORTER_OTLP_HEADERS is ignored"), std::string::npos);
}

TEST_F(SpooldConfigTest, ServiceNameFromResourceAttributesUnlessOtelServiceNameSaysOtherwise) {
  Loaded from_attributes =
      load({"d"}, {"OTEL_RESOURCE_ATTRIBUTES=service.name=api,device.id=d9,x=1"});
  ASSERT_TRUE(from_attributes.status.is_ok());
  EXPECT_EQ(from_attributes.line.config.service_name, "api");
  EXPECT_EQ(from_attributes.line.config.device_id, "d9");
  EXPECT_EQ(from_attributes.line.config.resource_attributes, (Pairs{{"x", "1"}}));
  EXPECT_EQ(effective_resource_attributes(from_attributes.line.config),
            (Pairs{{"x", "1"}, {"service.name", "api"}, {"device.id", "d9"}}));

  Loaded both =
      load({"d"}, {"OTEL_RESOURCE_ATTRIBUTES=service.name=api", "OTEL_SERVICE_NAME=named"});
  EXPECT_EQ(both.line.config.service_name, "named");
  // A lower source's service.name does not replace a higher source's service_name.
  const std::string path = config_file("[resource]\n\"service.name\" = \"file\"\n");
  Loaded lower = load({"--config", path, "--service-name", "flag", "d"});
  EXPECT_EQ(lower.line.config.service_name, "flag");
}

TEST_F(SpooldConfigTest, ErrorsNameTheKeyAndTheSource) {
  EXPECT_EQ(error_of({"--ack", "maybe", "d"}), "--ack: 'maybe' is not one of committed, written");
  EXPECT_EQ(error_of({"d"}, {"SPOOL_MAX_SIZE_MB=ten"}),
            "environment SPOOL_MAX_SIZE_MB: 'ten' is not a number");
  EXPECT_EQ(error_of({"--max-size-mb=-1", "d"}), "--max-size-mb: '-1' is not a number");
  EXPECT_EQ(error_of({"--retention-days", "4294967296", "d"}),
            "--retention-days: '4294967296' is out of range (at most 4294967295)");
  EXPECT_EQ(error_of({"--drain-timeout-ms", "d"}), "--drain-timeout-ms: 'd' is not a number");
  EXPECT_EQ(error_of({"d", "--drain-timeout-ms"}), "--drain-timeout-ms: needs a value");
  EXPECT_EQ(error_of({"--max-body-bytes", "0", "d"}),
            "--max-body-bytes: '0' is not a size above 0 (a number, optionally with K, M or G)");
  EXPECT_EQ(error_of({"--colour", "d"}), "unknown option --colour (see --help)");
  EXPECT_EQ(error_of({"--otlp-listen", "4318", "d"}),
            "--otlp-listen: '4318' is not HOST:PORT (port 0-65535, 0 = a free port; an IPv6 host in "
            "brackets: [::1]:4318)");
  EXPECT_NE(error_of({"d"}, {"SPOOL_METRICS_LISTEN=host:x"})
                .find("environment SPOOL_METRICS_LISTEN: 'host:x'"),
            std::string::npos);
  EXPECT_EQ(error_of({"--buffer", "durability=sometimes", "d"}),
            "--buffer: durability: 'sometimes' is not one of batch, interval, none");
  EXPECT_NE(
      error_of({"--buffer", "colour=blue", "d"}).find("--buffer: 'colour' is not a buffer option"),
      std::string::npos);
  EXPECT_EQ(error_of({"--resource-attribute", "novalue", "d"}),
            "--resource-attribute: 'novalue' is not KEY=VALUE");
  EXPECT_EQ(error_of({"d"}, {"OTEL_RESOURCE_ATTRIBUTES=a=1,b"}),
            "environment OTEL_RESOURCE_ATTRIBUTES entry 2: expected key=value (no '=' found)");
  EXPECT_EQ(error_of({"d"}, {"OTEL_RESOURCE_ATTRIBUTES=a=%zz"}),
            "environment OTEL_RESOURCE_ATTRIBUTES entry 1: bad percent-encoding ('%' must be "
            "followed by two hex digits)");
  EXPECT_EQ(error_of({"d"},
                     {"OTEL_EXPORTER_OTLP_ENDPOINT=http://x", "OTEL_EXPORTER_OTLP_HEADERS=secret"}),
            "environment OTEL_EXPORTER_OTLP_HEADERS entry 1: expected key=value (no '=' found)");
  EXPECT_EQ(error_of({"d"}, {"OTEL_EXPORTER_OTLP_ENDPOINT=http://x",
                             "OTEL_EXPORTER_OTLP_COMPRESSION=brotli"}),
            "environment OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' is not one of gzip, none, zstd");
}

TEST_F(SpooldConfigTest, ConfigFileErrorsNameTheFileAndTheKey) {
  const std::string path = dir_.sub("spoold.toml");
  auto file_error = [&](const std::string& text) {
    config_file(text);
    return error_of({"--config", path, "d"});
  };
  EXPECT_EQ(file_error("max_size_mb = \"ten\"\n"),
            "config file " + path + ": max_size_mb: expected an integer, got string");
  EXPECT_EQ(file_error("dir = 5\n"),
            "config file " + path + ": dir: expected a string, got integer");
  EXPECT_EQ(file_error("retention_days = -3\n"),
            "config file " + path + ": retention_days: expected a non-negative integer, got -3");
  EXPECT_EQ(file_error("ack = \"maybe\"\n"),
            "config file " + path + ": ack: 'maybe' is not one of committed, written");
  EXPECT_EQ(file_error("max_sise_mb = 5\n"), "config file " + path + ": max_sise_mb: unknown key");
  EXPECT_EQ(file_error("[buffer]\ndurabilty = \"batch\"\n")
                .rfind("config file " + path +
                           ": buffer: 'durabilty' is not a buffer option (durability, ",
                       0),
            0u);
  EXPECT_EQ(
      file_error("[buffer]\nqueue_bytes = \"lots\"\n"),
      "config file " + path +
          ": buffer: queue_bytes: 'lots' is not a size (a number, optionally with K, M or G)");
  EXPECT_EQ(
      file_error("[[sink]]\nurl = \"file:/x\"\ncolour = \"red\"\n"),
      "config file " + path +
          ": sink[0].colour: unknown key (a sink has url, cursor, headers, compression, encoding, "
          "order, min_priority, min_severity, select, redact, redact_key_file, rate_limit, "
          "daily_cap, "
          "critical_reserve, lanes)");
  EXPECT_EQ(file_error("[[sink]]\nurl = \"file:/x\"\nrate_limit = \"fast\"\n"),
            "config file " + path +
                ": sink[0].rate_limit: 'fast' is not a size (a number of bytes, optionally with K, "
                "M or G: powers of 1024, or kB, MB, GB: powers of 1000)");
  EXPECT_EQ(file_error("[[sink]]\nurl = \"file:/x\"\ndaily_cap = -1\n"),
            "config file " + path + ": sink[0].daily_cap: expected a non-negative size, got -1");
  EXPECT_EQ(
      file_error("[[sink]]\nurl = \"file:/x\"\ndaily_cap = 1.5\n"),
      "config file " + path + ": sink[0].daily_cap: expected an integer or a string, got float");
  EXPECT_EQ(file_error("[[sink]]\ncursor = \"x\"\n"),
            "config file " + path + ": sink[0]: url is missing");
  EXPECT_EQ(file_error("[[sink]]\nurl = \"file:/x\"\nheaders = { k = 1 }\n"),
            "config file " + path + ": sink[0].headers.k: expected a string, got integer");
  EXPECT_EQ(file_error("sink = \"file:/x\"\n"),
            "config file " + path + ": sink: expected an array of tables ([[sink]]), got string");
  EXPECT_EQ(file_error("sink = [1]\n"),
            "config file " + path + ": sink: expected an array of tables ([[sink]]), got array");
  config_file("sink = []\n");
  const Loaded no_sinks = load({"--config", path, "d"});
  EXPECT_TRUE(no_sinks.status.is_ok()) << no_sinks.status.message();
  EXPECT_TRUE(no_sinks.line.config.sinks.empty());
  EXPECT_EQ(file_error("resource = 1\n"),
            "config file " + path + ": resource: expected a table, got integer");
  const std::string syntax = file_error("dir = \n");
  EXPECT_EQ(syntax.rfind("config file " + path + ": line 1, column ", 0), 0u) << syntax;
}

TEST_F(SpooldConfigTest, ANonLoopbackReceiverNeedsAToken) {
  EXPECT_EQ(error_of({"--otlp-listen", "0.0.0.0:4318", "d"}),
            "--otlp-listen 0.0.0.0:4318 is not loopback: a bearer token is required (--token-file "
            "or SPOOL_OTLP_TOKEN)");
  EXPECT_EQ(error_of({"d"}, {"SPOOL_OTLP_LISTEN=[::]:4318"}),
            "environment SPOOL_OTLP_LISTEN [::]:4318 is not loopback: a bearer token is required "
            "(--token-file or "
            "SPOOL_OTLP_TOKEN)");
  for (std::string loopback : {"127.0.0.1:4318", "127.1.2.3:80", "localhost:4318", "[::1]:4318"}) {
    EXPECT_TRUE(load({"--otlp-listen", loopback, "d"}).status.is_ok()) << loopback;
  }
  EXPECT_TRUE(load({"--otlp-listen", "0.0.0.0:4318", "d"}, {"SPOOL_OTLP_TOKEN=t"}).status.is_ok());
}

TEST_F(SpooldConfigTest, TokenFileChecks) {
  EXPECT_EQ(error_of({"--token-file", dir_.sub("none"), "d"}),
            "--token-file " + dir_.sub("none") + ": cannot be read: No such file or directory");
  const std::string empty = private_file("empty", " \n");
  EXPECT_EQ(error_of({"--token-file", empty, "d"}), "--token-file " + empty + ": is empty");
  const std::string spaced = private_file("spaced", "two words\n");
  EXPECT_EQ(error_of({"--token-file", spaced, "d"}),
            "--token-file " + spaced + ": the token contains spaces or control characters");
  const std::string writable = private_file("writable", "t");
  ::chmod(writable.c_str(), 0666);
  EXPECT_EQ(error_of({"--token-file", writable, "d"}),
            "--token-file " + writable + ": is writable by group or others");
  const std::string readable = private_file("readable", "t");
  ::chmod(readable.c_str(), 0644);
  Loaded warned = load({"--token-file", readable, "d"});
  ASSERT_TRUE(warned.status.is_ok()) << warned.status.message();
  ASSERT_EQ(warned.line.warnings.size(), 1u);
  EXPECT_NE(warned.line.warnings[0].find("readable by group or others"), std::string::npos);
  // The flag's file wins over the variable's token.
  const std::string token = private_file("token", "from-file");
  EXPECT_EQ(load({"--token-file", token, "d"}, {"SPOOL_OTLP_TOKEN=from-env"}).line.config.token,
            "from-file");
}

TEST_F(SpooldConfigTest, TlsFilesBothOrNeitherAndReadable) {
  const std::string cert = private_file("cert.pem", "c");
  EXPECT_EQ(error_of({"--tls-cert", cert, "d"}),
            "--tls-cert is set without --tls-key: give the certificate and its key, or neither");
  EXPECT_EQ(error_of({"d"}, {"SPOOL_TLS_KEY_FILE=" + cert}),
            "environment SPOOL_TLS_KEY_FILE is set without --tls-cert: give the certificate and "
            "its key, or neither");
  EXPECT_EQ(error_of({"--tls-cert", cert, "--tls-key", dir_.sub("nokey"), "d"}),
            "--tls-key " + dir_.sub("nokey") + ": cannot be read: No such file or directory");
}

TEST_F(SpooldConfigTest, SinkChecks) {
  EXPECT_EQ(error_of({"--to", "ftp://x", "d"}),
            "--to: 'ftp://x' is not a supported URL (http://HOST:PORT, https://HOST:PORT, "
            "kafka://HOST:PORT/TOPIC, file:PATH or jsonl:PATH)");
  EXPECT_EQ(error_of({"--to", "file:", "d"}), "--to: 'file:' names no file (use file:PATH)");
  // Kafka URLs: the form, and the producer's properties as it would take them.
  EXPECT_EQ(error_of({"--to", "kafka://k1:9092", "d"}),
            "--to: 'kafka://k1:9092' names no topic "
            "(kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?PROPERTY=VALUE&...])");
  EXPECT_EQ(error_of({"--to", "kafka://k1:9092/t?acks=0", "d"}),
            "--to: 'kafka://k1:9092/t?acks=REDACTED': Kafka property 'acks' is set by the sink and "
            "cannot be changed");
  const std::string kafka_property = error_of({"--to", "kafka://k1:9092/t?linger.ms=s3cr3t", "d"});
  EXPECT_NE(kafka_property.find("Kafka property 'linger.ms'"), std::string::npos) << kafka_property;
  EXPECT_EQ(kafka_property.find("s3cr3t"), std::string::npos) << kafka_property;
  const std::string kafka_userinfo = error_of({"--to", "kafka://u:pw@k1:9092/t", "d"});
  EXPECT_NE(kafka_userinfo.find("carries credentials"), std::string::npos);
  EXPECT_EQ(kafka_userinfo.find("pw@"), std::string::npos) << kafka_userinfo;
  Loaded kafka = load({"--to", "kafka://k1:9092,k2:9092/otlp-{kind}?linger.ms=20", "d"});
  EXPECT_TRUE(kafka.status.is_ok()) << kafka.status.to_string();
  EXPECT_EQ(error_of({"--to", "http:///v1", "d"}), "--to: 'http:///v1' names no host");
  const std::string userinfo = error_of({"--to", "https://user:pw@host", "d"});
  EXPECT_NE(userinfo.find("carries credentials"), std::string::npos);
  EXPECT_EQ(userinfo.find("pw"), std::string::npos) << userinfo;
  const std::string path = config_file(
      "dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\ncursor = \"c\"\n[[sink]]\nurl = "
      "\"file:/b\"\ncursor = \"c\"\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path +
                ": sink[1]: cursor 'c' is used by another sink (each sink needs its own cursor)");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\ncursor = \"../up\"\n");
  EXPECT_NE(
      error_of({"--config", path}).find("config file " + path + ": sink[0]: cursor name '../up'"),
      std::string::npos);
  config_file("dir = \"d\"\n[[sink]]\nurl = \"http://h:1\"\ncompression = \"lz4\"\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path + ": sink[0]: compression 'lz4' is not one of gzip, none, zstd");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nheaders = { k = \"v\" }\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path + ": sink[0]: headers apply to http(s) sinks only");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"http://h:1\"\nheaders = { k = \"line\\nbreak\" }\n");
  const std::string bad_value = error_of({"--config", path});
  EXPECT_NE(bad_value.find("the value of header 'k' has a line break"), std::string::npos);
  EXPECT_EQ(bad_value.find("line\nbreak"), std::string::npos);
  config_file(
      "dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\ndaily_cap = 100\ncritical_reserve = 200\n");
  EXPECT_EQ(
      error_of({"--config", path}),
      "config file " + path + ": sink[0]: critical_reserve (200) must not exceed daily_cap (100)");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\ncritical_reserve = 200\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path +
                ": sink[0]: critical_reserve (200) must not exceed daily_cap (0, none)");
}

TEST_F(SpooldConfigTest, ListenAddresses) {
  auto a = parse_listen_address("[::1]:4318");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 4318);
  auto b = parse_listen_address("0.0.0.0:65535");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "0.0.0.0");
  auto any = parse_listen_address("127.0.0.1:0");  // a free port
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0);
  EXPECT_EQ(a->text(), "[::1]:4318");
  EXPECT_EQ(any->text(), "127.0.0.1:0");
  for (std::string_view bad : {"", "4318", ":4318", "host:", "host:65536", "::1:4318",
                               "[::1]4318", "[]:1", "host:+1", "ho st:1", "[::1]:"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("127.example.com"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
}

TEST_F(SpooldConfigTest, JsonMasksEverySecret) {
  const std::string token = private_file("token", "t0ken-value");
  const std::string path =
      config_file("dir = \"d\"\ntoken_file = \"" + token +
                  "\"\n[[sink]]\nurl = \"https://otlp.example.com/p?sig=SIGVALUE\"\n"
                  "headers = { Authorization = \"Bearer APIKEY\", x-other = \"OTHER\" }\n");
  Loaded loaded = load({"--config", path}, {"OTEL_RESOURCE_ATTRIBUTES=r=1"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const std::string text = spoold_config_json(loaded.line.config);
  for (std::string_view secret : {"t0ken-value", "SIGVALUE", "APIKEY", "OTHER"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["token"], "***");
  EXPECT_EQ(j["token_file"], token);
  EXPECT_EQ(j["sinks"][0]["headers"]["Authorization"], "***");
  EXPECT_EQ(j["sinks"][0]["headers"]["x-other"], "***");
  EXPECT_EQ(j["sinks"][0]["url"], "https://otlp.example.com/p?sig=REDACTED");
  EXPECT_EQ(j["sinks"][0]["cursor"], "sink-0");
  EXPECT_EQ(j["sinks"][0]["rate_limit"], 0);
  EXPECT_EQ(j["sinks"][0]["daily_cap"], 0);
  EXPECT_EQ(j["sinks"][0]["critical_reserve"], 0);
  EXPECT_EQ(j["resource"]["r"], "1");
  EXPECT_EQ(j["ack"], "committed");
  EXPECT_EQ(j["metrics_listen"], "127.0.0.1:9464");

  Loaded no_token = load({"d"});
  const auto k = nlohmann::json::parse(spoold_config_json(no_token.line.config));
  EXPECT_FALSE(k.contains("token"));
}

TEST_F(SpooldConfigTest, FlagValueForms) {
  // --flag value, --flag=value, and -- ending the flags (a directory named like a flag).
  Loaded loaded = load({"--ack=written", "--", "--odd-dir"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  EXPECT_EQ(loaded.line.config.dir, "--odd-dir");
  EXPECT_EQ(loaded.line.config.ack, AckMode::kWritten);
}

TEST_F(SpooldConfigTest, RedactionPerSinkInTheFile) {
  const std::string key = private_file("redact.key", "0123456789abcdef-key\n");
  const std::string path = config_file(
      "dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nredact = [\"input\", \"output:hash,user.*\"]\n"
      "redact_key_file = \"" +
      key +
      "\"\n[[sink]]\nurl = \"file:/b\"\nredact = \"body:truncate=4\"\n"
      "[[sink]]\nurl = \"file:/c\"\n");
  Loaded loaded = load({"--config", path});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const auto& sinks = loaded.line.config.sinks;
  ASSERT_EQ(sinks.size(), 3u);
  std::vector<std::string> rules;
  for (const RedactionRule& r : sinks[0].redaction.rules) rules.push_back(redaction_rule_text(r));
  EXPECT_EQ(rules, (std::vector<std::string>{"input:drop", "output:hash", "user.*:drop"}));
  EXPECT_EQ(sinks[0].redaction.hash_key,
            "0123456789abcdef-key");  // the trailing newline is not the key's
  ASSERT_EQ(sinks[1].redaction.rules.size(), 1u);
  EXPECT_EQ(sinks[1].redaction.rules[0].truncate_bytes, 4u);
  EXPECT_TRUE(sinks[1].redaction.hash_key.empty());
  EXPECT_TRUE(sinks[2].redaction.rules.empty());
  EXPECT_TRUE(loaded.line.warnings.empty());
  // --print-config shows the rules and where the key is, never the key.
  const std::string text = spoold_config_json(loaded.line.config);
  EXPECT_EQ(text.find("0123456789abcdef-key"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["sinks"][0]["redact"],
            nlohmann::json::parse(R"(["input:drop","output:hash","user.*:drop"])"));
  EXPECT_EQ(j["sinks"][0]["redact_key_file"], key);
  EXPECT_EQ(j["sinks"][2]["redact"], nlohmann::json::array());
  EXPECT_FALSE(j["sinks"][2].contains("redact_key_file"));
}

TEST_F(SpooldConfigTest, RedactionFlagsApplyToTheSinksOfTo) {
  const std::string key = private_file("redact.key", "0123456789abcdef");
  Loaded loaded = load({"--to", "file:/a", "--redact", "input", "--to", "http://h:1",
                        "--redact=output:hash", "--redact-key-file", key, "d"});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  ASSERT_EQ(loaded.line.config.sinks.size(), 2u);
  for (const SinkConfig& sink : loaded.line.config.sinks) {
    ASSERT_EQ(sink.redaction.rules.size(), 2u) << sink.url;
    EXPECT_EQ(sink.redaction.hash_key, "0123456789abcdef");
  }
  // --to replaces the file's sinks and their redaction with its own.
  const std::string path =
      config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nredact = [\"body\"]\n");
  Loaded replaced = load({"--config", path, "--to", "file:/b"});
  ASSERT_TRUE(replaced.status.is_ok()) << replaced.status.message();
  EXPECT_TRUE(replaced.line.config.sinks[0].redaction.rules.empty());
}

TEST_F(SpooldConfigTest, RedactionErrorsNameTheSinkAndTheItem) {
  EXPECT_EQ(error_of({"--redact", "input", "d"}),
            "--redact: applies to the sinks of --to (a [[sink]] has redact and redact_key_file)");
  EXPECT_EQ(error_of({"--to", "file:/a", "--redact", "input,outptu:hsh", "d"}),
            "--redact: 'input,outptu:hsh': item 2 'outptu:hsh': unknown action 'hsh' (drop, hash "
            "or truncate=N)");
  EXPECT_EQ(error_of({"--to", "file:/a", "--redact", "output:hash", "d"}),
            "--redact: rule 'output:hash' hashes, which needs a key (--redact-key-file)");
  EXPECT_EQ(error_of({"--to", "file:/a", "--redact-key-file", "/k", "d"}),
            "--redact-key-file: needs --redact");
  EXPECT_EQ(error_of({"--to", "file:/a", "--redact", "input", "--redact", "input:truncate=3", "d"}),
            "--redact: rule 'input:truncate=3' names input, which rule 'input:drop' names too");
  const std::string short_key = private_file("short.key", "short");
  EXPECT_NE(error_of({"--to", "file:/a", "--redact", "x:hash", "--redact-key-file", short_key, "d"})
                .find("holds 5 bytes; a key needs at least 16"),
            std::string::npos);
  const std::string path =
      config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nredact = [\"x:hash\"]\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path +
                ": sink[0]: redact: rule 'x:hash' hashes, which needs a key (redact_key_file)");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nredact_key_file = \"/k\"\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path + ": sink[0]: redact_key_file needs redact");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nredact = [\"input\", 3]\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path + ": sink[0].redact[1]: expected a string, got integer");
  config_file("dir = \"d\"\n[[sink]]\nurl = \"file:/a\"\nredact = [\"\"]\n");
  EXPECT_EQ(error_of({"--config", path}),
            "config file " + path + ": sink[0]: redact: no rules (expected FIELD[:ACTION][,...])");
  // A key readable by others is a warning, as for the token file.
  const std::string open_key = dir_.sub("open.key");
  testing::write_file(open_key, "0123456789abcdef");
  ::chmod(open_key.c_str(), 0644);
  Loaded warned =
      load({"--to", "file:/a", "--redact", "x:hash", "--redact-key-file", open_key, "d"});
  ASSERT_TRUE(warned.status.is_ok()) << warned.status.message();
  ASSERT_EQ(warned.line.warnings.size(), 1u);
  EXPECT_NE(warned.line.warnings[0].find("readable by group or others"), std::string::npos);
}

TEST_F(SpooldConfigTest, LanesFromTheFileAndSinksThatPickThem) {
  const std::string path = config_file(R"(
dir = "/srv/spool"

[[lane]]
name = "logs"
route = ["log"]
max_bytes = "16MiB"
policy = "drop_oldest"
queue_bytes = 1048576

[[lane]]
name = "spans"
route = "span,*@critical"
full_policy = "block"
durability = "batch"
breaker_failure_threshold = 3

[[sink]]
url = "jsonl:/var/log/spans.jsonl"
lanes = ["spans", "default"]

[[sink]]
url = "jsonl:/var/log/all.jsonl"
)");
  Loaded loaded = load({"--config", path});
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.message();
  const SpooldConfig& c = loaded.line.config;
  ASSERT_EQ(c.lanes.size(), 2u);
  EXPECT_EQ(c.lanes[0].name, "logs");
  EXPECT_EQ(c.lanes[0].route, (std::vector<std::string>{"log"}));
  EXPECT_EQ(c.lanes[0].max_bytes, 16ull << 20);
  EXPECT_EQ(c.lanes[0].full_policy, FullPolicy::kDropOldest);
  EXPECT_EQ(c.lanes[0].queue_bytes, 1ull << 20);
  EXPECT_EQ(c.lanes[1].route, (std::vector<std::string>{"span", "*@critical"}));
  EXPECT_EQ(c.lanes[1].durability, Durability::kBatch);
  EXPECT_EQ(c.lanes[1].breaker_failure_threshold, 3u);
  EXPECT_EQ(c.sinks[0].lanes, (std::vector<std::string>{"spans", "default"}));
  EXPECT_TRUE(c.sinks[1].lanes.empty());
  Options options;
  ASSERT_TRUE(spoold_buffer_options(c, &options).is_ok());
  ASSERT_EQ(options.lanes.size(), 2u);
  EXPECT_EQ(options.lanes[1].name, "spans");

  const auto json = nlohmann::json::parse(spoold_config_json(c));
  EXPECT_EQ(json["lanes"][0]["name"], "logs");
  EXPECT_EQ(json["lanes"][0]["full_policy"], "drop_oldest");
  EXPECT_EQ(json["sinks"][0]["lanes"], nlohmann::json({"spans", "default"}));
  EXPECT_EQ(json["sinks"][1]["lanes"], "all");

  // --lane replaces the file's lanes.
  Loaded flagged = load({"--config", path, "--lane", "debug=log@low;max_bytes=1MiB"});
  ASSERT_TRUE(flagged.status.is_ok()) << flagged.status.message();
  ASSERT_EQ(flagged.line.config.lanes.size(), 1u);
  EXPECT_EQ(flagged.line.config.lanes[0].name, "debug");
}

TEST_F(SpooldConfigTest, BadLanesAreRefusedNamingTheFileAndTheKey) {
  EXPECT_NE(
      error_of({"--config",
                config_file("dir = \"/d\"\n[[lane]]\nname = \"x\"\nroute = \"log\"\ncolour = 1\n")})
          .find("lane[0].colour: unknown lane key 'colour'"),
      std::string::npos);
  EXPECT_NE(error_of({"--config", config_file("dir = \"/d\"\n[[lane]]\nroute = \"log\"\n")})
                .find("lane[0]: name is missing"),
            std::string::npos);
  EXPECT_NE(
      error_of({"/d", "--lane", "a=span", "--lane", "b=span"}).find("lanes 'a' and 'b' both route"),
      std::string::npos);
  EXPECT_NE(error_of({"/d", "--lane", "a"}).find("--lane"), std::string::npos);
}

}  // namespace
}  // namespace spool::tools
