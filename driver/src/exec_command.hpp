#pragma once

#include <optional>
#include <string>

#include "command.hpp"
#include "sandbox_flags.hpp"

namespace wasibuild::driver {

struct ExecOptions {
  std::string file;
  std::vector<std::string> arguments;
  SandboxFlags sandbox;
  bool allow_precompiled = false;
  bool no_cache = false;
  std::optional<std::string> argv0 = std::nullopt;
};

class ExecCommand final : public Command {
 public:
  void setup(CLI::App& app) override;
  int run(Env& env) override;
  // An emulator's bad flag must not look like a guest's exit status.
  [[nodiscard]] int usage_status() const override { return kExitRunnerError; }
  [[nodiscard]] bool runs_a_guest() const override { return true; }
  void set_guest_arguments(std::vector<std::string> arguments) override { options_.arguments = std::move(arguments); }

 private:
  ExecOptions options_;
};

}  // namespace wasibuild::driver
