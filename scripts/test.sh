#!/usr/bin/env bash
# The whole test suite, twice: a GCC 12 build and a clang 19 build with
# -fsanitize=address,undefined, both with warnings as errors, each running
# every test through CTest. The compatibility suite (label `compat`: real
# projects from Debian source packages, fetched once into
# ~/.cache/wasibuild-dev/compat-sources) runs in the GCC tree only; under the
# sanitizers it would take far longer and exercise the same code.
# Expects scripts/setup.sh to have installed the packages (CI runs both).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

require_cargo
# Tests must never reach the network through a proxy the host set.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost

build_wasibuild "$repo/build/test" RelWithDebInfo -DWASIBUILD_WERROR=ON
step "running the test suite"
ctest --test-dir "$repo/build/test" -j2 --output-on-failure

CC=clang-19 CXX=clang++-19 build_wasibuild "$repo/build/asan" Debug -DWASIBUILD_WERROR=ON -DWASIBUILD_SANITIZE=ON
step "running the test suite under AddressSanitizer and UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$repo/build/asan" -j2 --output-on-failure -LE compat
