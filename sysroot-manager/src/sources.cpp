#include "wasibuild/sources.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>

#include "wasibuild/files.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

bool is_url(std::string_view source) { return source.find("://") != std::string_view::npos; }

bool is_sha256_hex(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

InstallRequest release_request(InstallRequest base, const Release& release, const std::string& host,
                               const Sources& sources) {
  base.source = release.url(sources.mirror.value_or(builtin_manifest().base_url), host);
  base.name = "wasi-sdk-" + std::to_string(release.version);
  base.provider = Provider::wasi_sdk;
  base.version = std::to_string(release.version);
  base.top_directory = release.top_directory(host);
  base.default_target = release.default_target;
  if (auto pinned = release.sha256.find(host); pinned != release.sha256.end()) base.sha256 = pinned->second;
  return base;
}

InstallRequest binaryen_request(InstallRequest base, const Sources& sources) {
  const ToolRelease& release = binaryen_release();
  std::string registry = sources.npm_registry.value_or(kNpmRegistry);
  while (registry.ends_with('/')) registry.pop_back();
  base.name = release.name;
  base.version = release.version;
  base.source = registry + release.registry_path;
  base.sha256 = release.sha256;
  base.top_directory = release.top_directory;
  return base;
}

std::optional<Error> install_refusal(const InstallRequest& request, const Sources& sources,
                                     std::string_view local_copy) {
  if (!request.sha256 && !request.allow_unpinned) {
    return Error{Error::Kind::checksum_required, request.source, {}, {}, {},
                 {"pass the archive's SHA-256 with --sha256 HEX",
                  "or accept it unverified and record its hash with --allow-unpinned"}};
  }
  if (!sources.offline || !is_url(request.source)) return std::nullopt;
  std::error_code error;
  if (request.sha256 && fs::exists(request.download_cache / *request.sha256, error)) return std::nullopt;
  return Error{Error::Kind::offline, request.source, {}, {}, {},
               {fmt::format("run it again without --offline (WASIBUILD_OFFLINE), or install a local copy with {}",
                            local_copy)}};
}

namespace {

constexpr const char* kSystemCacheFile = "system-toolchain.toml";
constexpr const char* kSystemKeyFile = "system-toolchain.key";

// A missing, unreadable or planted cache file reads as no cache.
std::string read_cache_file(const fs::path& cache_dir, const std::string& name) {
  try {
    const base::Fd dir = base::open_directory(cache_dir);
    return base::read_file_at(dir.get(), name, cache_dir / name, 1u << 20).value_or("");
  } catch (const base::FileError&) {
    return "";
  }
}

void write_cache_file(const fs::path& cache_dir, const std::string& name, const std::string& text) {
  try {
    base::replace_file(cache_dir / name, text);
  } catch (const base::FileError&) {
  }
}

std::optional<Toolchain> read_system_cache(const fs::path& cache_dir) {
  const std::string text = read_cache_file(cache_dir, kSystemCacheFile);
  if (text.empty()) return std::nullopt;
  auto cached = toolchain_from_toml(text, cache_dir / kSystemCacheFile);
  if (!cached) return std::nullopt;
  return cached.value();
}

// What discovering the system toolchain depends on, from stat() calls only:
// the search inputs, each PATH directory's modification time (installing or
// removing a clang, clang++ or wasm-ld changes it), the toolchain's clang
// binary, and its sysroot's per-target libc directories. While it stays the
// same, discovery would find the same toolchain, so the clang runs it takes
// (--version, -print-libgcc-file-name: ~100 ms) are skipped.
std::string discovery_key(const SystemSearch& search, const Toolchain& toolchain) {
  std::error_code error;
  const auto stamp = [&error](const fs::path& path) {
    const auto time = fs::last_write_time(path, error);
    return error ? std::string("-") : std::to_string(time.time_since_epoch().count());
  };
  std::string key = "wasibuild-system-toolchain-key-v1\n";
  for (const fs::path& dir : search.path) key += fmt::format("path {} {}\n", dir.string(), stamp(dir));
  key += fmt::format("wasi-sysroot {}\n", search.wasi_sysroot ? search.wasi_sysroot->string() : "-");
  const fs::path clang = fs::canonical(toolchain.clang, error);
  const std::uintmax_t size = error ? 0 : fs::file_size(clang, error);
  key += fmt::format("clang {} {} {}\n", clang.string(), size, stamp(clang));
  for (const auto& target : toolchain.capabilities.targets) {
    key += fmt::format("libc {} {}\n", target, fs::is_directory(toolchain.sysroot / "lib" / target, error));
  }
  return key;
}

// Probes in a directory made for this probe alone (mkdtemp: new, unique,
// 0700), never one a name could have been planted at; in the system's
// temp directory when the cache cannot hold one.
Capabilities probe_in_fresh_directory(const Toolchain& toolchain, const fs::path& cache_dir) {
  std::error_code error;
  fs::create_directories(cache_dir, error);
  for (const fs::path& parent : {cache_dir, fs::temp_directory_path(error)}) {
    std::string pattern = (parent / "probe-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) continue;
    const Capabilities capabilities = probe_capabilities(toolchain, pattern);
    fs::remove_all(pattern, error);
    return capabilities;
  }
  return {};
}

// The cached capabilities still describe `found` when clang, its version
// and the sysroot are the same.
bool still_describes(const Toolchain& cached, const Toolchain& found) {
  return cached.clang == found.clang && cached.version == found.version && cached.sysroot == found.sysroot;
}

}  // namespace

Result<Toolchain> cached_system_toolchain(const SystemSearch& search, const fs::path& cache_dir) {
  const std::optional<Toolchain> cached = read_system_cache(cache_dir);
  if (cached && read_cache_file(cache_dir, kSystemKeyFile) == discovery_key(search, *cached)) return *cached;
  auto found = discover_system(search);
  if (!found) return found;
  Toolchain toolchain = found.value();
  if (cached && still_describes(*cached, toolchain)) {
    toolchain = *cached;
  } else {
    toolchain.capabilities = probe_in_fresh_directory(toolchain, cache_dir);
    write_cache_file(cache_dir, kSystemCacheFile, to_toml(toolchain));
  }
  write_cache_file(cache_dir, kSystemKeyFile, discovery_key(search, toolchain));
  return toolchain;
}

}  // namespace wasibuild::toolchain
