// spoolctl: inspect, verify and repair spool logs from the command line.
//
// This file only dispatches; each command lives in commands/. Every usage error exits 2 with
// a message on stderr (CLI11's own exit codes are not used: scripts get one error code).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tools/commands/commands.h"
#include "tools/exit_codes.h"

namespace {

using spool::tools::Command;
using spool::tools::kExitError;
using spool::tools::kExitOk;

std::string command_names(const std::vector<Command>& commands) {
  std::string names;
  for (const Command& c : commands) {
    if (!names.empty()) names += ", ";
    names += c.app->get_name();
  }
  return names;
}

int usage_error(const std::string& message, const std::string& command = "") {
  const std::string help = command.empty() ? "spoolctl --help" : "spoolctl " + command + " --help";
  std::fprintf(stderr, "spoolctl: %s\nRun '%s' for usage.\n", message.c_str(), help.c_str());
  return kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "spoolctl: inspect, verify and repair spool segment logs; produce load; forward logs and "
      "inspect their cursors, health and dead letters"};
  app.name("spoolctl");
  app.set_version_flag("--version", SPOOL_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Run 'spoolctl COMMAND --help' for a command's options.\n"
      "Exit status: 0 success, 1 damage found (verify), warnings (health) or drain timed out "
      "(forward --drain-timeout-s), 2 error or bad usage.");

  std::vector<Command> commands{
      spool::tools::add_append_command(app),  spool::tools::add_dump_command(app),
      spool::tools::add_verify_command(app),  spool::tools::add_recover_command(app),
      spool::tools::add_produce_command(app), spool::tools::add_forward_command(app),
      spool::tools::add_cursors_command(app), spool::tools::add_stats_command(app),
      spool::tools::add_health_command(app),  spool::tools::add_deadletters_command(app),
      spool::tools::add_cleanup_command(app), spool::tools::add_lanes_command(app),
  };

  // CLI11 reports an unknown command as a missing one; say what actually happened.
  if (argc < 2) return usage_error("no command given (commands: " + command_names(commands) + ")");
  const std::string_view first = argv[1];
  const bool known = std::any_of(commands.begin(), commands.end(),
                                 [&](const Command& c) { return c.app->get_name() == first; });
  if (!first.starts_with("-") && !known) {
    return usage_error("unknown command '" + std::string(first) +
                       "' (commands: " + command_names(commands) + ")");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    std::printf("spoolctl %s\n", SPOOL_VERSION);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::string command;
    for (const CLI::App* sub : app.get_subcommands()) command = sub->get_name();
    return usage_error(command.empty() ? e.what() : command + ": " + e.what(), command);
  }

  for (const Command& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return usage_error("no command given (commands: " + command_names(commands) + ")");
}
