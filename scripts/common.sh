# Shared by setup.sh and test.sh (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

# Debian packages wasibuild needs to build, test and compile guests.
WASIBUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl patch ccache binaryen
  clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  libcli11-dev libtomlplusplus-dev doctest-dev libarchive-dev libcurl4-openssl-dev libssl-dev libfmt-dev
  python3 bzip2 unicode-data  # the compatibility suite (tests/compat/compat.sh)
  libclang-rt-19-dev  # clang 19's host ASan/UBSan runtimes, for test.sh's sanitizer build
)

install_missing_packages() {
  local missing=()
  for package in "${WASIBUILD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  step "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Wasmtime 48 needs rustc 1.95 (Debian 12's rustc is too old): use rustup's.
require_cargo() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null; then
    echo "wasibuild: error: cargo not found; Wasmtime is built from crates.io and needs Rust 1.95" >&2
    echo "help: install Rust with rustup (https://rustup.rs), then run this script again" >&2
    exit 1
  fi
}

# Every build tree shares one compiled Wasmtime (see cmake/Wasmtime.cmake).
: "${WASIBUILD_CARGO_TARGET_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/cargo-target}"
export WASIBUILD_CARGO_TARGET_DIR

build_wasibuild() {
  local dir=$1 type=$2
  shift 2
  step "building wasibuild ($type) in ${dir#"$repo"/}"
  cmake -S "$repo" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j2
}

# binaryen's wasm-opt from npm, for setjmp/longjmp under Debian's clang 19:
# its modules need `wasm-opt --translate-to-exnref`, which Debian's binaryen
# 108 predates (docs/setjmp.md). Kept outside the clone, like the cargo target
# directory; tests/CMakeLists.txt reads WASIBUILD_DEV_WASM_OPT.
: "${WASIBUILD_NPM_PREFIX:=${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/npm}"
WASIBUILD_BINARYEN_VERSION=132
WASIBUILD_DEV_WASM_OPT="$WASIBUILD_NPM_PREFIX/node_modules/.bin/wasm-opt"
# The registry's tarball itself, which the tests serve over loopback to
# `wasibuild toolchain install binaryen` (tests/CMakeLists.txt).
WASIBUILD_DEV_BINARYEN_TGZ="${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/npm-pack/binaryen-$WASIBUILD_BINARYEN_VERSION.0.0.tgz"
export WASIBUILD_NPM_PREFIX WASIBUILD_DEV_WASM_OPT WASIBUILD_DEV_BINARYEN_TGZ

install_npm_binaryen() {
  if "$WASIBUILD_DEV_WASM_OPT" --version 2>/dev/null | grep -q "version $WASIBUILD_BINARYEN_VERSION " &&
     [ -f "$WASIBUILD_DEV_BINARYEN_TGZ" ]; then
    return
  fi
  # A NodeSource nodejs brings its own npm and conflicts with Debian's, so
  # Debian's is installed only when there is no npm at all.
  if ! command -v npm >/dev/null; then
    local WASIBUILD_PACKAGES=(nodejs npm)  # seen by install_missing_packages
    install_missing_packages
  fi
  step "installing binaryen $WASIBUILD_BINARYEN_VERSION from npm into $WASIBUILD_NPM_PREFIX"
  npm install --prefix "$WASIBUILD_NPM_PREFIX" --no-audit --no-fund --loglevel=error \
    "binaryen@$WASIBUILD_BINARYEN_VERSION"
  mkdir -p "$(dirname "$WASIBUILD_DEV_BINARYEN_TGZ")"
  (cd "$(dirname "$WASIBUILD_DEV_BINARYEN_TGZ")" && npm pack --silent "binaryen@$WASIBUILD_BINARYEN_VERSION.0.0" >/dev/null)
}

# clang 22 for WASI, for the setjmp tests of the native mode (clang emits
# standard exception handling itself and links wasi-libc's libsetjmp; docs/
# setjmp.md). No official WASI SDK is downloadable from here, so it is
# assembled from pieces of the same kind: LLVM 22.1.8's clang and wasm-ld
# from PyPI's ziglang wheel (`zig clang`, `zig wasm-ld`), Debian trixie's
# wasi-libc (setjmp.h and libsetjmp.a) and LLVM 22 wasm32 runtimes
# (compiler-rt builtins, libc++, libc++abi). Every piece is pinned and
# checked by SHA-256. Kept outside the clone; tests/CMakeLists.txt reads
# WASIBUILD_DEV_CLANG22_TOOLCHAIN, a WASI-SDK-layout directory (bin/clang,
# share/wasi-sysroot, lib/clang/22) whose wrappers run the zig next to it.
: "${WASIBUILD_CLANG22_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/clang22-wasi}"
WASIBUILD_DEV_CLANG22_TOOLCHAIN="$WASIBUILD_CLANG22_DIR/toolchain"
export WASIBUILD_DEV_CLANG22_TOOLCHAIN
WASIBUILD_CLANG22_LAYOUT=1  # bump when the assembly below changes
WASIBUILD_ZIGLANG_VERSION=0.17.1  # its wheel for x86_64 Linux
WASIBUILD_ZIGLANG_SHA256=ea6cc5d87b033cf0aedfbc8f9549a908cae6c50ac31f1698188fa48a74524b54
# "package version sha256" from Debian trixie (apt-get also checks each
# against the archive's signed index).
WASIBUILD_CLANG22_DEBS=(
  "wasi-libc 0.0~git20241209.574b88d-2 b7716260051d289248b7667f81fa2792c125d888ff51da3fa09c6272cc0bd11d"
  "libclang-rt-22-dev-wasm32 1:22.1.8-1~deb13u5 2bc1bedb19c55ab185cf915a428ac157bed523ad1ce24c3f91fa888f4db29ffd"
  "libc++-22-dev-wasm32 1:22.1.8-1~deb13u5 be595d121ca9c5df42ab0c9b719c3a986abfadf40cac8a2db4b228cdb423052c"
  "libc++abi-22-dev-wasm32 1:22.1.8-1~deb13u5 a89642558578276d48a78dd3a54a7ce52be3fb8987c63386396355231ad42be2"
)

# Does nothing when the pinned toolchain is already assembled. Otherwise
# builds it in a temporary directory renamed into place once it compiles a
# setjmp program. A failure is one warning line, not the end of set-up: the
# native setjmp tests then report themselves skipped.
install_clang22_wasi() {
  local pins="layout $WASIBUILD_CLANG22_LAYOUT ziglang $WASIBUILD_ZIGLANG_VERSION $WASIBUILD_ZIGLANG_SHA256 ${WASIBUILD_CLANG22_DEBS[*]}"
  if [ -f "$WASIBUILD_CLANG22_DIR/pins" ] && [ "$(<"$WASIBUILD_CLANG22_DIR/pins")" = "$pins" ]; then
    return
  fi
  if ! python3 -m pip --version >/dev/null 2>&1; then
    local WASIBUILD_PACKAGES=(python3-pip)  # seen by install_missing_packages
    install_missing_packages || true  # without pip, the step below says so
  fi
  step "assembling clang 22 for WASI (ziglang $WASIBUILD_ZIGLANG_VERSION, Debian trixie's wasi-libc) in $WASIBUILD_CLANG22_DIR"
  local log="$WASIBUILD_CLANG22_DIR.log" reason
  mkdir -p "$(dirname "$WASIBUILD_CLANG22_DIR")"
  if ! reason=$(_assemble_clang22_wasi "$pins" 3>"$log" 2>&3); then
    echo "wasibuild: warning: clang 22 for WASI not assembled: ${reason:-see $log} (log: $log);" \
      "the native setjmp tests will be skipped" >&2
  fi
}

# Helpers for the assembled toolchains below. Each runs inside a subshell
# function that defines fail() (the reason on stdout) and sends tool output
# to fd 3 (the log). Verified downloads stay in $WASIBUILD_DOWNLOAD_CACHE, so
# a later assembly needs no network, and survives a Debian suite that has
# moved on to newer versions than the pins.
: "${WASIBUILD_DOWNLOAD_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/downloads}"

# PyPI's ziglang wheel, pinned: its zig (whose `zig clang` is a whole clang)
# and clang's own headers, unpacked into INTO/ziglang.
_fetch_ziglang() {
  local tmp=$1 into=$2 wheel
  mkdir -p "$WASIBUILD_DOWNLOAD_CACHE"
  echo "ziglang==$WASIBUILD_ZIGLANG_VERSION --hash=sha256:$WASIBUILD_ZIGLANG_SHA256" >"$tmp/requirements.txt"
  python3 -m pip download --no-deps --only-binary=:all: --require-hashes --disable-pip-version-check \
    -r "$tmp/requirements.txt" -d "$WASIBUILD_DOWNLOAD_CACHE" >&3 2>&3 ||
    fail "pip download ziglang==$WASIBUILD_ZIGLANG_VERSION failed (PyPI unreachable, or the wheel's hash changed)"
  wheel=("$WASIBUILD_DOWNLOAD_CACHE/ziglang-$WASIBUILD_ZIGLANG_VERSION-"*x86_64.whl)
  echo "$WASIBUILD_ZIGLANG_SHA256  ${wheel[0]}" | sha256sum -c --quiet - >&3 2>&3 || fail "ziglang wheel: SHA-256 mismatch"
  python3 - "${wheel[0]}" "$into" <<'PY' >&3 2>&3 || fail "cannot unpack the ziglang wheel"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for member in wheel.infolist():
        if member.filename == "ziglang/zig" or member.filename.startswith("ziglang/lib/include/"):
            wheel.extract(member, sys.argv[2])
PY
  chmod 755 "$into/ziglang/zig"
  "$into/ziglang/zig" clang --version >&3 2>&3 || fail "zig $WASIBUILD_ZIGLANG_VERSION does not run here"
}

# The cached file of a pinned Debian package (package version sha256), if any.
_cached_deb() {
  local file
  for file in "$WASIBUILD_DOWNLOAD_CACHE/${1}_"*.deb; do
    [ -f "$file" ] && echo "$3  $file" | sha256sum -c --quiet - >/dev/null 2>&1 && { echo "$file"; return; }
  done
  return 0
}

# Debian packages from SUITE, each "package version sha256", unpacked into
# ROOT: through a private apt configuration (the host's sources and lists are
# not touched), the index checked with Debian's keys, each file by its pin.
_fetch_debs() {
  local tmp=$1 suite=$2 root=$3 entry package version sha256 deb wanted=()
  shift 3
  mkdir -p "$WASIBUILD_DOWNLOAD_CACHE"
  for entry in "$@"; do
    read -r package version sha256 <<<"$entry"
    [ -n "$(_cached_deb "$package" "$version" "$sha256")" ] || wanted+=("$package=$version")
  done
  if [ ${#wanted[@]} -gt 0 ]; then
    local apt=$tmp/apt-$suite
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
    echo "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/debian-archive-keyring.gpg target=Packages]" \
      "http://deb.debian.org/debian $suite main" >"$apt/sources.list"
    local options=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
      -o APT::Sandbox::User=root -o Acquire::Languages=none)
    apt-get "${options[@]}" -qq update >&3 2>&3 || fail "apt-get update of Debian $suite failed (deb.debian.org unreachable?)"
    (cd "$apt/debs" && apt-get "${options[@]}" -qq download "${wanted[@]}") >&3 2>&3 ||
      fail "apt-get download ${wanted[*]} failed (a version no longer in $suite? update scripts/common.sh)"
    for deb in "$apt/debs"/*.deb; do
      mv "$deb" "$WASIBUILD_DOWNLOAD_CACHE/" || fail "cannot keep $deb in $WASIBUILD_DOWNLOAD_CACHE"
    done
  fi
  for entry in "$@"; do
    read -r package version sha256 <<<"$entry"
    deb=$(_cached_deb "$package" "$version" "$sha256")
    [ -n "$deb" ] || fail "$package $version: SHA-256 mismatch"
    dpkg-deb -x "$deb" "$root" || fail "cannot unpack $package"
  done
}

# bin/clang, clang++, wasm-ld, llvm-ar and llvm-ranlib in BIN: wrappers that
# run ZIG, a path in which "$here" (the wrapper's own directory) may appear.
_write_zig_wrappers() {
  local bin=$1 zig=$2 clang_major=$3 tool
  local here='here=$(dirname "$(readlink -f "$0")")'
  mkdir -p "$bin"
  printf '#!/bin/sh\n%s\nexec "%s" clang -resource-dir "$here/../lib/clang/%s" "-B$here" "$@"\n' \
    "$here" "$zig" "$clang_major" >"$bin/clang"
  printf '#!/bin/sh\n%s\nexec "%s" clang --driver-mode=g++ -resource-dir "$here/../lib/clang/%s" "-B$here" "$@"\n' \
    "$here" "$zig" "$clang_major" >"$bin/clang++"
  for tool in wasm-ld:wasm-ld llvm-ar:ar llvm-ranlib:ranlib; do
    printf '#!/bin/sh\n%s\nexec "%s" %s "$@"\n' "$here" "$zig" "${tool#*:}" >"$bin/${tool%:*}"
  done
  chmod 755 "$bin"/*
}

# Prints the reason on stdout and fails; tool output goes to fd 3 (the log).
_assemble_clang22_wasi() (
  pins=$1 dir=$WASIBUILD_CLANG22_DIR
  fail() { echo "$*"; exit 1; }
  [ "$(uname -m)" = x86_64 ] || fail "the pinned ziglang wheel is for x86_64 only"
  command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null || fail "needs apt-get and dpkg-deb"
  exec 9>"$dir.lock"
  flock 9
  # Another set-up may have finished it while this one waited.
  [ -f "$dir/pins" ] && [ "$(<"$dir/pins")" = "$pins" ] && exit 0
  tmp=$(mktemp -d "$dir.tmp.XXXXXX") || fail "cannot create a directory next to $dir"
  trap 'rm -rf "$tmp"' EXIT

  _fetch_ziglang "$tmp" "$tmp/zig"
  _fetch_debs "$tmp" trixie "$tmp/root" "${WASIBUILD_CLANG22_DEBS[@]}"

  # A WASI SDK's layout, symlinks resolved, so it can be archived and moved.
  # Debian keeps libc++'s headers in include/wasm32-wasi/c++/v1, which its
  # own clang is patched to search; upstream clang finds them in include/c++.
  # The builtins serve both the wasm32-wasi and the wasm32-wasip1 target.
  local tc=$tmp/toolchain
  mkdir -p "$tc/bin" "$tc/lib/clang/22/lib" "$tc/share/wasi-sysroot/include" "$tc/share/wasi-sysroot/lib"
  cp -rL "$tmp/root/usr/include/wasm32-wasi" "$tc/share/wasi-sysroot/include/" &&
    cp -rL "$tmp/root/usr/lib/wasm32-wasi" "$tc/share/wasi-sysroot/lib/" &&
    mv "$tc/share/wasi-sysroot/include/wasm32-wasi/c++" "$tc/share/wasi-sysroot/include/c++" &&
    ln -s wasm32-wasi "$tc/share/wasi-sysroot/include/wasm32-wasip1" &&
    ln -s wasm32-wasi "$tc/share/wasi-sysroot/lib/wasm32-wasip1" &&
    cp -r "$tmp/root/usr/lib/llvm-22/lib/clang/22/lib/wasi" "$tc/lib/clang/22/lib/" &&
    mkdir "$tc/lib/clang/22/lib/wasm32-unknown-wasip1" &&
    ln -s ../wasi/libclang_rt.builtins-wasm32.a "$tc/lib/clang/22/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a" &&
    cp -r "$tmp/zig/ziglang/lib/include" "$tc/lib/clang/22/" || fail "cannot assemble the toolchain directory"
  _write_zig_wrappers "$tc/bin" "$dir/zig/ziglang/zig" 22
  mkdir -p "$tmp/final"
  mv "$tc" "$tmp/final/toolchain" && mv "$tmp/zig" "$tmp/final/zig" || fail "cannot assemble the toolchain directory"
  echo "$pins" >"$tmp/final/pins.pending"

  # In place (the wrappers name zig by its final path), then proven: a
  # setjmp program in the native mode's form compiles and links.
  rm -rf "$dir" && mv "$tmp/final" "$dir" || fail "cannot move the toolchain to $dir"
  printf '#include <csetjmp>\n#include <string>\nstatic std::jmp_buf env;\nint main() { std::string s = "x";\n%s\n' \
    'if (setjmp(env) == 0) std::longjmp(env, 1); return s.size() == 1 ? 0 : 1; }' >"$tmp/probe.cpp"
  "$dir/toolchain/bin/clang++" --target=wasm32-wasip1 "--sysroot=$dir/toolchain/share/wasi-sysroot" -fno-exceptions \
    -mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false "$tmp/probe.cpp" -lsetjmp -o "$tmp/probe.wasm" >&3 2>&3 ||
    { rm -rf "$dir"; fail "the assembled clang 22 does not compile a setjmp program"; }
  mv "$dir/pins.pending" "$dir/pins"
)

# A WASI SDK assembled from Debian's pieces, the toolchain users get from
# setup.sh while no official WASI SDK is downloadable: sid's 2026 wasi-libc
# (setjmp.h and libsetjmp, and single-threaded pthreads), LLVM 23's
# compiler-rt builtins from sid's package, clang 22 from PyPI's ziglang
# wheel, and libc++, libc++abi and libunwind built here from LLVM 23's
# source (Debian's orig tarball) the way the WASI SDK configures them:
# exceptions in the standard (exnref) form Wasmtime runs, <filesystem>, and
# threads on over wasi-libc's pthreads, so std::mutex, std::call_once and
# std::condition_variable work and std::thread compiles (starting one throws
# std::system_error on wasm32-wasip1, which has no threads). Debian's own
# wasm32 libc++ builds turn filesystem and threads off, which stopped
# googletest, Catch2 and doctest. Three targets, as in the WASI SDK:
# wasm32-wasip1 (core modules), wasm32-wasip2 (WASI 0.2 components, whose
# wasi-libc has real sockets over wasi:sockets: socket, connect, bind,
# getaddrinfo...) and wasm32-wasip1-threads (wasi-threads core modules: real
# pthreads over a shared memory; its libc comes from Rust's rust-std, see
# WASIBUILD_THREADS_LIBC), each with its own wasi-libc and libc++ build; clang
# links wasip2 with wasm-component-ld, built from crates.io. The assembly
# takes about two minutes on two cores (the wasip2 libc++ build about 40 s of
# them); the first one also builds wasm-component-ld, about two minutes more,
# kept for the next. Every download is pinned by SHA-256 and kept in the
# download cache (sid replaces versions often; a cached, verified file still
# counts).
# Installed through `wasibuild toolchain install --from`, like any archive.
# The archive stays in the download cache: the tests install it into their
# own WASIBUILD_HOME (tests/CMakeLists.txt reads WASIBUILD_DEV_LLVM23_ARCHIVE).
WASIBUILD_LLVM23_NAME=debian-llvm23
WASIBUILD_DEV_LLVM23_ARCHIVE="$WASIBUILD_DOWNLOAD_CACHE/$WASIBUILD_LLVM23_NAME.tar.gz"
export WASIBUILD_DEV_LLVM23_ARCHIVE
WASIBUILD_LLVM23_LAYOUT=4  # bump when the assembly below changes
WASIBUILD_LLVM23_DEBS=(
  "wasi-libc 0.0~git20260423.161b319-2 1051dbb0a5e6d3f709de83b6afb423e07a8ab19a9e9f12ef20ff902131e7b8bc"
  "libclang-rt-23-dev-wasm32 1:23.1.4-2 71b9d472cda729de4d057fbd169b69f7d7ca1165dbffd8450a2720023398fbc6"
)
# "file sha256": the sha256 is the one sid's signed Sources index gives for
# llvm-toolchain-23 1:23.1.1-2 (the newest orig tarball the mirror still
# serves). Patched with scripts/patches/libcxx-*.patch before the build.
WASIBUILD_LLVM23_SOURCE="llvm-toolchain-23_23.1.1.orig.tar.xz 0a5838b993f406534db7e6dc7df66e295354a1e9a23bb21e5739cf5df5bc7689"
# wasi-libc for wasm32-wasip1-threads: "file sha256 url". No threads build of
# wasi-libc is reachable from here (Debian packages only the single-threaded
# wasip1 and the wasip2 sysroots, and deb.debian.org no longer serves
# wasi-libc's source), but Rust's rust-std component for this target ships
# the WASI SDK's own wasip1-threads wasi-libc, prebuilt, as its
# lib/self-contained/{libc.a,crt1-command.o,crt1-reactor.o} (rustc links
# wasm32-wasip1-threads programs against them). This one is WASI SDK 30's:
# its debug info names wasisdk://v30.0 and "clang version 21.1.4-wasi-sdk".
# It has real pthread_create over __wasi_thread_spawn (the `wasi`
# `thread-spawn` import), wasi_thread_start, sem_*, flockfile; no setjmp
# (the WASI SDK keeps that in libsetjmp.a, reused from sid below). It has no
# headers: sid's wasm32-wasi headers serve it. Every function sid's libc
# defines, this one defines too (compared by symbol: sid's headers declare
# nothing it lacks), its only additions are the threads functions those
# headers declare under _REENTRANT (which -pthread defines), and musl's type
# layouts (pthread_mutex_t...) do not depend on the thread model. URL and
# sha256 (xz_url, xz_hash) from rustc 1.95.0's channel manifest,
# https://static.rust-lang.org/dist/channel-rust-1.95.0.toml.
WASIBUILD_THREADS_LIBC="rust-std-1.95.0-wasm32-wasip1-threads.tar.xz 9079935a00a3c3aaf284957bbe82972983ce2708019687cec1f4988c30c1e0f3 https://static.rust-lang.org/dist/2026-04-16/rust-std-1.95.0-wasm32-wasip1-threads.tar.xz"
# What a wasm32-wasip1-threads program links with, besides -pthread (which
# it is compiled with too): a shared memory that the host creates once for
# all threads (imported), exported too (WASI calls reach memory through the
# export), with the maximum a shared memory must declare (wasm-ld would
# otherwise make the maximum the initial size). clang's driver adds
# --shared-memory itself for this triple.
WASIBUILD_THREADS_LINK_FLAGS="-Wl,--import-memory,--export-memory,--max-memory=1073741824"
# wasm-component-ld, the linker clang 22 runs for wasm32-wasip2 (it runs
# wasm-ld, then turns the core module into a component), pinned by version
# and built from crates.io by `cargo install --locked` (cargo checks the crate
# against the index's checksum and builds its own Cargo.lock). rustup's
# stable toolchain ships one too, but whichever version that toolchain has,
# and only when that toolchain is installed; the cargo that builds Wasmtime
# is always there. Built once, kept outside the clone like the rest.
WASIBUILD_WASM_COMPONENT_LD_VERSION=0.5.31
: "${WASIBUILD_WASM_COMPONENT_LD_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/wasm-component-ld-$WASIBUILD_WASM_COMPONENT_LD_VERSION}"

# Installs it (once per pin set) and makes it the user default unless the
# user chose one. A failure is one warning line: builds then use the system
# toolchain, which has setjmp (through binaryen) but no exceptions.
install_debian_llvm23_toolchain() {
  local wasibuild=$1
  local pins="layout $WASIBUILD_LLVM23_LAYOUT ziglang $WASIBUILD_ZIGLANG_VERSION $WASIBUILD_ZIGLANG_SHA256 ${WASIBUILD_LLVM23_DEBS[*]}"
  pins+=" wasm-component-ld $WASIBUILD_WASM_COMPONENT_LD_VERSION ${WASIBUILD_THREADS_LIBC% *}"
  pins+=" $WASIBUILD_LLVM23_SOURCE $(cat "$repo"/scripts/patches/libcxx-*.patch | sha256sum | cut -d' ' -f1)"
  local installed
  if installed=$("$wasibuild" toolchain path "$WASIBUILD_LLVM23_NAME" 2>/dev/null) &&
     [ -f "$installed/wasibuild-pins" ] && [ "$(<"$installed/wasibuild-pins")" = "$pins" ] &&
     [ -f "$WASIBUILD_DEV_LLVM23_ARCHIVE" ]; then
    _default_to_debian_llvm23 "$wasibuild"
    return
  fi
  step "assembling a WASI SDK: sid's wasi-libc, libc++ built from LLVM 23's source, ziglang's clang 22 ($WASIBUILD_LLVM23_NAME)"
  local log="$WASIBUILD_DOWNLOAD_CACHE/$WASIBUILD_LLVM23_NAME.log" archive reason
  mkdir -p "$WASIBUILD_DOWNLOAD_CACHE"
  if ! archive=$(_assemble_debian_llvm23 "$pins" 3>"$log" 2>&3); then
    echo "wasibuild: warning: $WASIBUILD_LLVM23_NAME not assembled: $archive (log: $log);" \
      "builds use the system toolchain (no C++ exceptions)" >&2
    return 0
  fi
  "$wasibuild" toolchain install --from "$archive" --sha256 "$(sha256sum "$archive" | cut -d' ' -f1)" \
    --name "$WASIBUILD_LLVM23_NAME" --force --quiet
  _default_to_debian_llvm23 "$wasibuild"
}

# Only when the user has not chosen (`toolchain which` names the rule).
_default_to_debian_llvm23() {
  if "$1" toolchain which 2>/dev/null | head -n 1 | grep -q "(the system toolchain, as nothing is installed)"; then
    "$1" toolchain default "$WASIBUILD_LLVM23_NAME" >/dev/null
  fi
}

# LLVM 23's source tarball into the download cache, checked by its pin.
_fetch_llvm_source() {
  local name=${WASIBUILD_LLVM23_SOURCE%% *} sha256=${WASIBUILD_LLVM23_SOURCE##* }
  local file=$WASIBUILD_DOWNLOAD_CACHE/$name
  echo "$sha256  $file" | sha256sum -c --quiet - >/dev/null 2>&1 && return
  curl -fsSL --retry 2 -o "$file.part" "http://deb.debian.org/debian/pool/main/l/llvm-toolchain-23/$name" >&3 2>&3 ||
    fail "cannot download $name from deb.debian.org"
  echo "$sha256  $file.part" | sha256sum -c --quiet - >&3 2>&3 || { rm -f "$file.part"; fail "$name: SHA-256 mismatch"; }
  mv "$file.part" "$file"
}

# rust-std's wasm32-wasip1-threads tarball into the download cache, checked
# by its pin (WASIBUILD_THREADS_LIBC says why this source).
_fetch_threads_libc() {
  local name sha256 url file
  read -r name sha256 url <<<"$WASIBUILD_THREADS_LIBC"
  file=$WASIBUILD_DOWNLOAD_CACHE/$name
  echo "$sha256  $file" | sha256sum -c --quiet - >/dev/null 2>&1 && return
  curl -fsSL --retry 2 -o "$file.part" "$url" >&3 2>&3 || fail "cannot download $url"
  echo "$sha256  $file.part" | sha256sum -c --quiet - >&3 2>&3 || { rm -f "$file.part"; fail "$name: SHA-256 mismatch"; }
  mv "$file.part" "$file"
}

# The wasm32-wasip1-threads sysroot in TC: the libc of WASIBUILD_THREADS_LIBC,
# sid's wasm32-wasi headers (a link), the compiler-rt builtins, and those of
# sid's other wasm32-wasi archives that may go into a shared-memory module.
# An object built without atomics is fine there unless atomics or TLS were
# stripped from it (its libc's errno, for one), which wasm-ld records and
# refuses; so each archive is linked whole into a threads program, and kept
# only if that works. Left out (sid, 2026-04): libwasi-emulated-mman,
# -process-clocks, -signal and libc-printscan-*, so wasi.cmake turns those
# emulations off for this target.
_assemble_threads_sysroot() {
  local tc=$1 tmp=$2 sysroot=$1/share/wasi-sysroot name archive
  local lib=$sysroot/lib/wasm32-wasip1-threads builtins=$tc/lib/clang/22/lib/wasm32-unknown-wasip1-threads
  name=${WASIBUILD_THREADS_LIBC%% *}
  _fetch_threads_libc
  tar -xJf "$WASIBUILD_DOWNLOAD_CACHE/$name" -C "$tmp" --wildcards '*/self-contained/*' >&3 2>&3 ||
    fail "cannot unpack $name"
  mkdir -p "$lib" "$builtins" &&
    cp "$tmp/${name%.tar.xz}/rust-std-wasm32-wasip1-threads/lib/rustlib/wasm32-wasip1-threads/lib/self-contained/"* "$lib/" &&
    cp "$lib/crt1-command.o" "$lib/crt1.o" &&
    ln -s wasm32-wasi "$sysroot/include/wasm32-wasip1-threads" &&
    cp "$tc/lib/clang/22/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a" "$builtins/" ||
    fail "cannot assemble the wasm32-wasip1-threads sysroot"
  # The empty ones (libm.a, libpthread.a...: their functions are in libc.a)
  # first: clang's driver links -lpthread for this triple.
  for archive in "$sysroot/lib/wasm32-wasi/"lib*.a; do
    ! cmp -s "$archive" <(printf '!<arch>\n') || cp "$archive" "$lib/" || fail "cannot copy ${archive##*/}"
  done
  printf '%s\n' '#include <pthread.h>' 'static void *run(void *arg) { return arg; }' \
    'int main(void) { pthread_t thread; return pthread_create(&thread, 0, run, 0) || pthread_join(thread, 0); }' \
    >"$tmp/threads-archive.c"
  for archive in "$builtins/libclang_rt.builtins.a" "$sysroot/lib/wasm32-wasi/"lib*.a; do
    case ${archive##*/} in libc.a | libc++* | libunwind.a) continue ;; esac  # their own builds
    [ ! -f "$lib/${archive##*/}" ] || continue
    echo "linking ${archive##*/} whole into a wasm32-wasip1-threads program" >&3
    if "$tc/bin/clang" --target=wasm32-wasip1-threads "--sysroot=$sysroot" -pthread "$tmp/threads-archive.c" \
         $WASIBUILD_THREADS_LINK_FLAGS -Wl,--whole-archive "$archive" -Wl,--no-whole-archive \
         -o "$tmp/threads-archive.wasm" >&3 2>&3; then
      [ "${archive#"$builtins"}" != "$archive" ] || cp "$archive" "$lib/" || fail "cannot copy ${archive##*/}"
    elif [ "${archive#"$builtins"}" != "$archive" ]; then
      fail "the compiler-rt builtins do not link into a shared-memory module"
    else
      echo "left out of wasm32-wasip1-threads: ${archive##*/}" >&3
    fi
  done
}

# Prints the imports and exports of a core module, one a line: "import
# MODULE NAME" (a memory: "import MODULE NAME shared|unshared"), "export
# NAME"; enough to check a wasi-threads module.
_wasm_interface() {
  python3 - "$1" <<'PY'
import sys
def leb(b, i):
    value = shift = 0
    while True:
        byte = b[i]; i += 1; value |= (byte & 0x7f) << shift; shift += 7
        if byte < 0x80: return value, i
def name(b, i):
    n, i = leb(b, i); return b[i:i + n].decode(), i + n
def limits(b, i):
    flags, i = leb(b, i); _, i = leb(b, i)
    if flags & 1: _, i = leb(b, i)
    return flags, i
b = open(sys.argv[1], 'rb').read()
if b[:8] != b'\0asm\1\0\0\0': sys.exit(sys.argv[1] + ': not a core module')
i = 8
while i < len(b):
    section, (size, i) = b[i], leb(b, i + 1)
    end = i + size
    if section == 2:
        count, i = leb(b, i)
        for _ in range(count):
            module, i = name(b, i); field, i = name(b, i); kind = b[i]; i += 1
            if kind == 0: _, i = leb(b, i); print('import', module, field)
            elif kind == 1: i += 1; _, i = limits(b, i); print('import', module, field)
            elif kind == 2: flags, i = limits(b, i); print('import', module, field, 'shared' if flags & 2 else 'unshared')
            elif kind == 3: i += 2; print('import', module, field)
            elif kind == 4: i += 1; _, i = leb(b, i); print('import', module, field)
    elif section == 7:
        count, i = leb(b, i)
        for _ in range(count):
            field, i = name(b, i); _, i = leb(b, i + 1); print('export', field)
    i = end
PY
}

# wasm-component-ld into BIN, from WASIBUILD_WASM_COMPONENT_LD_DIR, where it
# is built from crates.io once per pinned version (a later assembly needs no
# network). cargo is the one set-up found for Wasmtime (require_cargo).
_install_wasm_component_ld() {
  local bin=$1 dir=$WASIBUILD_WASM_COMPONENT_LD_DIR version=$WASIBUILD_WASM_COMPONENT_LD_VERSION root
  if ! "$dir/bin/wasm-component-ld" --version 2>/dev/null | grep -qx "wasm-component-ld $version"; then
    command -v cargo >/dev/null || fail "cargo not found; it builds wasm-component-ld, wasm32-wasip2's linker"
    mkdir -p "$(dirname "$dir")" && root=$(mktemp -d "$dir.tmp.XXXXXX") ||
      fail "cannot create a directory next to $dir"
    if ! cargo install --locked --quiet --jobs 2 --root "$root" --version "$version" wasm-component-ld >&3 2>&3; then
      rm -rf "$root"
      fail "cargo install wasm-component-ld $version failed (crates.io unreachable?)"
    fi
    rm -rf "$dir" && mv "$root" "$dir" || fail "cannot move wasm-component-ld to $dir"
  fi
  cp "$dir/bin/wasm-component-ld" "$bin/" || fail "cannot copy wasm-component-ld into the toolchain"
}

# libc++, libc++abi and libunwind from TARBALL, built with the toolchain in
# TC for its sysroot, once for each TRIPLE, and installed there (libraries
# next to that triple's wasi-libc; headers in include/c++/v1, which every
# triple shares, so their __config_site must not differ). The options are
# the WASI SDK's, except ABI version 2 as in Debian's wasm32 builds; CMake's
# own runtimes build, run with a minimal toolchain file of its own (not
# wasibuild's, whose support layer is for projects, not for the C++ library
# itself). Nothing in libc++ 23 depends on wasip1 or wasip2: the same
# options serve both, and the try-compiles build static libraries, so the
# build needs no linker (and no wasm-component-ld).
_build_cxx_runtimes() {
  local tarball=$1 tc=$2 tmp=$3 triple
  shift 3
  local top=${WASIBUILD_LLVM23_SOURCE%%.orig.tar.xz*} sysroot=$tc/share/wasi-sysroot part
  local parts=()
  for part in runtimes cmake llvm/cmake llvm/utils/llvm-lit libcxx libcxxabi libunwind libc; do
    parts+=("$top/$part")
  done
  tar -xJf "$tarball" -C "$tmp" "${parts[@]}" >&3 2>&3 || fail "cannot unpack ${tarball##*/}"
  for part in "$repo"/scripts/patches/libcxx-*.patch; do
    patch -d "$tmp/$top" -p1 --quiet <"$part" >&3 2>&3 || fail "cannot apply ${part##*/}"
  done
  mkdir -p "$tmp/cmake/Platform" && cp "$repo/cmake-modules/Platform/WASI.cmake" "$tmp/cmake/Platform/" ||
    fail "cannot write the runtimes' toolchain file"
  local eh="-fwasm-exceptions -mllvm -wasm-use-legacy-eh=false" flags options library libdir config_site=
  for triple in "$@"; do
    # wasm32-wasip1-threads: atomics and bulk memory (the triple turns them
    # on) and _REENTRANT, which wasi-libc's headers need for its threads
    # functions; libc++ is the same library, on real pthreads.
    flags=$eh
    [[ $triple != *-threads ]] || flags+=" -pthread"
    cat >"$tmp/cmake/$triple.cmake" <<EOT || fail "cannot write the runtimes' toolchain file"
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "$tmp/cmake")
foreach(lang C CXX ASM)
  set(CMAKE_\${lang}_COMPILER_TARGET $triple)
endforeach()
set(CMAKE_C_COMPILER "$tc/bin/clang")
set(CMAKE_CXX_COMPILER "$tc/bin/clang++")
set(CMAKE_ASM_COMPILER "$tc/bin/clang")
set(CMAKE_AR "$tc/bin/llvm-ar")
set(CMAKE_RANLIB "$tc/bin/llvm-ranlib")
set(CMAKE_SYSROOT "$sysroot")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
EOT
    # wasi-libc's own directory for the triple (wasm32-wasip1 links to
    # wasm32-wasi), where clang's driver looks for the libraries.
    libdir=$(basename "$(readlink -f "$sysroot/lib/$triple")")
    options=()
    for library in LIBCXX LIBCXXABI LIBUNWIND; do
      options+=("-D${library}_ENABLE_SHARED=OFF" "-D${library}_LIBDIR_SUFFIX=/$libdir" "-D${library}_INCLUDE_TESTS=OFF")
    done
    cmake -G Ninja -S "$tmp/$top/runtimes" -B "$tmp/runtimes-$triple" -DCMAKE_TOOLCHAIN_FILE="$tmp/cmake/$triple.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$sysroot" -DCMAKE_INSTALL_INCLUDEDIR=include \
      -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_ASM_FLAGS="$flags" \
      -DLLVM_ENABLE_RUNTIMES="libcxx;libcxxabi;libunwind" -DLLVM_COMPILER_CHECKED=ON "${options[@]}" \
      -DLIBCXX_ENABLE_THREADS=ON -DLIBCXX_HAS_PTHREAD_API=ON -DLIBCXX_ENABLE_FILESYSTEM=ON \
      -DLIBCXX_ENABLE_EXCEPTIONS=ON -DLIBCXX_CXX_ABI=libcxxabi -DLIBCXX_ABI_VERSION=2 -DLIBCXX_PSTL_BACKEND=serial \
      -DLIBCXX_ENABLE_ABI_LINKER_SCRIPT=OFF -DLIBCXX_INCLUDE_BENCHMARKS=OFF -DLIBCXX_INSTALL_MODULES=OFF \
      -DLIBCXXABI_ENABLE_THREADS=ON -DLIBCXXABI_HAS_PTHREAD_API=ON -DLIBCXXABI_ENABLE_EXCEPTIONS=ON \
      -DLIBCXXABI_USE_LLVM_UNWINDER=ON -DLIBCXXABI_SILENT_TERMINATE=ON \
      -DLIBUNWIND_ENABLE_THREADS=ON -DLIBUNWIND_USE_COMPILER_RT=ON -DLIBUNWIND_HIDE_SYMBOLS=ON >&3 2>&3 ||
      fail "configuring libc++ for $triple failed"
    cmake --build "$tmp/runtimes-$triple" --target install -j2 >&3 2>&3 || fail "building libc++ for $triple failed"
    # The shared headers hold one __config_site: each triple's build must
    # install the same one.
    if [ -z "$config_site" ]; then
      config_site=$(<"$sysroot/include/c++/v1/__config_site")
    elif [ "$config_site" != "$(<"$sysroot/include/c++/v1/__config_site")" ]; then
      fail "libc++'s __config_site for $triple differs from the first triple's"
    fi
  done
}

# Prints the archive's path, or the reason and fails; tool output to fd 3.
_assemble_debian_llvm23() (
  pins=$1
  fail() { echo "$*"; exit 1; }
  [ "$(uname -m)" = x86_64 ] || fail "the pinned ziglang wheel is for x86_64 only"
  command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null || fail "needs apt-get and dpkg-deb"
  tmp=$(mktemp -d) || fail "cannot create a temporary directory"
  trap 'rm -rf "$tmp"' EXIT
  _fetch_ziglang "$tmp" "$tmp/zig"
  _fetch_debs "$tmp" sid "$tmp/root" "${WASIBUILD_LLVM23_DEBS[@]}"

  _fetch_llvm_source
  local tarball=$WASIBUILD_DOWNLOAD_CACHE/${WASIBUILD_LLVM23_SOURCE%% *}

  # The WASI SDK's layout, relocatable: wrappers find zig next to them.
  # wasi-libc's wasm32-wasip2 sysroot is a directory of its own (its libc
  # calls wasi:sockets and the other WASI 0.2 interfaces; netdb.h), and the
  # compiler-rt builtins, plain wasm32 code, serve both targets.
  local tc=$tmp/$WASIBUILD_LLVM23_NAME sysroot=$tmp/$WASIBUILD_LLVM23_NAME/share/wasi-sysroot
  local llvm=$tmp/root/usr/lib/llvm-23 triple
  mkdir -p "$tc/libexec" "$tc/lib/clang/22/lib" "$sysroot/include" "$sysroot/lib" &&
    cp "$tmp/zig/ziglang/zig" "$tc/libexec/zig" &&
    cp -r "$tmp/zig/ziglang/lib/include" "$tc/lib/clang/22/" || fail "cannot assemble the toolchain directory"
  for triple in wasm32-unknown-wasip1 wasm32-unknown-wasip2; do
    mkdir -p "$tc/lib/clang/22/lib/$triple" &&
      cp "$llvm/lib/clang/23/lib/wasi/libclang_rt.builtins-wasm32.a" "$tc/lib/clang/22/lib/$triple/libclang_rt.builtins.a" ||
      fail "cannot assemble the toolchain directory"
  done
  cp -r "$tmp/root/usr/include/wasm32-wasi" "$tmp/root/usr/include/wasm32-wasip2" "$sysroot/include/" &&
    cp -r "$tmp/root/usr/lib/wasm32-wasi" "$tmp/root/usr/lib/wasm32-wasip2" "$sysroot/lib/" &&
    find "$sysroot" -type l -delete &&
    ln -s wasm32-wasi "$sysroot/include/wasm32-wasip1" &&
    ln -s wasm32-wasi "$sysroot/lib/wasm32-wasip1" || fail "cannot assemble the toolchain directory"
  _write_zig_wrappers "$tc/bin" '$here/../libexec/zig' 22
  _assemble_threads_sysroot "$tc" "$tmp"
  # clang finds wasm-component-ld through the wrappers' -B$here, like
  # wasm-ld, and passes it --wasm-ld-path with the wasm-ld it found there
  # (the zig wrapper), so neither needs PATH.
  _install_wasm_component_ld "$tc/bin"
  _build_cxx_runtimes "$tarball" "$tc" "$tmp" wasm32-wasip1 wasm32-wasip2 wasm32-wasip1-threads
  echo "$pins" >"$tc/wasibuild-pins"

  # Proven before it is offered: a C++ program that throws, catches,
  # longjmps, locks and lists a directory compiles and links in the form
  # the toolchain file uses, for every target; a C program that resolves a
  # name and connects a socket links into a component for wasm32-wasip2,
  # whose preamble says so (version 0x0d, layer 1: a core module has
  # version 1, layer 0); a C program that starts a pthread and a C++ one
  # that starts a std::thread and waits on a std::condition_variable link
  # into wasi-threads modules for wasm32-wasip1-threads (below).
  printf '%s\n' '#include <csetjmp>' '#include <filesystem>' '#include <mutex>' '#include <stdexcept>' \
    'static std::jmp_buf env;' 'static std::mutex mutex;' \
    'int main() { try { throw std::runtime_error("x"); } catch (const std::exception&) {}' \
    '  std::lock_guard lock(mutex); for (auto& entry : std::filesystem::directory_iterator(".")) (void)entry;' \
    '  if (setjmp(env) == 0) std::longjmp(env, 1); return 0; }' >"$tmp/probe.cpp"
  local threads_flags=(-pthread $WASIBUILD_THREADS_LINK_FLAGS) flags
  for triple in wasm32-wasip1 wasm32-wasip2 wasm32-wasip1-threads; do
    flags=()
    [[ $triple != *-threads ]] || flags=("${threads_flags[@]}")
    "$tc/bin/clang++" --target=$triple "--sysroot=$sysroot" -fwasm-exceptions -mllvm -wasm-enable-sjlj \
      -mllvm -wasm-use-legacy-eh=false "${flags[@]}" "$tmp/probe.cpp" -lsetjmp -lunwind -o "$tmp/probe-$triple.wasm" >&3 2>&3 ||
      fail "the assembled toolchain does not compile a program with exceptions, setjmp, <filesystem> and <mutex> for $triple"
  done
  printf '%s\n' '#include <pthread.h>' '#include <stdio.h>' \
    'static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; static int total;' \
    'static void *add(void *arg) { pthread_mutex_lock(&lock); total += *(int *)arg; pthread_mutex_unlock(&lock); return 0; }' \
    'int main(void) { pthread_t thread; int one = 1; if (pthread_create(&thread, 0, add, &one)) return 1;' \
    '  pthread_join(thread, 0); printf("%d\n", total); return 0; }' >"$tmp/probe-pthread.c"
  printf '%s\n' '#include <condition_variable>' '#include <mutex>' '#include <thread>' \
    'int main() { std::mutex mutex; std::condition_variable ready; bool done = false;' \
    '  std::thread worker([&] { std::lock_guard lock(mutex); done = true; ready.notify_one(); });' \
    '  { std::unique_lock lock(mutex); ready.wait(lock, [&] { return done; }); } worker.join(); return 0; }' \
    >"$tmp/probe-thread.cpp"
  "$tc/bin/clang" --target=wasm32-wasip1-threads "--sysroot=$sysroot" "${threads_flags[@]}" "$tmp/probe-pthread.c" \
    -o "$tmp/probe-pthread.wasm" >&3 2>&3 ||
    fail "the assembled toolchain does not link a pthread program for wasm32-wasip1-threads"
  "$tc/bin/clang++" --target=wasm32-wasip1-threads "--sysroot=$sysroot" "${threads_flags[@]}" -fwasm-exceptions \
    -mllvm -wasm-use-legacy-eh=false "$tmp/probe-thread.cpp" -lunwind -o "$tmp/probe-thread.wasm" >&3 2>&3 ||
    fail "the assembled toolchain does not link a std::thread program for wasm32-wasip1-threads"
  local interface entry module
  for module in "$tmp/probe-pthread.wasm" "$tmp/probe-thread.wasm"; do
    interface=$(_wasm_interface "$module" 2>&3) || fail "cannot read ${module##*/}"
    printf '%s: %s\n' "${module##*/}" "$interface" >&3
    for entry in "import wasi thread-spawn" "import env memory shared" "export memory" "export wasi_thread_start"; do
      grep -qx "$entry" <<<"$interface" ||
        fail "the wasm32-wasip1-threads module ${module##*/} lacks \"$entry\" (not a wasi-threads module)"
    done
  done
  printf '%s\n' '#include <netdb.h>' '#include <string.h>' '#include <sys/socket.h>' '#include <unistd.h>' \
    'int main(void) { struct addrinfo hints, *found; memset(&hints, 0, sizeof hints); hints.ai_socktype = SOCK_STREAM;' \
    '  if (getaddrinfo("localhost", "80", &hints, &found) != 0) return 1;' \
    '  int fd = socket(found->ai_family, SOCK_STREAM, 0), rc = fd < 0 ? 1 : connect(fd, found->ai_addr, found->ai_addrlen);' \
    '  freeaddrinfo(found); if (fd >= 0) close(fd); return rc != 0; }' >"$tmp/probe.c"
  "$tc/bin/clang" --target=wasm32-wasip2 "--sysroot=$sysroot" "$tmp/probe.c" -o "$tmp/probe-sockets.wasm" >&3 2>&3 ||
    fail "the assembled toolchain does not link a wasm32-wasip2 component that uses sockets"
  for module in "$tmp/probe-wasm32-wasip2.wasm" "$tmp/probe-sockets.wasm"; do
    [ "$(od -An -tx1 -N8 "$module" | tr -d ' \n')" = 0061736d0d000100 ] ||
      fail "the wasm32-wasip2 link did not write a component (${module##*/})"
  done
  local archive=$WASIBUILD_DEV_LLVM23_ARCHIVE
  tar -C "$tmp" -czf "$archive.part" "$WASIBUILD_LLVM23_NAME" && mv "$archive.part" "$archive" ||
    fail "cannot write $archive"
  echo "$archive"
)
