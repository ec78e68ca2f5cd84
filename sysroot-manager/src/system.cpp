// The system provider: a distribution's clang and WASI sysroot.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "layout.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

std::optional<fs::path> find_in_path(const SystemSearch& search, const std::string& name) {
  for (const fs::path& dir : search.path) {
    const fs::path candidate = dir / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// clang-30 ... clang-14, then clang: the newest versioned one first, as
// Debian installs them side by side.
std::vector<std::string> clang_suffixes() {
  std::vector<std::string> suffixes;
  for (int major = 30; major >= 14; --major) suffixes.push_back(fmt::format("-{}", major));
  suffixes.emplace_back("");
  return suffixes;
}

// Debian: /usr/include/wasm32-wasi + /usr/lib/wasm32-wasi (sysroot /usr);
// Fedora, Arch, Homebrew: <prefix>/share/wasi-sysroot.
std::optional<fs::path> find_sysroot(const SystemSearch& search) {
  std::vector<fs::path> candidates;
  if (search.wasi_sysroot) candidates.push_back(*search.wasi_sysroot);
  for (const char* prefix : {"usr/share/wasi-sysroot", "usr/local/share/wasi-sysroot",
                             "opt/homebrew/share/wasi-sysroot", "usr"}) {
    candidates.push_back(search.root / prefix);
  }
  for (const fs::path& candidate : candidates) {
    if (has_libc(candidate / "lib/wasm32-wasi") || has_libc(candidate / "lib/wasm32-wasip1") ||
        has_libc(candidate / "lib")) {
      return candidate;
    }
    // An explicit WASI_SYSROOT that is wrong is an error, not a fallback.
    if (search.wasi_sysroot && candidate == *search.wasi_sysroot) return std::nullopt;
  }
  return std::nullopt;
}

// A sysroot shared with the host's own headers (Debian's /usr) has
// include/stdio.h next to include/wasm32-wasi.
bool shares_host_headers(const fs::path& sysroot) {
  std::error_code error;
  return fs::exists(sysroot / "include/stdio.h", error) && fs::is_directory(sysroot / "include/wasm32-wasi", error);
}

// <view>/include/wasm32-* and <view>/lib/wasm32-* as symlinks into the
// sysroot, built beside the view and renamed into place.
std::optional<fs::path> isolated_view_of(const fs::path& sysroot, const fs::path& view) {
  std::error_code error;
  if (fs::is_symlink(view / "include/wasm32-wasi", error) &&
      fs::read_symlink(view / "include/wasm32-wasi", error) == sysroot / "include/wasm32-wasi") {
    return view;
  }
  const fs::path building = view.string() + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(building, error);
  for (const char* part : {"include", "lib"}) {
    fs::create_directories(building / part, error);
    for (const auto& entry : fs::directory_iterator(sysroot / part, error)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("wasm32-")) fs::create_directory_symlink(entry.path(), building / part / name, error);
    }
  }
  if (error) {
    fs::remove_all(building, error);
    return std::nullopt;
  }
  fs::remove_all(view, error);
  fs::rename(building, view, error);
  if (error) {
    fs::remove_all(building, error);
    // Another process may have just built the same view.
    return fs::is_directory(view / "include/wasm32-wasi") ? std::optional(view) : std::nullopt;
  }
  return view;
}

std::string clang_version(const fs::path& clang) {
  const ToolRun run = run_tool({clang.string(), "--version"});
  std::smatch match;
  static const std::regex kVersion(R"(version ([0-9]+\.[0-9]+\.[0-9]+))");
  return std::regex_search(run.output, match, kVersion) ? match[1].str() : "";
}

// clang knows where its wasm32 builtins should be; they must exist.
bool has_wasm_builtins(const fs::path& clang) {
  const ToolRun run = run_tool({clang.string(), "--target=wasm32-wasi", "-print-libgcc-file-name"});
  if (run.exit_status != 0) return false;
  std::string path = run.output;
  while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
  std::error_code error;
  return !path.empty() && fs::is_regular_file(path, error);
}

}  // namespace

Result<Toolchain> discover_system(const SystemSearch& search) {
  const auto sysroot = find_sysroot(search);
  if (!sysroot) {
    return Error{Error::Kind::no_toolchain, {}, "no WASI sysroot (wasi-libc) found", {}, {},
                 {"on Debian or Ubuntu: apt-get install wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 "
                  "libclang-rt-19-dev-wasm32 lld-19 clang-19",
                  "or set WASI_SYSROOT to a wasi-sysroot directory"}};
  }
  for (const std::string& suffix : clang_suffixes()) {
    const auto clang = find_in_path(search, "clang" + suffix);
    const auto clangxx = find_in_path(search, "clang++" + suffix);
    const auto linker = find_in_path(search, "wasm-ld" + suffix);
    if (!clang || !clangxx || !linker) continue;
    if (!has_wasm_builtins(*clang)) continue;
    Toolchain toolchain;
    toolchain.name = "system";
    toolchain.provider = Provider::system;
    toolchain.version = clang_version(*clang);
    toolchain.clang = *clang;
    toolchain.clangxx = *clangxx;
    toolchain.ar = find_in_path(search, "llvm-ar" + suffix).value_or(find_in_path(search, "llvm-ar").value_or(""));
    toolchain.ranlib =
        find_in_path(search, "llvm-ranlib" + suffix).value_or(find_in_path(search, "llvm-ranlib").value_or(""));
    toolchain.sysroot = *sysroot;
    if (search.isolated_view && shares_host_headers(*sysroot)) {
      if (auto view = isolated_view_of(*sysroot, *search.isolated_view)) toolchain.sysroot = *view;
    }
    toolchain.capabilities.targets = sysroot_targets(*sysroot);
    toolchain.default_target =
        toolchain.capabilities.targets.empty() ? "wasm32-wasi" : toolchain.capabilities.targets.front();
    toolchain.source = "system";
    return toolchain;
  }
  return Error{Error::Kind::no_toolchain, {}, "no clang with wasm32 support (wasm-ld and compiler-rt) on PATH",
               {}, {}, {"on Debian or Ubuntu: apt-get install clang-19 lld-19 libclang-rt-19-dev-wasm32"}};
}

}  // namespace wasibuild::toolchain
