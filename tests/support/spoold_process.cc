#include "support/spoold_process.h"

#include <cstdlib>

namespace spool::testing {

namespace {

// The port after "<key> HOST:" in the ready line, 0 when absent.
int port_after(const std::string& line, const std::string& key) {
  const auto at = line.find(" " + key + " ");
  if (at == std::string::npos) return 0;
  const auto end = line.find(' ', at + key.size() + 2);
  const std::string address = line.substr(at + key.size() + 2, end - (at + key.size() + 2));
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
}

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

SpooldProcess::SpooldProcess(const std::string& spoold_path, std::vector<std::string> args,
                             const std::vector<std::string>& env) {
  if (!has_flag(args, "--otlp-listen")) args.insert(args.end(), {"--otlp-listen", "127.0.0.1:0"});
  if (!has_flag(args, "--metrics-listen")) args.insert(args.end(), {"--metrics-listen", "127.0.0.1:0"});
  std::vector<std::string> argv;
  if (!env.empty()) {
    argv.push_back("/usr/bin/env");
    argv.insert(argv.end(), env.begin(), env.end());
  }
  argv.push_back(spoold_path);
  argv.insert(argv.end(), args.begin(), args.end());
  child_ = std::make_unique<ChildProcess>(argv);
  while (auto line = child_->read_line()) {
    ready_line_ += *line + "\n";
    if (line->rfind("spoold: ready:", 0) == 0) {
      ready_ = true;
      otlp_port_ = port_after(*line, "otlp");
      metrics_port_ = port_after(*line, "metrics");
      break;
    }
  }
}

}  // namespace spool::testing
