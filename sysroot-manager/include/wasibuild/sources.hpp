// Where toolchain and tool archives come from, and the rules every install
// follows before anything is fetched: the release site or its mirror, the
// npm registry, offline mode, and the checksum a download must have.
// Pure rules over data (no network, no files but the download cache's
// names); the driver fills `Sources` from flags, variables and config.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wasibuild/installer.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

struct Sources {
  std::optional<std::string> mirror = {};        // replaces the manifest's release site (WASIBUILD_MIRROR, config)
  std::optional<std::string> npm_registry = {};  // replaces kNpmRegistry (WASIBUILD_NPM_REGISTRY)
  bool offline = false;                          // no network: only what the download cache holds
};

// "https://...", "http://...", "file://...": anything with a scheme.
[[nodiscard]] bool is_url(std::string_view source);

// 64 lowercase hex digits, as --sha256 takes and manifests pin.
[[nodiscard]] bool is_sha256_hex(std::string_view text);

// `base` (where things go) completed to install WASI SDK `release` for
// `host`: from the mirror or the release site, with its pinned hash.
[[nodiscard]] InstallRequest release_request(InstallRequest base, const Release& release, const std::string& host,
                                             const Sources& sources);

// `base` (the tools directory as toolchains_dir) completed to install the
// pinned binaryen from the npm registry (or its replacement).
[[nodiscard]] InstallRequest binaryen_request(InstallRequest base, const Sources& sources);

// Why `request` must not start, if it must not: a download with no hash to
// check it against (unless allow_unpinned), or, offline, a download the
// cache does not hold. `local_copy` is the command that installs a copy the
// user has ("--from FILE"), named in the help.
[[nodiscard]] std::optional<Error> install_refusal(const InstallRequest& request, const Sources& sources,
                                                   std::string_view local_copy);

// The system toolchain with its capabilities. Probing compiles a few
// programs, so the result is kept in `cache_dir` (system-toolchain.toml and
// its discovery key) and reused while PATH's directories, clang and the
// sysroot stay the same; failing to write the cache only costs the next run
// a probe.
[[nodiscard]] Result<Toolchain> cached_system_toolchain(const SystemSearch& search,
                                                       const std::filesystem::path& cache_dir);

}  // namespace wasibuild::toolchain
