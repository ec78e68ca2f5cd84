// readlink() of a link whose target is absolute, inside a grant
// (docs/testing.md, "Paths"). Internal to the runner.
//
// Wasmtime refuses to read such a link (EPERM): to it an absolute target is
// an escape from the directory. The toolchain file's support library
// (cmake-modules/support/links.c) follows links across grants inside the
// guest, matching every target against the grants again, and needs the
// target's text to do so: a build tree's file(CREATE_LINK) into the source
// tree is such a link. For a module that imports path_readlink, the runner
// shadows it: Wasmtime answers first; only when it refused with EPERM and
// the descriptor is one of the grants does the runner read the link itself,
// and answer only an absolute target. It follows no link to get there
// (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS on the directory the
// link is in, then readlinkat), so a link a guest planted steers nothing;
// the guest learns a link's text, never a file's content, and opening the
// target still goes through the grants.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <wasmtime.hh>

#include "engine_functions.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// Whether `module` imports path_readlink. Its store then needs room for one
// more instance (the shadow calls Wasmtime's function through a trampoline).
[[nodiscard]] bool imports_link_reading(const wasmtime::Module& module);

// The target of the link `path` below `directory`, read without following
// any link on the way; nullopt when it is no link, is not below
// `directory`, or a link is on the way. Exposed for tests.
[[nodiscard]] std::optional<std::string> read_link_beneath(int directory, std::string_view path);

// Shadows path_readlink for `module` when it imports it. `grants` are in the
// order they were preopened: Wasmtime numbers them from 3. Call after the
// linker has WASI and before the descriptor table (which then translates
// the guest's numbers first). Returns an error message on failure.
[[nodiscard]] std::optional<std::string> define_link_reading(wasmtime::Linker& linker, wasmtime::Store& store,
                                                             const wasmtime::Module& module,
                                                             const std::vector<DirectoryGrant>& grants,
                                                             const CompileText& compile);

}  // namespace wasibuild::runner
