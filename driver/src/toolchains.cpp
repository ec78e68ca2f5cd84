#include "toolchains.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <sstream>

#include "config.hpp"
#include "paths.hpp"
#include "project.hpp"
#include "wasibuild/text.hpp"

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

tc::Result<tc::Toolchain> system_toolchain(const Env& env) {
  return tc::cached_system_toolchain(system_search(env), directories(env).cache);
}

tc::Sources toolchain_sources(const Env& env, bool offline_flag) {
  const auto set = [&env](const char* name) -> std::optional<std::string> {
    auto value = env.get(name);
    return value && !value->empty() ? value : std::nullopt;
  };
  tc::Sources sources;
  sources.mirror = set("WASIBUILD_MIRROR");
  if (!sources.mirror) sources.mirror = load_user_config(env).mirror;
  sources.npm_registry = set("WASIBUILD_NPM_REGISTRY");
  sources.offline = offline_flag || env.get("WASIBUILD_OFFLINE").value_or("") == "1";
  return sources;
}

// The project's [toolchain], from the same wasibuild.toml load_project()
// takes (never one inside a build tree, where a test may have written it),
// checked against the whole schema like every load.
std::optional<std::string> project_toolchain(const Env& env) {
  const auto file = find_project_file(env.working_directory).manifest;
  if (!file) return std::nullopt;
  return read_project(*file).toolchain;
}

tc::Result<tc::Resolution> resolve_toolchain(const Env& env, const std::optional<std::string>& flag) {
  tc::ResolveInputs inputs;
  inputs.flag = flag;
  inputs.environment = env.get("WASIBUILD_TOOLCHAIN");
  // The project's choice is read (and its file checked) only when it counts:
  // a mistake elsewhere in wasibuild.toml does not stop `--toolchain X`.
  if (!inputs.flag && !(inputs.environment && !inputs.environment->empty())) inputs.project = project_toolchain(env);
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
  return tc::release_request(base_install_request(env), release, tc::host_platform(), toolchain_sources(env));
}

fs::path tools_directory(const Env& env) { return directories(env).data / "tools"; }

std::optional<fs::path> installed_wasm_opt(const Env& env) {
  auto tool = tc::load_tool(tools_directory(env), tc::binaryen_release().name);
  std::error_code error;
  if (!tool || !fs::is_regular_file(tool.value().program, error)) return std::nullopt;
  return tool.value().program;
}

tc::InstallRequest binaryen_install_request(const Env& env) {
  tc::InstallRequest request = base_install_request(env);
  request.toolchains_dir = tools_directory(env);
  return tc::binaryen_request(std::move(request), toolchain_sources(env));
}

Failure failure_of(const tc::Error& error, int exit_status) {
  return Failure{error.message(), error.help, exit_status};
}

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
  out_ << "\r\033[Kdownloading " << label_ << "  " << base::size_text(bytes_) << std::flush;
}

void ProgressRenderer::end(bool succeeded) {
  if (quiet_) return;
  if (terminal_) out_ << "\r\033[K";
  // A failure is reported once, by the error that follows.
  if (succeeded) out_ << "downloaded " << label_ << " (" << base::size_text(bytes_) << ")\n";
  out_ << std::flush;
}

void ProgressRenderer::note(std::string_view line) {
  if (!quiet_) out_ << line << "\n" << std::flush;
}

}  // namespace wasibuild::driver
