// The capability and limit flags shared by `exec` and `run`.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::driver {

struct SandboxFlags {
  std::vector<std::string> dirs;            // HOST[::GUEST], read-write
  std::vector<std::string> read_only_dirs;  // HOST[::GUEST]
  std::vector<std::string> build_dirs;      // HOST[::GUEST], read-write but build files (build_dir_guard.hpp)
  std::string build_root;                   // the top of a Ninja build tree, whose graph --dir-build guards
  bool host_cwd = false;                    // the `.` grant again at the working directory's host path, and PWD
  std::vector<std::string> env;             // NAME=VALUE or NAME
  bool inherit_env = false;
  std::string env_names_from;  // a host variable listing more names to copy
  bool private_tmp = false;
  std::string max_memory;
  std::string max_wasm_stack;
  std::string timeout;
  std::string fuel;
};

void bind_sandbox_flags(CLI::App& app, SandboxFlags& flags);

// User text quoted in an error (a key, a value, a flag's argument): at most
// kQuoteLimit bytes, cut at a character boundary and ended with "...". A
// 10 MB key is not echoed whole.
inline constexpr std::size_t kQuoteLimit = 100;
[[nodiscard]] std::string capped(std::string_view text);

// Throw Failure (exit 125) naming the flag and the bad value.
[[nodiscard]] runner::Policy policy_from(const SandboxFlags& flags, const Env& env);
[[nodiscard]] runner::Limits limits_from(const SandboxFlags& flags);

// Makes the build files under each `--dir-build` grant read-only for this
// process; call it last before the runner, with no other thread running.
void guard_build_dirs(const SandboxFlags& flags, const Env& env);

// A fresh, empty host directory granted read-write as the guest's /tmp for
// one run (`--private-tmp`), removed with everything in it afterwards, on
// every way the process can end: normally, by the timeout watchdog's exit,
// or killed by a signal (SIGINT, SIGTERM, SIGPIPE). A small reaper process,
// forked when the directory is made, waits for this process to go and then
// removes what is left, by descriptor (trees deeper than PATH_MAX too).
// Create it while the process has one thread: the reaper is forked.
class PrivateTmp {
 public:
  explicit PrivateTmp(const Env& env);
  PrivateTmp(const PrivateTmp&) = delete;
  PrivateTmp& operator=(const PrivateTmp&) = delete;
  ~PrivateTmp();
  [[nodiscard]] runner::DirectoryGrant grant() const;

 private:
  std::filesystem::path path_;
  int parent_fd_ = -1;   // the directory holding it, for removal by name
  int reaper_pipe_ = -1;  // closing it (or dying) tells the reaper to clean up
  int reaper_pid_ = -1;
};

// Runs the guest (the last step of `exec` and `run`), reports its outcome on
// env.err and returns its exit status. When `env` owns the process, the
// process ends as soon as the guest has finished and been reported, with
// everything flushed and `tmp` removed: tearing down the engine's memory
// reservations, the code, the command-line parser and static objects would
// only delay the exit (docs/performance.md).
[[nodiscard]] int run_guest(const runner::Program& program, const runner::Policy& policy,
                            const runner::Limits& limits, const std::optional<runner::CacheOptions>& cache,
                            std::optional<PrivateTmp>& tmp, Env& env);

}  // namespace wasibuild::driver
