// Configuring and building a project with CMake, shared by `build`, `run`
// and `test`.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "project.hpp"
#include "wasibuild/driver.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::driver {

struct BuildFlags {
  bool release = false;
  std::string profile;
  std::string toolchain;
  std::string target;
  int jobs = 0;
  bool json_messages = false;  // --message-format json (build and test)
};

void bind_build_flags(CLI::App& app, BuildFlags& flags);
// --message-format human|json, for the commands that report to tools.
void bind_message_format(CLI::App& app, BuildFlags& flags);

// What a build of `project` with `flags` and `toolchain` is, computed
// without running anything: `build`, `run`, `test` and `test --no-build`
// all take the profile, target and directories from here, so they agree.
struct BuildPlan {
  const Profile* profile = nullptr;  // in the project
  std::string target;                // --target, else [toolchain] target, else the toolchain's default
  std::filesystem::path build_dir;   // build/<target>/<profile>
  std::filesystem::path state_dir;   // build/.wasibuild/<target>/<profile>
  std::vector<std::string> configure;  // the CMake command line (without --fresh)
  std::string stamp;                   // what a changed configure is told apart by
};
// `toolchain` may be absent (nothing installed): the plan then names the
// directories only (no configure command).
[[nodiscard]] BuildPlan plan_build(const BuildFlags& flags, const Project& project,
                                   const toolchain::Toolchain* toolchain, const Env& env);

struct BuiltProject {
  Project project;
  std::filesystem::path build_dir;
  std::vector<std::filesystem::path> executables;  // the .wasm files produced
  std::vector<std::filesystem::path> tests;        // those an add_test() runs
  toolchain::Toolchain toolchain;
  std::map<std::filesystem::path, std::string> notes;  // what post-processing did, per module
};

// Resolves the toolchain, configures build/<target>/<profile>/ when its
// inputs changed, builds, and ends with "Finished <profile> in N s" (or,
// with --message-format json, the artifacts and a build-finished line).
// `list_outputs` also lists the .wasm files with their sizes. Throws Failure.
[[nodiscard]] BuiltProject build_project(const BuildFlags& flags, Env& env, bool list_outputs);

// The build directory build_project would use (plan_build with the
// toolchain it would resolve), without building or installing anything.
[[nodiscard]] std::filesystem::path existing_build_dir(const BuildFlags& flags, const Project& project, Env& env);

// The drop-in toolchain file shipped with this wasibuild.
[[nodiscard]] std::filesystem::path toolchain_file(const Env& env);
// <share>/wasibuild, next to the binary (build tree) or installed.
[[nodiscard]] std::filesystem::path share_dir(const Env& env);

// One step of a build or test run (CMake, Ninja, CTest) as -q, -v and
// --message-format ask: -v first shows the command; -q keeps a `chatty`
// step's output and shows it only if the step fails; `json_lines`, when
// given, sees every output line (which still goes to stderr, so stdout
// stays JSON). Returns the exit status; throws Failure when the program
// cannot start.
struct Step {
  std::vector<std::string> argv;
  std::filesystem::path working_directory;
  bool chatty = false;
  const base::LineSink* json_lines = nullptr;
  // Lines that only say nothing happened ("ninja: no work to do."): not
  // shown unless -v. A step with such lines runs with its output piped,
  // coloured (CLICOLOR_FORCE) when wasibuild's own output is.
  std::vector<std::string> chatter = {};
};
[[nodiscard]] int run_step(const Step& step, const Env& env);

}  // namespace wasibuild::driver
