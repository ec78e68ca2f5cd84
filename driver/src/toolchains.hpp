// Composing the toolchain manager for the driver's commands: where things
// live, the system toolchain (probed once, cached), resolution inputs from
// flags, environment and files, the installer module, progress output.
#pragma once

#include <optional>
#include <string>

#include "command.hpp"
#include "wasibuild/driver.hpp"
#include "wasibuild/installer_module.hpp"
#include "wasibuild/sources.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::driver {

[[nodiscard]] toolchain::Store toolchain_store(const Env& env);
[[nodiscard]] toolchain::SystemSearch system_search(const Env& env);

// The system toolchain with its capabilities, cached under the cache dir
// (toolchain::cached_system_toolchain).
[[nodiscard]] toolchain::Result<toolchain::Toolchain> system_toolchain(const Env& env);

// Where archives come from for this Env: WASIBUILD_MIRROR (else the user
// config's mirror), WASIBUILD_NPM_REGISTRY, and offline mode
// (`offline_flag`, or WASIBUILD_OFFLINE=1).
[[nodiscard]] toolchain::Sources toolchain_sources(const Env& env, bool offline_flag = false);

// The [toolchain] name of the nearest wasibuild.toml above the working
// directory, if any.
[[nodiscard]] std::optional<std::string> project_toolchain(const Env& env);

[[nodiscard]] toolchain::Result<toolchain::Resolution> resolve_toolchain(const Env& env,
                                                                         const std::optional<std::string>& flag);

// Loads libwasibuild-installer.so next to the binary (or in ../lib/wasibuild);
// throws Failure when it is missing or stale.
[[nodiscard]] const toolchain::InstallerModule& installer_module(const Env& env);

// The parts of an install request every install shares: where toolchains
// and downloads go, and the configured CA bundle.
[[nodiscard]] toolchain::InstallRequest base_install_request(const Env& env);
// Installing WASI SDK `release` for this host, from the release site or the
// mirror (WASIBUILD_MIRROR, then [toolchain] mirror), with its pinned hash.
[[nodiscard]] toolchain::InstallRequest release_install_request(const Env& env, const toolchain::Release& release);

// Helper tools (<data>/tools): the installed binaryen's wasm-opt, if any,
// and the request that installs binaryen from the npm registry
// (WASIBUILD_NPM_REGISTRY replaces https://registry.npmjs.org).
[[nodiscard]] std::filesystem::path tools_directory(const Env& env);
[[nodiscard]] std::optional<std::filesystem::path> installed_wasm_opt(const Env& env);
[[nodiscard]] toolchain::InstallRequest binaryen_install_request(const Env& env);

// A Failure carrying a toolchain error's message and remedies.
[[nodiscard]] Failure failure_of(const toolchain::Error& error, int exit_status = kExitFailure);

// Renders installer progress: an overprinted line on a terminal, plain lines
// when piped, nothing with --quiet (notes still print).
class ProgressRenderer final : public toolchain::ProgressSink {
 public:
  ProgressRenderer(std::ostream& out, bool terminal, bool quiet) : out_(out), terminal_(terminal), quiet_(quiet) {}
  void begin(std::string_view label, std::optional<std::uint64_t> total_bytes) override;
  void advance(std::uint64_t bytes_so_far) override;
  void end(bool succeeded) override;
  void note(std::string_view line) override;

 private:
  std::ostream& out_;
  bool terminal_;
  bool quiet_;
  std::string label_;
  std::uint64_t last_shown_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace wasibuild::driver
