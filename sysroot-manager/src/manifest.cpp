#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <toml++/toml.h>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

extern const char* const kBuiltinManifestText;  // generated from data/wasi-sdk-releases.toml

namespace {

std::string substitute(std::string text, const std::string& version, const std::string& host) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"{version}", version}, {"{host}", host}}) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

std::vector<std::string> strings_of(const toml::node* node) {
  std::vector<std::string> values;
  if (const auto* array = node ? node->as_array() : nullptr) {
    for (const auto& item : *array) {
      if (auto text = item.value<std::string>()) values.push_back(*text);
    }
  }
  return values;
}

std::map<std::string, std::string> table_of_strings(const toml::node* node) {
  std::map<std::string, std::string> values;
  if (const auto* table = node ? node->as_table() : nullptr) {
    for (const auto& [key, value] : *table) {
      if (auto text = value.value<std::string>()) values.emplace(std::string(key.str()), *text);
    }
  }
  return values;
}

Release release_from(const toml::table& table) {
  Release release;
  release.version = table["version"].value_or(0);
  release.tag = table["tag"].value_or(std::string());
  release.clang = table["clang"].value_or(std::string());
  release.assets = table_of_strings(table.get("assets"));
  release.sha256 = table_of_strings(table.get("sha256"));
  release.top_dir = table["top_dir"].value_or(std::string());
  release.targets = strings_of(table.get("targets"));
  release.default_target = table["default_target"].value_or(std::string("wasm32-wasi"));
  release.filesystem = table["filesystem"].value_or(false);
  release.exceptions = table["exceptions"].value_or(false);
  release.setjmp = table["setjmp"].value_or(false);
  return release;
}

}  // namespace

std::optional<std::string> Release::asset(const std::string& host) const {
  auto found = assets.find(host);
  if (found == assets.end()) return std::nullopt;
  return substitute(found->second, fmt::format("{}.0", version), host);
}

std::string Release::url(const std::string& base_url, const std::string& host) const {
  return fmt::format("{}/{}/{}", base_url, tag, asset(host).value_or(""));
}

std::string Release::top_directory(const std::string& host) const {
  return substitute(top_dir, fmt::format("{}.0", version), host);
}

const Release* Manifest::find(int version) const {
  auto found = std::find_if(releases.begin(), releases.end(), [&](const Release& r) { return r.version == version; });
  return found == releases.end() ? nullptr : &*found;
}

const Release* Manifest::default_release(const std::string& host) const {
  for (auto it = releases.rbegin(); it != releases.rend(); ++it) {
    if (it->version <= default_version && it->sha256.contains(host)) return &*it;
  }
  return nullptr;
}

Result<Manifest> parse_manifest(std::string_view toml_text) {
  toml::table root;
  try {
    // Debian's toml++ is built with exceptions: errors arrive as parse_error.
    root = toml::parse(toml_text, std::string_view("wasi-sdk-releases.toml"));
  } catch (const toml::parse_error& error) {
    return Error{Error::Kind::invalid_metadata, "wasi-sdk-releases.toml", std::string(error.description())};
  }
  Manifest manifest;
  manifest.base_url = root["base_url"].value_or(std::string());
  manifest.default_version = root["default_version"].value_or(0);
  if (const auto* releases = root["release"].as_array()) {
    for (const auto& node : *releases) {
      if (const auto* table = node.as_table()) manifest.releases.push_back(release_from(*table));
    }
  }
  std::sort(manifest.releases.begin(), manifest.releases.end(),
            [](const Release& a, const Release& b) { return a.version < b.version; });
  return manifest;
}

const Manifest& builtin_manifest() {
  // The text is part of the binary and checked by the tests: it parses.
  static const Manifest manifest = [] {
    auto parsed = parse_manifest(kBuiltinManifestText);
    return parsed ? parsed.value() : Manifest{};
  }();
  return manifest;
}

std::string host_platform() {
  utsname info{};
  ::uname(&info);
  const std::string machine = info.machine;
  const std::string arch = (machine == "aarch64" || machine == "arm64") ? "arm64" : machine;
  const std::string os = std::string(info.sysname) == "Darwin" ? "macos" : "linux";
  return arch + "-" + os;
}

}  // namespace wasibuild::toolchain
