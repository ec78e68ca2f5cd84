// The user's config file, <config>/config.toml:
//
//   [toolchain]
//   default = "wasi-sdk-33"     # set by `wasibuild toolchain default`
//   mirror = "https://mirror.example.com/wasi-sdk"   # replaces the release base URL
//   ca_bundle = "/etc/ssl/company-ca.pem"
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "wasibuild/driver.hpp"

namespace wasibuild::driver {

struct UserConfig {
  std::optional<std::string> default_toolchain;
  std::optional<std::string> mirror;
  std::optional<std::string> ca_bundle;
};

// Throws Failure naming the file, line and column for a malformed config.
[[nodiscard]] UserConfig load_user_config(const Env& env);
void save_default_toolchain(const Env& env, const std::string& name);

[[nodiscard]] std::filesystem::path user_config_file(const Env& env);

}  // namespace wasibuild::driver
