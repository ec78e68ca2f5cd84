# Shared by setup.sh and test.sh (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

# Debian packages wasibuild needs to build, test and compile guests.
WASIBUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  libcli11-dev libtomlplusplus-dev doctest-dev libarchive-dev libcurl4-openssl-dev libssl-dev libfmt-dev
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
