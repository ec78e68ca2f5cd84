// Facts read from a toolchain's files (no clang runs).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wasibuild::toolchain {

// Whether `lib_dir` holds a WASI libc (libc.a).
[[nodiscard]] bool has_libc(const std::filesystem::path& lib_dir);

// The triples whose libc.a the sysroot holds, in preference order.
[[nodiscard]] std::vector<std::string> sysroot_targets(const std::filesystem::path& sysroot);

}  // namespace wasibuild::toolchain
