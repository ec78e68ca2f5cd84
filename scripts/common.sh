# Shared by setup.sh and test.sh (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

# Debian packages wasibuild needs to build, test and compile guests.
WASIBUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache binaryen
  clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  libcli11-dev libtomlplusplus-dev doctest-dev libarchive-dev libcurl4-openssl-dev libssl-dev libfmt-dev
  python3 bzip2 unicode-data  # the compatibility suite (tests/compat/compat.sh)
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
export WASIBUILD_NPM_PREFIX WASIBUILD_DEV_WASM_OPT

install_npm_binaryen() {
  if "$WASIBUILD_DEV_WASM_OPT" --version 2>/dev/null | grep -q "version $WASIBUILD_BINARYEN_VERSION "; then
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
}
