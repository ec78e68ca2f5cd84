// The installer as a loadable module: the driver dlopens it only for
// commands that install, so libcurl, libarchive and their ~40 shared
// libraries are never loaded by `wasibuild exec` (design.md, decision 13).
#include "wasibuild/installer_module.hpp"

namespace {
const wasibuild::toolchain::InstallerModule kModule{wasibuild::toolchain::kInstallerModuleVersion,
                                                    &wasibuild::toolchain::install,
                                                    &wasibuild::toolchain::install_tool};
}  // namespace

extern "C" __attribute__((visibility("default"))) const wasibuild::toolchain::InstallerModule*
wasibuild_installer_module() {
  return &kModule;
}
