// A spoold agent run by a test: started with port 0 for both endpoints (unless the test
// gives addresses), its "ready" line read to learn the ports, killed and reaped by the
// destructor if the test did not stop it (support/subprocess.h). And a small HTTP client for it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace spool::testing {

class SpooldProcess {
 public:
  // Runs `spoold_path` with `args` (DIR and flags; --otlp-listen / --metrics-listen
  // 127.0.0.1:0 are added when absent) and `env` added to the environment ("K=V").
  SpooldProcess(const std::string& spoold_path, std::vector<std::string> args,
                const std::vector<std::string>& env = {});

  // Whether the ready line came (false: it exited or timed out; see wait()'s output).
  bool ready() const noexcept { return ready_; }
  int otlp_port() const noexcept { return otlp_port_; }
  int metrics_port() const noexcept { return metrics_port_; }
  pid_t pid() const { return child_->pid(); }

  void kill(int signal) { child_->kill(signal); }
  ProcessResult wait() { return child_->wait(); }
  // The ready line and whatever else it printed before it (for failure messages).
  const std::string& ready_line() const noexcept { return ready_line_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  bool ready_ = false;
  int otlp_port_ = 0;
  int metrics_port_ = 0;
  std::string ready_line_;
};

}  // namespace spool::testing
