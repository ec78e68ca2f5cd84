#include "config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "command.hpp"
#include "paths.hpp"
#include "wasibuild/files.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

toml::table read_table(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  try {
    return toml::parse(text.str(), std::string_view(file.string()));
  } catch (const toml::parse_error& error) {
    throw Failure{fmt::format("{}:{}:{}: {}", file.string(), error.source().begin.line,
                              error.source().begin.column, error.description())};
  }
}

void reject_unknown_keys(const toml::table& table, const fs::path& file) {
  static const std::vector<std::string> kSections = {"toolchain"};
  static const std::vector<std::string> kToolchainKeys = {"default", "mirror", "ca_bundle"};
  for (const auto& [key, value] : table) {
    const std::string name(key.str());
    if (name != "toolchain") {
      Failure failure{fmt::format("{}:{}:{}: unknown section '{}'", file.string(), key.source().begin.line,
                                  key.source().begin.column, name)};
      if (auto guess = base::did_you_mean(name, kSections)) failure.help.push_back(*guess);
      throw failure;
    }
    if (const auto* section = value.as_table()) {
      for (const auto& [inner, inner_value] : *section) {
        const std::string inner_name(inner.str());
        if (std::find(kToolchainKeys.begin(), kToolchainKeys.end(), inner_name) != kToolchainKeys.end()) {
          if (!inner_value.is_string()) {
            throw Failure{fmt::format("{}:{}:{}: 'toolchain.{}' must be a string", file.string(),
                                      inner.source().begin.line, inner.source().begin.column, inner_name)};
          }
          continue;
        }
        Failure failure{fmt::format("{}:{}:{}: unknown key 'toolchain.{}'", file.string(), inner.source().begin.line,
                                    inner.source().begin.column, inner_name)};
        if (auto guess = base::did_you_mean(inner_name, kToolchainKeys)) failure.help.push_back(*guess);
        throw failure;
      }
    }
  }
}

std::optional<std::string> string_at(const toml::table& table, const char* key) {
  if (auto value = table["toolchain"][key].value<std::string>()) return *value;
  return std::nullopt;
}

}  // namespace

fs::path user_config_file(const Env& env) { return directories(env).config / "config.toml"; }

UserConfig load_user_config(const Env& env) {
  const fs::path file = user_config_file(env);
  const toml::table table = read_table(file);
  reject_unknown_keys(table, file);
  return {string_at(table, "default"), string_at(table, "mirror"), string_at(table, "ca_bundle")};
}

void save_default_toolchain(const Env& env, const std::string& name) {
  const fs::path file = user_config_file(env);
  toml::table table = read_table(file);
  if (!table.contains("toolchain")) table.insert("toolchain", toml::table{});
  table["toolchain"].as_table()->insert_or_assign("default", name);
  std::ostringstream text;
  text << table << "\n";
  base::replace_file(file, text.str());
}

}  // namespace wasibuild::driver
