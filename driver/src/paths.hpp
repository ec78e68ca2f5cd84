// Where wasibuild keeps its files (XDG; WASIBUILD_HOME overrides all three).
#pragma once

#include <filesystem>

#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::driver {

struct Directories {
  std::filesystem::path data;    // toolchains
  std::filesystem::path cache;   // downloads, compiled modules
  std::filesystem::path config;  // config.toml
};

[[nodiscard]] Directories directories(const Env& env);

// The compiled-code cache: WASIBUILD_CACHE_DIR, else <cache>/modules; its
// size limit from WASIBUILD_CACHE_MAX_SIZE (default 1 GiB). Throws Failure
// for a malformed size.
[[nodiscard]] runner::CacheOptions module_cache(const Env& env);

}  // namespace wasibuild::driver
