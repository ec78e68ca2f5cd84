// The rule for symlinks in an unpacked toolchain, shared by extraction
// (against the staging directory) and installation (against the
// toolchain's own root, which may be a subdirectory of the archive).
#pragma once

#include <filesystem>
#include <string_view>

namespace wasibuild::toolchain {

// `link` is relative to the root it must stay inside.
[[nodiscard]] bool symlink_stays_inside(const std::filesystem::path& link, std::string_view target);

}  // namespace wasibuild::toolchain
