// spoolctl and lanes: `produce --lane` declares lanes, `lanes` lists them, `stats` shows each
// lane (the default lane's keys at the top, as before lanes), `forward --lane` forwards only
// the lanes it names, each from a cursor of its own.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/spoolctl_runner.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using nlohmann::json;
using testing::spoolctl;
using testing::TempDir;

json run_json(const std::vector<std::string>& args) {
  const testing::ProcessResult r = spoolctl(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << r.out;
    return json::object();
  }
}

std::size_t lines_in(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(SpoolctlLanes, ProduceDeclaresLanesThatStatsLanesAndForwardShow) {
  TempDir tmp;
  const std::string dir = tmp.sub("log");
  // Critical spans to their own lane, the rest to the default lane.
  run_json({"produce", dir, "--spans", "300", "--priority", "critical", "--lane",
            "urgent=*@critical;policy=block"});
  run_json({"produce", dir, "--spans", "200", "--lane", "urgent=*@critical;policy=block"});

  const json lanes = run_json({"lanes", dir});
  ASSERT_EQ(lanes["lanes"].size(), 2u);
  EXPECT_EQ(lanes["lanes"][0]["name"], "default");
  EXPECT_EQ(lanes["lanes"][0]["records"], 200);
  EXPECT_EQ(lanes["lanes"][1]["name"], "urgent");
  EXPECT_EQ(lanes["lanes"][1]["dir"], dir + "/lanes/urgent");
  EXPECT_EQ(lanes["lanes"][1]["records"], 300);
  EXPECT_NE(lanes["lanes"][0]["log_id"], lanes["lanes"][1]["log_id"]);
  // The route and settings as the writer declared them.
  EXPECT_EQ(lanes["lanes"][0]["route"], json::array());
  EXPECT_EQ(lanes["lanes"][0]["retired"], false);
  EXPECT_EQ(lanes["lanes"][1]["route"], json::array({"*@critical"}));
  EXPECT_EQ(lanes["lanes"][1]["retired"], false);
  EXPECT_EQ(lanes["lanes"][1]["settings"]["full_policy"], "block");
  EXPECT_EQ(lanes["lanes"][1]["settings"]["disk_full_policy"], "block");

  // A produce run that declares no lanes routes by what was recorded: critical spans still go
  // to their lane.
  run_json({"produce", dir, "--spans", "50", "--priority", "critical"});
  EXPECT_EQ(run_json({"lanes", dir})["lanes"][1]["records"], 350);

  const json stats = run_json({"stats", dir});
  EXPECT_EQ(stats["log"]["records"], 200);  // the default lane's, as before lanes
  ASSERT_EQ(stats["lanes"].size(), 2u);
  EXPECT_EQ(stats["lanes"][1]["name"], "urgent");
  EXPECT_EQ(stats["lanes"][1]["log"]["records"], 350);
  const json one = run_json({"stats", dir, "--lane", "urgent"});
  EXPECT_EQ(one["lane"], "urgent");
  EXPECT_EQ(one["log"]["records"], 350);
  // health checks every lane; a lane's forwarding problems name it.
  const testing::ProcessResult healthy = spoolctl({"health", dir});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.out << healthy.err;
  EXPECT_EQ(healthy.out, "healthy\n");
  const testing::ProcessResult missing = spoolctl({"stats", dir, "--lane", "nope"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no lane 'nope'"), std::string::npos) << missing.err;

  // Forward only the urgent lane; then everything (the urgent lane's cursor is past it).
  const std::string urgent_out = tmp.sub("urgent.jsonl");
  const json only =
      run_json({"forward", dir, "--to", "jsonl:" + urgent_out, "--drain", "--lane", "urgent"});
  EXPECT_EQ(only["delivered"], 350);
  ASSERT_EQ(only["lanes"].size(), 1u);
  EXPECT_EQ(only["lanes"][0]["lane"], "urgent");
  EXPECT_EQ(lines_in(urgent_out), 350u);
  // Ten more critical spans: the urgent lane's cursor lags, and health says which lane.
  run_json({"produce", dir, "--spans", "10", "--priority", "critical", "--lane",
            "urgent=*@critical;policy=block"});
  const testing::ProcessResult lagging = spoolctl({"health", dir, "--max-lag-s", "0"});
  EXPECT_EQ(lagging.exit_code, 1) << lagging.err;
  EXPECT_NE(lagging.out.find("warning: forward_lag: lane 'urgent': "), std::string::npos)
      << lagging.out;
  const std::string all_out = tmp.sub("all.jsonl");
  const json all = run_json({"forward", dir, "--to", "jsonl:" + all_out, "--drain"});
  // The same cursor name, one cursor per lane: the urgent lane's is past its records already.
  EXPECT_EQ(all["delivered"], 210);
  ASSERT_EQ(all["lanes"].size(), 2u);
  EXPECT_EQ(all["lanes"][0]["delivered"], 200);
  EXPECT_EQ(all["lanes"][1]["delivered"], 10);
  EXPECT_EQ(lines_in(all_out), 210u);
}

}  // namespace
}  // namespace spool
