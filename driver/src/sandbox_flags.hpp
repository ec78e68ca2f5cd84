// The capability and limit flags shared by `exec` and `run`.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"
#include "wasibuild/sandbox_settings.hpp"

namespace wasibuild::driver {

// The settings themselves are the project library's (sandbox_settings.hpp).
using project::capped;
using project::FlagValue;
using project::kQuoteLimit;
using project::merged;
using project::sandbox_flag_table;
using project::SandboxFlags;
using project::SandboxFlagSpec;

void bind_sandbox_flags(CLI::App& app, SandboxFlags& flags);

// The variables of `env` as `--env-changed-since` reads them: one
// "NAME=<64-bit hash of the value>" a line. `binfmt run` keeps it in
// kHarnessEnvironment before it starts a test's own script.
inline constexpr const char* kHarnessEnvironment = "WASIBUILD_HARNESS_ENV";
[[nodiscard]] std::string environment_snapshot(const Env& env);

// The network grants alone (--allow-tcp-connect, ...; --trace-denials):
// they hold no paths, so a project's and the command line's merge first.
[[nodiscard]] runner::NetworkPolicy network_from(const SandboxFlags& flags);

// Throw Failure (exit 125) naming the flag and the bad value. The policy
// holds the whole sandbox as data; the runner sets it up (the private /tmp
// in TMPDIR, the build-directory guard, Landlock).
[[nodiscard]] runner::Policy policy_from(const SandboxFlags& flags, const Env& env);
[[nodiscard]] runner::Limits limits_from(const SandboxFlags& flags);

// Runs the guest (the last step of `exec` and `run`), reports its outcome on
// env.err and returns its exit status. When `env` owns the process, the
// process ends as soon as the guest has finished and been reported, with
// everything flushed (the runner has removed the private /tmp by then):
// tearing down the engine's memory reservations, the code, the command-line
// parser and static objects would only delay the exit (docs/performance.md).
[[nodiscard]] int run_guest(const runner::Program& program, const runner::Policy& policy,
                            const runner::Limits& limits, const std::optional<runner::CacheOptions>& cache, Env& env);

}  // namespace wasibuild::driver
