// The spoolctl commands. Each adds its subcommand (name, arguments, help) to the
// application and returns what to run once the command line has been parsed; the runner
// returns the process exit code (exit_codes.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace spool::tools {

using CommandRunner = std::function<int()>;

struct Command {
  CLI::App* app;
  CommandRunner run;
};

Command add_append_command(CLI::App& app);
Command add_dump_command(CLI::App& app);
Command add_verify_command(CLI::App& app);
Command add_recover_command(CLI::App& app);
Command add_produce_command(CLI::App& app);
Command add_forward_command(CLI::App& app);
Command add_cursors_command(CLI::App& app);
Command add_stats_command(CLI::App& app);
Command add_health_command(CLI::App& app);
Command add_deadletters_command(CLI::App& app);
Command add_cleanup_command(CLI::App& app);
Command add_lanes_command(CLI::App& app);

}  // namespace spool::tools
