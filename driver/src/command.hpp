// What every subcommand provides, and the one error type commands raise.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "wasibuild/driver.hpp"
#include "wasibuild/failure.hpp"

namespace wasibuild::driver {

// A command that cannot go on throws base's Failure (failure.hpp); `main`
// prints it once.
using base::Failure;
using base::kExitFailure;
using base::kExitRunnerError;
using base::kExitUsage;

class Command {
 public:
  virtual ~Command() = default;
  // Binds the command's flags to its options (called before parsing).
  virtual void setup(CLI::App& app) = 0;
  // Runs with the parsed options; throws Failure on error.
  virtual int run(Env& env) = 0;
  // The exit status for a command-line error in this command's flags.
  [[nodiscard]] virtual int usage_status() const { return kExitUsage; }
  // Commands that run a guest take `[OPTIONS] FILE [--] [ARGS...]`: whatever
  // follows FILE belongs to the guest and is never parsed as our flags.
  [[nodiscard]] virtual bool runs_a_guest() const { return false; }
  virtual void set_guest_arguments(std::vector<std::string> /*arguments*/) {}
  // Commands such as `run` pass everything after `--` to the program.
  [[nodiscard]] virtual bool takes_trailing_arguments() const { return false; }
  virtual void set_trailing_arguments(std::vector<std::string> /*arguments*/) {}
};

struct CommandEntry {
  const char* name;
  const char* summary;
  std::unique_ptr<Command> (*make)();
};

// One table, in help order (commands.cpp).
[[nodiscard]] const std::vector<CommandEntry>& command_table();

}  // namespace wasibuild::driver
