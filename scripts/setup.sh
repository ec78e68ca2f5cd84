#!/usr/bin/env bash
# Set-up and main job on a fresh Debian 12 machine:
#   1. installs the Debian packages wasibuild needs, when missing (no prompt),
#      npm's binaryen into ~/.cache/wasibuild-dev/npm (and its tarball into
#      ~/.cache/wasibuild-dev/npm-pack) and clang 22 for WASI into
#      ~/.cache/wasibuild-dev/clang22-wasi (setjmp tests);
#   2. builds wasibuild (Wasmtime included: the first build takes many
#      minutes) and installs binaryen with it (`wasibuild toolchain install
#      binaryen`), so setjmp/longjmp work with Debian's clang 19;
#   3. assembles a WASI SDK from Debian's LLVM 23 wasm32 runtimes (C++
#      exceptions; wasm32-wasip2 components, linked by wasm-component-ld,
#      built with cargo into ~/.cache/wasibuild-dev/wasm-component-ld-*;
#      wasm32-wasip1-threads modules, over the WASI SDK's threads wasi-libc
#      that Rust's rust-std ships)
#      and installs it as the default toolchain, unless the user chose one
#      (scripts/common.sh, docs/toolchains.md);
#   4. builds examples/hello (C++) to wasm with `wasibuild run` (through the
#      drop-in CMake toolchain file) and runs it in the embedded runner.
# Idempotent: a second run only re-checks and rebuilds what changed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

install_missing_packages
install_npm_binaryen
install_clang22_wasi
require_cargo
build_wasibuild "$repo/build/release" Release

# setjmp/longjmp for Debian's clang 19 (docs/setjmp.md): npm's binaryen,
# pinned and verified, in wasibuild's own store, where the toolchain file
# finds it. Its wasm-opt runs under node (installed above with npm).
step "installing binaryen for setjmp/longjmp: wasibuild toolchain install binaryen"
"$repo/build/release/driver/wasibuild" toolchain install binaryen --quiet

# C++ exceptions, and setjmp without wasm-opt: no official WASI SDK is
# downloadable here, so one is assembled from Debian's LLVM 23 runtimes and
# installed as the default toolchain (scripts/common.sh says how; a failure
# leaves the system toolchain in charge, with a warning).
install_debian_llvm23_toolchain "$repo/build/release/driver/wasibuild"

step "building examples/hello to WebAssembly and running it in the embedded runner"
cd "$repo/examples/hello"
"$repo/build/release/driver/wasibuild" run -- WebAssembly
