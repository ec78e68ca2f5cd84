// A WASI SDK look-alike built from the Debian system WASI toolchain
// (clang-19, lld-19, llvm-19, wasi-libc, libc++-19-dev-wasm32), so that an
// installed copy of it really compiles and links wasm32-wasi programs.
#pragma once

#include <filesystem>
#include <string>

namespace wasibuild::testing {

// Creates <dir>/wasi-sdk-<version>-x86_64-linux/ containing:
//  bin/clang, bin/clang++, bin/wasm-ld, bin/llvm-ar, bin/llvm-ranlib, bin/llvm-nm:
//    /bin/sh wrapper scripts (mode 0755) that exec /usr/bin/clang-19 (clang++-19,
//    wasm-ld-19, llvm-ar-19, llvm-ranlib-19, llvm-nm-19); the compiler ones add
//    --sysroot=<their own directory>/../share/wasi-sysroot before "$@";
//  share/wasi-sysroot/include/wasm32-wasi/ = copy of /usr/include/wasm32-wasi, symlinks dereferenced
//  share/wasi-sysroot/lib/wasm32-wasi/     = copy of /usr/lib/wasm32-wasi, symlinks dereferenced
//  VERSION ("<version>\n")
// An existing top directory is replaced. Returns its path. Throws std::runtime_error when the
// system toolchain is missing. The wrappers find their directory at run time,
// so the tree works after being archived, moved or reached through a symlink.
std::filesystem::path make_fake_wasi_sdk(const std::filesystem::path& dir, const std::string& version = "99.0");

}  // namespace wasibuild::testing
