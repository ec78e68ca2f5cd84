// `--dir-build`: a build-tree directory granted read-write, except the files
// the host runs or reads later: what the build graph reads or produces
// (static libraries, objects, generated sources and headers), build scripts,
// CMake and CTest state, executables.
//
// Wasmtime's preview1 preopens grant a whole directory or nothing, so the
// read-only files are made so outside the guest: in a private mount namespace
// of this process, each is bind-mounted read-only over itself. Guarded:
// - with a Ninja build root (`exec --build-root`), every existing file that
//   Ninja lists as an output (`-t targets all`) or an input of the default
//   targets (`-t inputs`), or records as a discovered dependency in .ninja_deps (headers
//   such as configure_file's);
// - always, as a floor (and the only rule for Makefile generators): CMake,
//   Ninja and Make files, CMakeLists.txt, scripts (.sh .py .pl .tcl),
//   anything executable (launchers, modules), and whole CMakeFiles/, .cmake/
//   (CMake's file API), Testing/ at the build root (CTest's state) and
//   version-control directories. The guest can still create and change its
// own output files there (tests write next to themselves), but cannot
// rewrite, replace, remove or hard-link the guarded files, nor rename a
// directory that holds them. docs/testing.md has the details and what is left.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wasibuild::driver {

// The top directory of a Ninja build tree, as the toolchain file names it
// (`exec --build-root`), never as found near the guest's directory: a guest
// can create a CMakeCache.txt or build.ninja in its own working directory.
struct BuildRoot {
  std::filesystem::path directory;
  std::string search_path;  // the PATH where `ninja` is looked for
};

// Enters a mount namespace private to this process (with a user namespace
// when not root) and guards the files under each directory. Must run before
// the process starts a thread and before the runner opens the directories.
// Throws Failure (exit 125) naming the directory when the system refuses,
// for example in a container that forbids namespaces: a grant that cannot be
// honoured is never silently widened.
void guard_build_directories(const std::vector<std::filesystem::path>& directories,
                             const std::optional<BuildRoot>& build_root);

// Every file the Ninja build under `root` reads or produces, as sorted
// absolute paths (objects under CMakeFiles/ left out: that directory is
// guarded whole). Empty when `root` holds no build.ninja (before the first
// generate). Cached in <root>/CMakeFiles/ (see the .cpp). Throws Failure
// naming `guarded` when Ninja cannot be run or fails.
[[nodiscard]] std::vector<std::string> build_graph_files(const BuildRoot& root, const std::filesystem::path& guarded);

// Why this system cannot guard build directories, or nothing when it can.
// Tried in a child process, so the caller stays in its own namespace.
[[nodiscard]] std::optional<std::string> build_guard_unavailable();

}  // namespace wasibuild::driver
