// Configuring and building a project with CMake, shared by `build`, `run`
// and `test`.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
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
  bool verbose = false;
};

void bind_build_flags(CLI::App& app, BuildFlags& flags);

struct BuiltProject {
  Project project;
  std::filesystem::path build_dir;
  std::vector<std::filesystem::path> executables;  // the .wasm files produced
  std::vector<std::filesystem::path> tests;        // those an add_test() runs
  toolchain::Toolchain toolchain;
};

// Resolves the toolchain, configures build/<target>/<profile>/ when its
// inputs changed, builds, and lists the .wasm files. Throws Failure.
[[nodiscard]] BuiltProject build_project(const BuildFlags& flags, Env& env, bool print_outputs);

// The build directory build_project would use, by the same rules (profile,
// target, toolchain), without building or installing anything.
[[nodiscard]] std::filesystem::path existing_build_dir(const BuildFlags& flags, const Project& project, Env& env);

// The drop-in toolchain file shipped with this wasibuild.
[[nodiscard]] std::filesystem::path toolchain_file(const Env& env);
// <share>/wasibuild, next to the binary (build tree) or installed.
[[nodiscard]] std::filesystem::path share_dir(const Env& env);

// Runs a program (no shell) with stdio inherited; returns its exit status.
[[nodiscard]] int run_child(const std::vector<std::string>& argv, const std::filesystem::path& working_directory);

}  // namespace wasibuild::driver
