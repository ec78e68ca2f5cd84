#include "toolchains.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "config.hpp"
#include "paths.hpp"
#include "project.hpp"
#include "wasibuild/files.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

tc::Store toolchain_store(const Env& env) { return tc::Store(directories(env).data / "toolchains"); }

tc::SystemSearch system_search(const Env& env) {
  tc::SystemSearch search;
  std::stringstream path(env.get("PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
  for (std::string dir; std::getline(path, dir, ':');) {
    if (!dir.empty()) search.path.emplace_back(dir);
  }
  if (auto sysroot = env.get("WASI_SYSROOT"); sysroot && !sysroot->empty()) search.wasi_sysroot = *sysroot;
  search.isolated_view = directories(env).data / "system-sysroot";
  return search;
}

namespace {

fs::path system_cache_file(const Env& env) { return directories(env).cache / "system-toolchain.toml"; }
fs::path system_key_file(const Env& env) { return directories(env).cache / "system-toolchain.key"; }

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A cache: failing to write it only costs the next run a probe.
void write_file_atomically(const fs::path& file, const std::string& text) {
  try {
    base::replace_file(file, text);
  } catch (const base::FileError&) {
  }
}

std::optional<tc::Toolchain> read_system_cache(const Env& env) {
  const std::string text = read_file(system_cache_file(env));
  if (text.empty()) return std::nullopt;
  auto cached = tc::toolchain_from_toml(text, system_cache_file(env));
  if (!cached) return std::nullopt;
  return cached.value();
}

std::optional<tc::Toolchain> cached_system_toolchain(const Env& env, const tc::Toolchain& found) {
  auto cached = read_system_cache(env);
  if (!cached) return std::nullopt;
  if (cached->clang != found.clang || cached->version != found.version || cached->sysroot != found.sysroot) {
    return std::nullopt;
  }
  return cached;
}

// What discovering the system toolchain depends on, from stat() calls only:
// the search inputs, each PATH directory's modification time (installing or
// removing a clang, clang++ or wasm-ld changes it), the toolchain's clang
// binary, and its sysroot's per-target libc directories. While it stays the
// same, discovery would find the same toolchain, so the clang runs it takes
// (--version, -print-libgcc-file-name: ~100 ms) are skipped.
std::string discovery_key(const tc::SystemSearch& search, const tc::Toolchain& toolchain) {
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

}  // namespace

tc::Result<tc::Toolchain> system_toolchain(const Env& env) {
  const tc::SystemSearch search = system_search(env);
  if (auto cached = read_system_cache(env); cached && read_file(system_key_file(env)) == discovery_key(search, *cached)) {
    return *cached;
  }
  auto found = tc::discover_system(search);
  if (!found) return found;
  tc::Toolchain toolchain = found.value();
  if (auto cached = cached_system_toolchain(env, toolchain)) {
    toolchain = *cached;
  } else {
    const fs::path scratch = directories(env).cache / ("probe-" + std::to_string(::getpid()));
    toolchain.capabilities = tc::probe_capabilities(toolchain, scratch);
    std::error_code error;
    fs::remove_all(scratch, error);
    write_file_atomically(system_cache_file(env), tc::to_toml(toolchain));
  }
  write_file_atomically(system_key_file(env), discovery_key(search, toolchain));
  return toolchain;
}

// The project's [toolchain], from the same wasibuild.toml load_project()
// takes: never one inside a build tree, where a test may have written it.
std::optional<std::string> project_toolchain(const Env& env) {
  const auto file = find_project_file(env.working_directory).manifest;
  if (!file) return std::nullopt;
  std::ifstream in(*file);
  std::stringstream text;
  text << in.rdbuf();
  try {
    const toml::table table = toml::parse(text.str(), std::string_view(file->string()));
    if (auto name = table["toolchain"]["name"].value<std::string>()) return *name;
    if (auto version = table["toolchain"]["version"].value<std::int64_t>()) return std::to_string(*version);
    return std::nullopt;
  } catch (const toml::parse_error& error) {
    throw Failure{fmt::format("{}:{}:{}: {}", file->string(), error.source().begin.line, error.source().begin.column,
                              error.description())};
  }
}

tc::Result<tc::Resolution> resolve_toolchain(const Env& env, const std::optional<std::string>& flag) {
  tc::ResolveInputs inputs;
  inputs.flag = flag;
  inputs.environment = env.get("WASIBUILD_TOOLCHAIN");
  inputs.project = project_toolchain(env);
  inputs.user_default = load_user_config(env).default_toolchain;
  inputs.installed = toolchain_store(env).installed();
  if (auto system = system_toolchain(env)) inputs.system = system.value();
  return tc::resolve(inputs);
}

const tc::InstallerModule& installer_module(const Env& env) {
  static const tc::InstallerModule* loaded = nullptr;
  if (loaded != nullptr) return *loaded;
  const fs::path dir = env.executable.parent_path();
  // Next to the binary in the build tree; <libdir>/wasibuild once installed.
  std::vector<fs::path> candidates = {dir / tc::kInstallerModuleFile,
                                      dir / WASIBUILD_INSTALLER_FROM_BIN / tc::kInstallerModuleFile};
  std::string problems;
  for (const fs::path& candidate : candidates) {
    // RTLD_LOCAL: its libcurl and libarchive symbols stay its own.
    void* handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      problems += fmt::format("\n  {}", ::dlerror());
      continue;
    }
    using Entry = const tc::InstallerModule* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, tc::kInstallerModuleSymbol));
    if (entry != nullptr && entry()->version == tc::kInstallerModuleVersion) return *(loaded = entry());
    problems += fmt::format("\n  {}: not a matching wasibuild installer module", candidate.string());
  }
  throw Failure{fmt::format("cannot load the installer module ({}){}", tc::kInstallerModuleFile, problems),
                {"reinstall wasibuild: the module belongs next to the binary or in " WASIBUILD_INSTALLER_FROM_BIN}};
}

tc::InstallRequest base_install_request(const Env& env) {
  const UserConfig config = load_user_config(env);
  tc::InstallRequest request;
  request.toolchains_dir = toolchain_store(env).directory();
  request.download_cache = directories(env).cache / "downloads";
  if (config.ca_bundle) request.download.ca_bundle = *config.ca_bundle;
  return request;
}

tc::InstallRequest release_install_request(const Env& env, const tc::Release& release) {
  const UserConfig config = load_user_config(env);
  std::string base = tc::builtin_manifest().base_url;
  if (auto mirror = env.get("WASIBUILD_MIRROR"); mirror && !mirror->empty()) {
    base = *mirror;
  } else if (config.mirror) {
    base = *config.mirror;
  }
  const std::string host = tc::host_platform();
  tc::InstallRequest request = base_install_request(env);
  request.source = release.url(base, host);
  request.name = "wasi-sdk-" + std::to_string(release.version);
  request.provider = tc::Provider::wasi_sdk;
  request.version = std::to_string(release.version);
  request.top_directory = release.top_directory(host);
  request.default_target = release.default_target;
  if (auto pinned = release.sha256.find(host); pinned != release.sha256.end()) request.sha256 = pinned->second;
  return request;
}

fs::path tools_directory(const Env& env) { return directories(env).data / "tools"; }

std::optional<fs::path> installed_wasm_opt(const Env& env) {
  auto tool = tc::load_tool(tools_directory(env), tc::binaryen_release().name);
  std::error_code error;
  if (!tool || !fs::is_regular_file(tool.value().program, error)) return std::nullopt;
  return tool.value().program;
}

tc::InstallRequest binaryen_install_request(const Env& env) {
  const tc::ToolRelease& release = tc::binaryen_release();
  std::string registry = tc::kNpmRegistry;
  if (auto mirror = env.get("WASIBUILD_NPM_REGISTRY"); mirror && !mirror->empty()) registry = *mirror;
  while (registry.ends_with('/')) registry.pop_back();
  tc::InstallRequest request = base_install_request(env);
  request.toolchains_dir = tools_directory(env);
  request.name = release.name;
  request.version = release.version;
  request.source = registry + release.registry_path;
  request.sha256 = release.sha256;
  request.top_directory = release.top_directory;
  return request;
}

Failure failure_of(const tc::Error& error, int exit_status) {
  return Failure{error.message(), error.help, exit_status};
}

namespace {
std::string mebibytes(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }
}  // namespace

void ProgressRenderer::begin(std::string_view label, std::optional<std::uint64_t>) {
  label_ = label;
  bytes_ = last_shown_ = 0;
  if (!quiet_) out_ << "downloading " << label_ << (terminal_ ? "" : "\n") << std::flush;
}

void ProgressRenderer::advance(std::uint64_t bytes_so_far) {
  bytes_ = bytes_so_far;
  // Overprint at most every 256 KiB on a terminal; never when piped.
  if (quiet_ || !terminal_ || bytes_ - last_shown_ < (256u << 10)) return;
  last_shown_ = bytes_;
  out_ << "\r\033[Kdownloading " << label_ << "  " << mebibytes(bytes_) << std::flush;
}

void ProgressRenderer::end(bool succeeded) {
  if (quiet_) return;
  if (terminal_) out_ << "\r\033[K";
  // A failure is reported once, by the error that follows.
  if (succeeded) out_ << "downloaded " << label_ << " (" << mebibytes(bytes_) << ")\n";
  out_ << std::flush;
}

void ProgressRenderer::note(std::string_view line) {
  if (!quiet_) out_ << line << "\n" << std::flush;
}

}  // namespace wasibuild::driver
