// The capability and limit flags shared by `exec` and `run`.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::driver {

struct SandboxFlags {
  std::vector<std::string> dirs;            // HOST[::GUEST], read-write
  std::vector<std::string> read_only_dirs;  // HOST[::GUEST]
  std::vector<std::string> build_dirs;      // HOST[::GUEST], read-write but build files (runner::Guard)
  std::string build_root;                   // the top of a Ninja build tree, whose graph --dir-build guards
  bool host_cwd = false;                    // the `.` grant again at the working directory's host path, and PWD
  std::vector<std::string> env;             // NAME=VALUE or NAME
  std::vector<std::string> env_files;       // host files of NAME=VALUE lines
  bool inherit_env = false;
  std::string env_names_from;  // a host variable listing more names to copy
  std::string env_changed_since;  // a host variable holding an environment_snapshot()
  bool private_tmp = false;
  std::string max_memory;
  std::string max_wasm_stack;
  std::string timeout;
  std::string fuel;
};

// What a sandbox flag's value is: how it is bound, checked in
// wasibuild.toml, merged and passed on.
enum class FlagValue {
  grants,    // repeated HOST[::GUEST]; in wasibuild.toml a list, hosts relative to the project
  env,       // repeated NAME[=VALUE]
  files,     // repeated host file paths; in wasibuild.toml relative to the project
  names,     // a host variable's name (command line only)
  boolean,   // a switch
  size,      // "64MiB"; the last one given counts
  duration,  // "250ms"; the last one given counts
  count,     // an integer, 0 or more; in wasibuild.toml an integer
};

// One row per sandbox flag: the one place a flag is declared. Binding it
// (exec, run), its key in wasibuild.toml's [run] and [test], merging a
// project's settings with the command line's, and the flags every test
// gets (test_grants) are all read from this table; what the flag means is
// the runner's policy (policy_from, limits_from). CONTRIBUTING.md shows how
// a flag is added.
struct SandboxFlagSpec {
  const char* flag;      // "--dir-ro"
  const char* toml_key;  // "dirs-ro" in [run] and [test]; nullptr: command line only
  FlagValue value;
  const char* type_name;  // "HOST[::GUEST]"; "" for a switch
  bool is_limit;          // grouped under "Limits" in help, else "Capabilities"
  const char* help;
  std::variant<std::vector<std::string> SandboxFlags::*, bool SandboxFlags::*, std::string SandboxFlags::*> field;
};
[[nodiscard]] const std::vector<SandboxFlagSpec>& sandbox_flag_table();

void bind_sandbox_flags(CLI::App& app, SandboxFlags& flags);

// `extra` (the command line) after `base` (wasibuild.toml): lists add up,
// switches turn on, a value replaces.
[[nodiscard]] SandboxFlags merged(SandboxFlags base, const SandboxFlags& extra);

// The variables of `env` as `--env-changed-since` reads them: one
// "NAME=<64-bit hash of the value>" a line. `binfmt run` keeps it in
// kHarnessEnvironment before it starts a test's own script.
inline constexpr const char* kHarnessEnvironment = "WASIBUILD_HARNESS_ENV";
[[nodiscard]] std::string environment_snapshot(const Env& env);

// User text quoted in an error (a key, a value, a flag's argument): at most
// kQuoteLimit bytes, cut at a character boundary and ended with "...". A
// 10 MB key is not echoed whole.
inline constexpr std::size_t kQuoteLimit = 100;
[[nodiscard]] std::string capped(std::string_view text);

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
