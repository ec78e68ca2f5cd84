#include "paths.hpp"

#include "command.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

// $NAME if set and absolute (the XDG spec ignores relative values), else
// $HOME/<fallback>.
fs::path xdg_dir(const Env& env, std::string_view name, std::string_view fallback) {
  if (auto value = env.get(name); value && fs::path(*value).is_absolute()) return *value;
  const fs::path home = env.get("HOME").value_or("/");
  return home / fallback;
}

}  // namespace

Directories directories(const Env& env) {
  if (auto home = env.get("WASIBUILD_HOME"); home && !home->empty()) {
    const fs::path root = fs::absolute(env.working_directory / *home);
    return {root / "data", root / "cache", root / "config"};
  }
  return {xdg_dir(env, "XDG_DATA_HOME", ".local/share") / "wasibuild",
          xdg_dir(env, "XDG_CACHE_HOME", ".cache") / "wasibuild",
          xdg_dir(env, "XDG_CONFIG_HOME", ".config") / "wasibuild"};
}

runner::CacheOptions module_cache(const Env& env) {
  runner::CacheOptions options;
  if (auto dir = env.get("WASIBUILD_CACHE_DIR"); dir && !dir->empty()) {
    options.directory = env.working_directory / *dir;
  } else {
    options.directory = directories(env).cache / "modules";
  }
  if (auto limit = env.get("WASIBUILD_CACHE_MAX_SIZE"); limit && !limit->empty()) {
    auto bytes = base::parse_size(*limit);
    if (!bytes) {
      throw Failure{"WASIBUILD_CACHE_MAX_SIZE: '" + *limit + "' is not a size",
                    {"use a size such as 512MiB or 2GiB"}, kExitRunnerError};
    }
    options.max_bytes = *bytes;
  }
  return options;
}

}  // namespace wasibuild::driver
