// The entry point of the installer module (libwasibuild-installer.so).
// Built from the same sources as the driver, so C++ types cross it safely;
// the version guards against a stale module next to a newer binary.
#pragma once

#include "wasibuild/installer.hpp"

namespace wasibuild::toolchain {

inline constexpr int kInstallerModuleVersion = 2;

struct InstallerModule {
  int version;
  Result<Toolchain> (*install)(const InstallRequest& request, ProgressSink& progress);
  Result<InstalledTool> (*install_tool)(const InstallRequest& request, const ToolRelease& tool, ProgressSink& progress);
};

inline constexpr const char* kInstallerModuleSymbol = "wasibuild_installer_module";
inline constexpr const char* kInstallerModuleFile = "libwasibuild-installer.so";

}  // namespace wasibuild::toolchain
