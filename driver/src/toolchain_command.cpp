// `wasibuild toolchain list | install | remove | default | which | path`.
#include <fmt/format.h>

#include <algorithm>

#include "command.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "paths.hpp"
#include "toolchains.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

namespace {

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"': quoted += "\\\""; break;
      case '\\': quoted += "\\\\"; break;
      case '\n': quoted += "\\n"; break;
      case '\t': quoted += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          quoted += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

// CMake bracket arguments need no escaping as long as the text has no "]=]".
std::string cmake_quoted(const std::string& text) { return "[=[" + text + "]=]"; }

std::string cmake_settings(const tc::Toolchain& toolchain) {
  std::string targets;
  for (const auto& target : toolchain.capabilities.targets) targets += (targets.empty() ? "" : ";") + target;
  const auto& caps = toolchain.capabilities;
  const auto flag = [](bool value) { return value ? "ON" : "OFF"; };
  return fmt::format(
      "set(WASIBUILD_TOOLCHAIN_NAME {})\nset(WASIBUILD_CLANG {})\nset(WASIBUILD_CLANGXX {})\n"
      "set(WASIBUILD_AR {})\nset(WASIBUILD_RANLIB {})\nset(WASIBUILD_SYSROOT {})\nset(WASIBUILD_TARGET {})\n"
      "set(WASIBUILD_TARGETS {})\nset(WASIBUILD_HAS_EXCEPTIONS {})\nset(WASIBUILD_HAS_FILESYSTEM {})\n"
      "set(WASIBUILD_HAS_THREADS {})\nset(WASIBUILD_HAS_SETJMP {})\n",
      cmake_quoted(toolchain.name), cmake_quoted(toolchain.clang.string()), cmake_quoted(toolchain.clangxx.string()),
      cmake_quoted(toolchain.ar.string()), cmake_quoted(toolchain.ranlib.string()),
      cmake_quoted(toolchain.sysroot.string()), cmake_quoted(toolchain.default_target), cmake_quoted(targets),
      flag(caps.exceptions), flag(caps.filesystem), flag(caps.threads), flag(caps.setjmp));
}

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string capability_summary(const tc::Capabilities& caps) {
  std::string targets;
  for (const auto& target : caps.targets) targets += (targets.empty() ? "" : ",") + target;
  return fmt::format("targets {}; exceptions {}, <filesystem> {}, threads {}, setjmp {}",
                     targets.empty() ? "none" : targets, yes_no(caps.exceptions), yes_no(caps.filesystem),
                     yes_no(caps.threads), yes_no(caps.setjmp));
}

std::string toolchain_json(const tc::Toolchain& toolchain, bool is_default) {
  std::string targets;
  for (const auto& target : toolchain.capabilities.targets) targets += (targets.empty() ? "" : ",") + json_string(target);
  const auto& caps = toolchain.capabilities;
  return fmt::format(
      "{{\"name\":{},\"provider\":{},\"version\":{},\"default\":{},\"root\":{},\"clang\":{},\"clangxx\":{},"
      "\"sysroot\":{},\"default_target\":{},\"targets\":[{}],\"exceptions\":{},\"filesystem\":{},\"threads\":{},"
      "\"setjmp\":{},\"sha256\":{},\"pinned\":{}}}",
      json_string(toolchain.name), json_string(tc::provider_name(toolchain.provider)), json_string(toolchain.version),
      is_default, json_string(toolchain.root.string()), json_string(toolchain.clang.string()),
      json_string(toolchain.clangxx.string()), json_string(toolchain.sysroot.string()),
      json_string(toolchain.default_target), targets, caps.exceptions, caps.filesystem, caps.threads, caps.setjmp,
      json_string(toolchain.sha256), toolchain.pinned);
}

// "33", "wasi-sdk-33" -> 33
std::optional<int> sdk_version_of(const std::string& text) {
  std::string digits = text.starts_with("wasi-sdk-") ? text.substr(9) : text;
  if (digits.ends_with(".0")) digits.resize(digits.size() - 2);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit) || digits.size() > 4) {
    return std::nullopt;
  }
  return std::stoi(digits);
}

// "wasi-sysroot-25.0.tar.gz" -> "wasi-sysroot-25.0"
std::string name_from_source(const std::string& source) {
  std::string name = fs::path(source).filename().string();
  for (const char* suffix : {".tar.gz", ".tgz", ".tar.xz", ".tar.zst", ".tar.bz2", ".tar", ".zip"}) {
    if (name.ends_with(suffix)) {
      name.resize(name.size() - std::string_view(suffix).size());
      break;
    }
  }
  return name;
}

// --sha256 as the request's expected hash, when given.
void apply_sha256_flag(tc::InstallRequest& request, const std::string& sha256) {
  if (sha256.empty()) return;
  if (!tc::is_sha256_hex(sha256)) {
    throw Failure{fmt::format("--sha256 '{}': expected 64 lowercase hex digits", sha256), {}, kExitUsage};
  }
  request.sha256 = sha256;
}

class ToolchainCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.require_subcommand(1);
    auto* list = app.add_subcommand("list", "List installed, system and available toolchains");
    list->add_flag("--json", json_, "Print JSON");
    list->callback([this] { action_ = Action::list; });

    auto* install = app.add_subcommand("install", "Install a WASI SDK release, or any archive with --from");
    install->add_option("version", version_,
                        "WASI SDK version (e.g. 33), or 'binaryen' (wasm-opt for setjmp with clang 19); "
                        "default: the pinned default release");
    install->add_option("--from", from_, "Install from a URL or a local archive instead")->type_name("URL|FILE");
    install->add_option("--sha256", sha256_, "The archive's expected SHA-256 (hex)")->type_name("HEX");
    install->add_option("--name", name_, "Name to install under (default: from the version or file name)");
    install->add_flag("--force", force_, "Replace an installed toolchain of the same name");
    install->add_flag("--allow-unpinned", allow_unpinned_,
                      "Accept an archive without a known SHA-256 and record its hash (prints a warning)");
    install->add_flag("--offline", offline_, "Never use the network; use only downloads already cached");
    install->footer("Examples:\n  wasibuild toolchain install 33\n  wasibuild toolchain install binaryen\n"
                    "  wasibuild toolchain install --from ./wasi-sysroot-25.0.tar.gz --sha256 d09c62c1...\n"
                    "A mirror replaces the release site: WASIBUILD_MIRROR or [toolchain] mirror in config.toml;\n"
                    "WASIBUILD_NPM_REGISTRY replaces https://registry.npmjs.org for binaryen.");
    install->callback([this] { action_ = Action::install; });

    auto* remove = app.add_subcommand("remove", "Remove an installed toolchain");
    remove->add_option("name", name_, "Toolchain name")->required();
    remove->callback([this] { action_ = Action::remove; });

    auto* set_default = app.add_subcommand("default", "Make a toolchain the user default");
    set_default->add_option("name", name_, "Toolchain name, or 'system'")->required();
    set_default->callback([this] { action_ = Action::set_default; });

    auto* which = app.add_subcommand("which", "Show the toolchain a build here would use, and why");
    which->add_option("--toolchain", name_, "As `build --toolchain NAME` would");
    which->add_flag("--json", json_, "Print JSON");
    which->add_flag("--cmake", cmake_, "Print CMake set() commands (read by cmake-modules/wasi.cmake)");
    which->callback([this] { action_ = Action::which; });

    auto* path = app.add_subcommand("path", "Print the directory of a toolchain (or of the installed binaryen)");
    path->add_option("name", name_, "Toolchain name, 'system', or 'binaryen'")->required();
    path->callback([this] { action_ = Action::path; });
  }

  int run(Env& env) override {
    switch (action_) {
      case Action::list: return list(env);
      case Action::install: return install(env);
      case Action::remove: return remove(env);
      case Action::set_default: return set_default(env);
      case Action::which: return which(env);
      case Action::path: return path(env);
    }
    return 0;
  }

 private:
  enum class Action { list, install, remove, set_default, which, path };

  std::optional<std::string> user_default(const Env& env) const { return load_user_config(env).default_toolchain; }

  int list(Env& env) const {
    const auto installed = toolchain_store(env).installed();
    const auto system = system_toolchain(env);
    const auto chosen = user_default(env);
    const tc::Manifest& manifest = tc::builtin_manifest();
    const std::string host = tc::host_platform();
    if (json_) {
      std::string items;
      for (const auto& toolchain : installed) {
        items += (items.empty() ? "" : ",") + toolchain_json(toolchain, chosen == toolchain.name);
      }
      std::string releases;
      for (const auto& release : manifest.releases) {
        if (!release.asset(host)) continue;
        releases += fmt::format("{}{{\"version\":{},\"url\":{},\"pinned\":{}}}", releases.empty() ? "" : ",",
                                release.version, json_string(release.url(manifest.base_url, host)),
                                release.sha256.contains(host));
      }
      *env.out << fmt::format("{{\"installed\":[{}],\"system\":{},\"available\":[{}]}}\n", items,
                              system ? toolchain_json(system.value(), chosen == "system") : "null", releases);
      return 0;
    }
    *env.out << "installed:\n";
    if (installed.empty()) *env.out << "  (none)\n";
    for (const auto& toolchain : installed) {
      *env.out << fmt::format("  {}{}  {} {}\n      {}\n", toolchain.name, chosen == toolchain.name ? " (default)" : "",
                              tc::provider_name(toolchain.provider), toolchain.version,
                              capability_summary(toolchain.capabilities));
    }
    *env.out << "system:\n";
    if (system) {
      *env.out << fmt::format("  system{}  clang {} ({}), sysroot {}\n      {}\n", chosen == "system" ? " (default)" : "",
                              system.value().version, system.value().clang.string(), system.value().sysroot.string(),
                              capability_summary(system.value().capabilities));
    } else {
      *env.out << "  (none: " << system.error().detail << ")\n";
    }
    const tc::ToolRelease& binaryen = tc::binaryen_release();
    auto tool = tc::load_tool(tools_directory(env), binaryen.name);
    *env.out << "tools:\n"
             << (tool ? fmt::format("  {} {}  wasm-opt {}\n", binaryen.name, tool.value().version,
                                    tool.value().program.string())
                      : fmt::format("  {} {} not installed (setjmp for toolchains without it: "
                                    "wasibuild toolchain install binaryen)\n",
                                    binaryen.name, binaryen.version));
    const tc::Release* fallback = manifest.default_release(host);
    *env.out << fmt::format("available WASI SDK releases for {}:\n", host);
    for (auto it = manifest.releases.rbegin(); it != manifest.releases.rend(); ++it) {
      if (!it->asset(host)) continue;
      *env.out << fmt::format("  {:<3} clang {:<7} {}{}\n", it->version, it->clang,
                              it->sha256.contains(host) ? "pinned" : "not pinned (needs --sha256)",
                              fallback == &*it ? ", installed by default" : "");
    }
    return 0;
  }

  // Turns `install [VERSION] | --from ...` into a request for the installer.
  tc::InstallRequest request_for(const Env& env) const {
    tc::InstallRequest request = base_install_request(env);
    request.replace_existing = force_;
    request.allow_unpinned = allow_unpinned_;
    apply_sha256_flag(request, sha256_);
    if (!from_.empty()) {
      if (!version_.empty()) throw Failure{"give a VERSION or --from, not both", {}, kExitUsage};
      const bool is_url = tc::is_url(from_);
      request.source = is_url ? from_ : (env.working_directory / from_).lexically_normal().string();
      request.name = name_.empty() ? name_from_source(from_) : name_;
      request.provider = tc::Provider::custom;
      request.find_system_compiler = [search = system_search(env)]() -> std::optional<tc::Toolchain> {
        auto system = tc::discover_system(search);
        return system ? std::optional(system.value()) : std::nullopt;
      };
      if (!is_url && !fs::exists(request.source)) {
        throw Failure{fmt::format("{}: no such file", request.source), {}, kExitFailure};
      }
      if (!is_url && !request.sha256) request.allow_unpinned = true;  // a local file is the user's own
      return request;
    }
    const tc::Manifest& manifest = tc::builtin_manifest();
    const std::string host = tc::host_platform();
    const tc::Release* release = nullptr;
    if (version_.empty()) {
      release = manifest.default_release(host);
    } else if (auto number = sdk_version_of(version_)) {
      release = manifest.find(*number);
    }
    if (release == nullptr) {
      throw failure_of(tc::Error{tc::Error::Kind::unknown_version, version_,
                                 fmt::format(" (known: {}-{})", manifest.releases.front().version,
                                             manifest.releases.back().version),
                                 {}, {}, {"see the list: wasibuild toolchain list"}});
    }
    if (!release->asset(host)) {
      throw failure_of(tc::Error{tc::Error::Kind::no_asset_for_host, std::to_string(release->version), host});
    }
    const std::optional<std::string> user_hash = request.sha256;
    request = release_install_request(env, *release);
    request.replace_existing = force_;
    request.allow_unpinned = allow_unpinned_;
    if (!name_.empty()) request.name = name_;
    if (user_hash) request.sha256 = user_hash;  // --sha256 overrides the pin
    return request;
  }

  // `install binaryen [--from FILE]`: npm's binaryen, pinned, into the
  // tools directory. Its wasm-opt gives a toolchain without setjmp (Debian's
  // clang 19) setjmp/longjmp; `which --cmake` hands it to the toolchain file.
  int install_binaryen(Env& env) const {
    const tc::ToolRelease& release = tc::binaryen_release();
    tc::InstallRequest request = binaryen_install_request(env);
    request.replace_existing = force_;
    if (!from_.empty()) {
      const bool is_url = tc::is_url(from_);
      request.source = is_url ? from_ : (env.working_directory / from_).lexically_normal().string();
      if (!is_url && !fs::exists(request.source)) {
        throw Failure{fmt::format("{}: no such file", request.source), {}, kExitFailure};
      }
    }
    apply_sha256_flag(request, sha256_);
    if (!force_) {
      if (auto existing = tc::load_tool(request.toolchains_dir, release.name)) {
        *env.out << fmt::format("{} {} is already installed in {}\n", release.name, existing.value().version,
                                existing.value().root.string());
        return 0;
      }
    }
    if (auto refusal = tc::install_refusal(request, toolchain_sources(env, offline_), "--from FILE")) {
      throw failure_of(*refusal);
    }
    ProgressRenderer progress(*env.err, env.err_is_terminal, env.verbosity == Verbosity::quiet);
    auto installed = installer_module(env).install_tool(request, release, progress);
    if (!installed) throw failure_of(installed.error());
    if (env.verbosity == Verbosity::quiet) return 0;
    *env.out << fmt::format("installed {} {} in {}\n  wasm-opt {} (runs under node)\n", release.name,
                            installed.value().version, installed.value().root.string(),
                            installed.value().program.string());
    return 0;
  }

  int install(Env& env) const {
    if (version_ == tc::binaryen_release().name) return install_binaryen(env);
    tc::InstallRequest request = request_for(env);
    const tc::Store store = toolchain_store(env);
    if (!force_) {
      if (auto existing = store.load(request.name)) {
        *env.out << fmt::format("{} is already installed in {}\n", request.name, existing.value().root.string());
        return 0;
      }
    }
    if (auto refusal = tc::install_refusal(request, toolchain_sources(env, offline_), "--from FILE --sha256 HEX")) {
      throw failure_of(*refusal);
    }
    ProgressRenderer progress(*env.err, env.err_is_terminal, env.verbosity == Verbosity::quiet);
    auto installed = installer_module(env).install(request, progress);
    if (!installed) throw failure_of(installed.error());
    const tc::Toolchain& toolchain = installed.value();
    if (!toolchain.pinned && tc::is_url(request.source)) {
      *env.err << fmt::format("warning: {} had no pinned SHA-256; recorded {} from this download\n", request.source,
                              toolchain.sha256);
    }
    if (env.verbosity == Verbosity::quiet) return 0;
    *env.out << fmt::format("installed {} in {}\n  {}\n", toolchain.name, toolchain.root.string(),
                            capability_summary(toolchain.capabilities));
    return 0;
  }

  int remove(Env& env) const {
    if (auto error = toolchain_store(env).remove(name_)) throw not_installed_failure(env, *error);
    *env.out << fmt::format("removed {}\n", name_);
    // The default keeps naming it (nothing else is chosen silently); say
    // how to choose another.
    if (user_default(env) == name_) {
      *env.err << fmt::format("wasibuild: warning: {} was the default toolchain; choose another: wasibuild "
                              "toolchain default NAME{}\n",
                              name_, system_toolchain(env) ? " (the system's: wasibuild toolchain default system)" : "");
    }
    return 0;
  }

  int set_default(Env& env) const {
    if (name_ != "system") {
      if (auto loaded = toolchain_store(env).load(name_); !loaded) throw not_installed_failure(env, loaded.error());
    } else if (auto system = system_toolchain(env); !system) {
      throw failure_of(system.error());
    }
    save_default_toolchain(env, name_);
    *env.out << fmt::format("default toolchain: {}\n", name_);
    return 0;
  }

  int which(Env& env) const {
    auto resolved = resolve_toolchain(env, name_.empty() ? std::nullopt : std::optional(name_));
    if (!resolved) throw not_installed_failure(env, resolved.error());
    const tc::Resolution& resolution = resolved.value();
    if (!resolution.toolchain) {
      const tc::Release* release = tc::builtin_manifest().default_release(tc::host_platform());
      throw Failure{"no WASI toolchain is installed and none was found on this system",
                    {fmt::format("install one: wasibuild toolchain install{}",
                                 release ? " " + std::to_string(release->version) : ""),
                     "or install Debian's: apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 "
                     "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32"}};
    }
    const tc::Toolchain& toolchain = *resolution.toolchain;
    if (cmake_) {
      *env.out << cmake_settings(toolchain);
      // The toolchain file tries WASIBUILD_WASM_OPT first, then this, then PATH.
      if (auto wasm_opt = installed_wasm_opt(env)) {
        *env.out << fmt::format("set(WASIBUILD_TOOLCHAIN_WASM_OPT {})\n", cmake_quoted(wasm_opt->string()));
      }
      return 0;
    }
    if (json_) {
      *env.out << fmt::format("{{\"rule\":{},\"toolchain\":{}}}\n", json_string(tc::rule_description(resolution.rule)),
                              toolchain_json(toolchain, false));
      return 0;
    }
    *env.out << fmt::format("{} ({})\n  clang    {}\n  clang++  {}\n  ar       {}\n  ranlib   {}\n  sysroot  {}\n"
                            "  target   {}\n  {}\n",
                            toolchain.name, tc::rule_description(resolution.rule), toolchain.clang.string(),
                            toolchain.clangxx.string(), toolchain.ar.string(), toolchain.ranlib.string(),
                            toolchain.sysroot.string(), toolchain.default_target,
                            capability_summary(toolchain.capabilities));
    return 0;
  }

  int path(Env& env) const {
    if (name_ == tc::binaryen_release().name) {
      auto tool = tc::load_tool(tools_directory(env), name_);
      if (!tool) {
        throw Failure{fmt::format("{} is not installed", name_), {"install it: wasibuild toolchain install binaryen"}};
      }
      *env.out << tool.value().root.string() << "\n";
      return 0;
    }
    if (name_ == "system") {
      auto system = system_toolchain(env);
      if (!system) throw failure_of(system.error());
      *env.out << system.value().sysroot.string() << "\n";
      return 0;
    }
    auto loaded = toolchain_store(env).load(name_);
    if (!loaded) throw not_installed_failure(env, loaded.error());
    *env.out << loaded.value().root.string() << "\n";
    return 0;
  }

  // "not installed", with a "did you mean" among what is installed.
  Failure not_installed_failure(const Env& env, const tc::Error& error) const {
    Failure failure = failure_of(error);
    if (error.kind != tc::Error::Kind::not_installed) return failure;
    std::vector<std::string> names = {"system"};
    for (const auto& toolchain : toolchain_store(env).installed()) names.push_back(toolchain.name);
    if (auto guess = base::did_you_mean(error.subject, names)) failure.help.insert(failure.help.begin(), *guess);
    if (failure.help.empty()) failure.help.emplace_back("see what is installed: wasibuild toolchain list");
    return failure;
  }

  bool json_ = false;
  bool cmake_ = false;
  std::string version_;
  std::string from_;
  std::string sha256_;
  std::string name_;
  bool force_ = false;
  bool allow_unpinned_ = false;
  bool offline_ = false;
  Action action_ = Action::list;
};

}  // namespace

std::unique_ptr<Command> make_toolchain_command() { return std::make_unique<ToolchainCommand>(); }

}  // namespace wasibuild::driver
