// A wasibuild project: the nearest wasibuild.toml and what it says.
//
//   [package]   name, version
//   [toolchain] name (or version), target
//   [build]     generator, launcher, cmake-args = [...], definitions = { KEY = "VALUE" }
//   [profile.NAME] inherits, build-type, cmake-args, definitions, strip, wasm-opt  (debug and release exist)
//   [run]       dirs, dirs-ro, env, inherit-env, max-memory, timeout, fuel
//   [test]      dirs, dirs-ro, env, jobs, timeout
//
// Errors name the file, line, column and key; an unknown key suggests the
// closest valid one.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sandbox_flags.hpp"
#include "wasibuild/driver.hpp"

namespace wasibuild::driver {

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
  SandboxFlags run;
  SandboxFlags test;
  std::optional<int> test_jobs;
};

inline constexpr const char* kProjectFile = "wasibuild.toml";

// The nearest wasibuild.toml at or above the working directory; throws
// Failure when none exists or it is malformed.
[[nodiscard]] Project load_project(const Env& env);
[[nodiscard]] Project parse_project(const std::string& text, const std::filesystem::path& manifest);

// The profile to build: --profile NAME, --release, or debug. Throws Failure
// for an unknown name (with a "did you mean").
[[nodiscard]] const Profile& choose_profile(const Project& project, const std::string& name);

}  // namespace wasibuild::driver
