// The capability and limit flags shared by `exec` and `run`.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::driver {

struct SandboxFlags {
  std::vector<std::string> dirs;            // HOST[::GUEST], read-write
  std::vector<std::string> read_only_dirs;  // HOST[::GUEST]
  std::vector<std::string> env;             // NAME=VALUE or NAME
  bool inherit_env = false;
  std::string max_memory;
  std::string timeout;
  std::string fuel;
};

void bind_sandbox_flags(CLI::App& app, SandboxFlags& flags);

// Throw Failure (exit 125) naming the flag and the bad value.
[[nodiscard]] runner::Policy policy_from(const SandboxFlags& flags, const Env& env);
[[nodiscard]] runner::Limits limits_from(const SandboxFlags& flags);

}  // namespace wasibuild::driver
