#include "toolchains.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "config.hpp"
#include "paths.hpp"

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

std::optional<tc::Toolchain> cached_system_toolchain(const Env& env, const tc::Toolchain& found) {
  std::ifstream in(system_cache_file(env));
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto cached = tc::toolchain_from_toml(text.str(), system_cache_file(env));
  if (!cached) return std::nullopt;
  const tc::Toolchain& value = cached.value();
  if (value.clang != found.clang || value.version != found.version || value.sysroot != found.sysroot) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

tc::Result<tc::Toolchain> system_toolchain(const Env& env) {
  auto found = tc::discover_system(system_search(env));
  if (!found) return found;
  if (auto cached = cached_system_toolchain(env, found.value())) return *cached;
  tc::Toolchain toolchain = found.value();
  const fs::path scratch = directories(env).cache / ("probe-" + std::to_string(::getpid()));
  toolchain.capabilities = tc::probe_capabilities(toolchain, scratch);
  std::error_code error;
  fs::remove_all(scratch, error);
  fs::create_directories(system_cache_file(env).parent_path(), error);
  const fs::path temp = system_cache_file(env).string() + "." + std::to_string(::getpid());
  std::ofstream(temp) << tc::to_toml(toolchain);
  fs::rename(temp, system_cache_file(env), error);
  return toolchain;
}

std::optional<std::string> project_toolchain(const Env& env) {
  for (fs::path dir = env.working_directory; !dir.empty(); dir = dir.parent_path()) {
    const fs::path file = dir / "wasibuild.toml";
    std::ifstream in(file);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      try {
        const toml::table table = toml::parse(text.str(), std::string_view(file.string()));
        if (auto name = table["toolchain"]["name"].value<std::string>()) return *name;
        if (auto version = table["toolchain"]["version"].value<std::int64_t>()) return std::to_string(*version);
        return std::nullopt;
      } catch (const toml::parse_error& error) {
        throw Failure{fmt::format("{}:{}:{}: {}", file.string(), error.source().begin.line,
                                  error.source().begin.column, error.description())};
      }
    }
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
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
  std::vector<fs::path> candidates = {dir / tc::kInstallerModuleFile, dir / "../lib/wasibuild" / tc::kInstallerModuleFile};
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
                {"reinstall wasibuild: the module belongs next to the binary or in ../lib/wasibuild"}};
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

void ProgressRenderer::note(std::string_view line) { out_ << line << "\n" << std::flush; }

}  // namespace wasibuild::driver
