// Guard::build_files grants (`--dir-build`): a build-tree directory granted
// read-write, except the files the host runs or reads later: what the build
// graph reads or produces (static libraries, objects, generated sources and
// headers), build scripts, CMake and CTest state, executables.
//
// Wasmtime's preview1 preopens grant a whole directory or nothing, so the
// read-only files are made so outside the guest: in a private mount namespace
// of this process, each is bind-mounted read-only over itself. Guarded:
// - with a Ninja build graph (Policy::build_graph, `exec --build-root`),
//   every existing file that Ninja lists as an output (`-t targets all`) or
//   an input of the default targets (`-t inputs`), or records as a
//   discovered dependency in .ninja_deps (headers such as configure_file's);
// - always, as a floor (and the only rule for Makefile generators): CMake,
//   Ninja and Make files, CMakeLists.txt, scripts (.sh .py .pl .tcl),
//   anything executable (launchers, modules), and whole CMakeFiles/, .cmake/
//   (CMake's file API), Testing/ at the build root (CTest's state) and
//   version-control directories. The guest can still create and change its
// own output files there (tests write next to themselves), but cannot
// rewrite, replace, remove or hard-link the guarded files, nor rename a
// directory that holds them. docs/testing.md has the details and what is left.
#pragma once

#include <optional>

#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// Enters a mount namespace private to this process (with a user namespace
// when not root) and guards the files under each build_files grant. Must
// run before the process starts a thread and before the grants are opened.
// Returns a build_guard_failed error naming the directory when the system
// refuses, for example in a container that forbids namespaces: a grant that
// cannot be honoured is never silently widened. A grant that does not exist
// is left to the runner's own bad_grant error.
[[nodiscard]] std::optional<Error> guard_build_directories(const Policy& policy);

}  // namespace wasibuild::runner
