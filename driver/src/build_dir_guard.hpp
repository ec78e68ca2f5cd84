// `--dir-build`: a build-tree directory granted read-write, except the files
// the host runs or reads later (build scripts, CTest files, executables).
//
// Wasmtime's preview1 preopens grant a whole directory or nothing, so the
// read-only files are made so outside the guest: in a private mount namespace
// of this process, each is bind-mounted read-only over itself. Guarded:
// CMake, Ninja and Make files, CMakeLists.txt, scripts (.sh .py .pl .tcl),
// anything executable (launchers, modules), and whole CMakeFiles/ and
// version-control directories. The guest can still create and change its
// own output files there (tests write next to themselves), but cannot
// rewrite, replace, remove or hard-link the guarded files, nor rename a
// directory that holds them. docs/testing.md has the details and what is left.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wasibuild::driver {

// Enters a mount namespace private to this process (with a user namespace
// when not root) and guards the files under each directory. Must run before
// the process starts a thread and before the runner opens the directories.
// Throws Failure (exit 125) naming the directory when the system refuses,
// for example in a container that forbids namespaces: a grant that cannot be
// honoured is never silently widened.
void guard_build_directories(const std::vector<std::filesystem::path>& directories);

// Why this system cannot guard build directories, or nothing when it can.
// Tried in a child process, so the caller stays in its own namespace.
[[nodiscard]] std::optional<std::string> build_guard_unavailable();

}  // namespace wasibuild::driver
