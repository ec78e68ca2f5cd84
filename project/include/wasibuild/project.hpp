// A wasibuild project: the nearest wasibuild.toml and what it says, checked
// once, when it is loaded, into typed values. The driver's commands and the
// build plan read only this.
//
//   [package]   name, version
//   [toolchain] name (or version), target, threads (true: target wasm32-wasip1-threads)
//   [build]     generator, launcher, cmake-args = [...], definitions = { KEY = "VALUE" }
//   [profile.NAME] inherits, build-type, cmake-args, definitions, strip, wasm-opt  (debug and release exist)
//   [run]       dirs, dirs-ro, env, env-files, inherit-env, max-memory, max-wasm-stack, timeout, fuel, max-threads (sandbox_flag_table)
//   [test]      the same, and jobs
//
// Every value is checked when the file is loaded. Errors name the file,
// line, column and key; an unknown key suggests the closest valid one; what
// the file says is quoted at most ~100 characters long.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wasibuild/sandbox_settings.hpp"

namespace wasibuild::project {

struct Profile {
  std::string name;
  std::string build_type;  // CMAKE_BUILD_TYPE
  std::vector<std::string> cmake_args;
  std::map<std::string, std::string> definitions;
  // Drop DWARF from the .wasm after the build, keeping the `name` section
  // so trap backtraces still name functions (release: on).
  bool strip = false;
  // Run binaryen's `wasm-opt -LEVEL` on the .wasm after the build; empty:
  // never. Release: "Os" when a wasm-opt is found. When wasibuild.toml asks
  // for it (wasm_opt_requested), a missing wasm-opt is warned about.
  std::string wasm_opt;
  bool wasm_opt_requested = false;
};

struct Project {
  std::filesystem::path root;  // the directory holding wasibuild.toml
  std::filesystem::path manifest;
  std::string name;
  std::string version;
  std::optional<std::string> toolchain;
  std::optional<std::string> target;
  std::string generator = "Ninja";
  std::optional<std::string> launcher;
  std::vector<std::string> cmake_args;
  std::map<std::string, std::string> definitions;
  std::map<std::string, Profile> profiles;  // resolved: inheritance applied
  SandboxFlags run;   // checked: parse_size, parse_duration, HOST[::GUEST], NAME[=VALUE]
  SandboxFlags test;  // the same; applied to every test (test_grants)
  std::optional<int> test_jobs;
};

// [test] as `wasibuild exec` flags, one word each (`--dir-ro=/abs::guest`,
// `--env=NAME=VALUE`, `--timeout=1s`): the configure passes them to the
// toolchain file as WASIBUILD_TEST_EXTRA_GRANTS, which adds them to every
// test's grants. Relative host paths are made absolute against the root.
[[nodiscard]] std::vector<std::string> test_grants(const Project& project);

inline constexpr const char* kProjectFile = "wasibuild.toml";

// The levels a profile's `wasm-opt` key accepts ("Os" runs `wasm-opt -Os`).
[[nodiscard]] const std::vector<std::string>& wasm_opt_levels();
inline constexpr const char* kDefaultWasmOptLevel = "Os";

// Where the search for a project from a directory ended. A wasibuild.toml
// inside a CMake build tree (at or below a directory holding CMakeCache.txt)
// is never a project: tests run there and may have written it. The search
// passes over it to the project above, as cargo finds its workspace root.
struct ProjectSearch {
  std::optional<std::filesystem::path> manifest;  // the nearest wasibuild.toml outside any build tree
  struct Skipped {
    std::filesystem::path manifest;
    std::filesystem::path build_tree;  // the nearest directory at or above it holding CMakeCache.txt
  };
  std::vector<Skipped> skipped;  // nearest first
};
[[nodiscard]] ProjectSearch find_project_file(const std::filesystem::path& start);

// The project of `start` (find_project_file); `warn` gets one line about
// each wasibuild.toml passed over. Throws base::Failure when there is none,
// naming one passed over, or when the file is malformed.
using Warn = std::function<void(const std::string& line)>;
[[nodiscard]] Project load_project(const std::filesystem::path& start, const Warn& warn);
[[nodiscard]] Project read_project(const std::filesystem::path& manifest);
[[nodiscard]] Project parse_project(const std::string& text, const std::filesystem::path& manifest);

// The profile to build: --profile NAME, --release, or debug. Throws
// base::Failure (a usage error) for an unknown name, with a "did you mean".
[[nodiscard]] const Profile& choose_profile(const Project& project, const std::string& name);

}  // namespace wasibuild::project
