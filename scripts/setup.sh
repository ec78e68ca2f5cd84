#!/usr/bin/env bash
# Set-up and main job on a fresh Debian 12 machine:
#   1. installs the Debian packages wasibuild needs, when missing (no prompt);
#   2. builds wasibuild (Wasmtime included: the first build takes many minutes);
#   3. compiles examples/hello (C++) to wasm with the system WASI toolchain;
#   4. runs it in the embedded runner.
# Idempotent: a second run only re-checks and rebuilds what changed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

install_missing_packages
require_cargo
build_wasibuild "$repo/build/release" Release

step "compiling examples/hello to WebAssembly"
cmake -S "$repo/examples/hello" -B "$repo/build/examples/hello" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake-modules/wasi.cmake" \
  -DWASIBUILD_EXECUTABLE="$repo/build/release/driver/wasibuild" >/dev/null
cmake --build "$repo/build/examples/hello" -j2

step "running examples/hello in the embedded runner"
"$repo/build/release/driver/wasibuild" exec "$repo/build/examples/hello/hello.wasm" WebAssembly
