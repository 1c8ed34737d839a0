// spoold DIR: the agent (README "spoold"). Exit status: 0 after a clean shutdown (SIGTERM or
// SIGINT), 2 for a bad configuration (the message names the key), 1 when it cannot run (the
// log is held by another writer, an address is in use, a sink cannot be set up).
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tools/spoold/agent.h"
#include "tools/spoold/spoold_config.h"

extern char** environ;

namespace {

constexpr int kExitConfig = 2;
constexpr int kExitCannotRun = 1;

}  // namespace

int main(int argc, char** argv) {
  using namespace spool::tools;
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  SpooldCommandLine cl;
  if (spool::Status s = load_spoold_config(argc, argv, env, &cl); !s) {
    std::fprintf(stderr, "spoold: %s\n", s.message().c_str());
    return kExitConfig;
  }
  if (cl.help) {
    std::fputs(cl.help_text.c_str(), stdout);
    if (!cl.help_text.empty() && cl.help_text.back() != '\n') std::fputc('\n', stdout);
    return 0;
  }
  for (const std::string& w : cl.warnings) std::fprintf(stderr, "spoold: warning: %s\n", w.c_str());
  if (cl.version) {
    std::printf("spoold %s\n", SPOOL_VERSION);
    return 0;
  }
  if (cl.print_config) {
    std::printf("%s\n", spoold_config_json(cl.config).c_str());
    return 0;
  }

  // Signals are taken by sigwait() below, on this thread: every thread started from here on
  // inherits the mask, so none of them is interrupted by SIGTERM. A peer that hangs up must
  // not kill the agent.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto agent = Agent::start(cl.config);
  if (!agent) {
    std::fprintf(stderr, "spoold: %s\n", agent.status().message().c_str());
    return kExitCannotRun;
  }
  std::string sinks;
  for (const SinkConfig& s : cl.config.sinks) sinks += " " + s.cursor;
  // One line on stdout once both endpoints accept connections (scripts and tests wait for it).
  std::printf("spoold: ready: log %s otlp %s metrics %s sinks%s\n", cl.config.dir.c_str(),
               (*agent)->otlp_address().text().c_str(),
               (*agent)->metrics_address().empty() ? "off" : (*agent)->metrics_address().c_str(),
               sinks.empty() ? " none" : sinks.c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "spoold: %s: draining (up to %u ms)\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM",
               cl.config.drain_timeout_ms);
  const spool::Status s = (*agent)->shutdown();
  if (!s) {
    std::fprintf(stderr, "spoold: shutdown: %s\n", s.message().c_str());
    return kExitCannotRun;
  }
  std::fprintf(stderr, "spoold: stopped cleanly\n");
  return 0;
}
