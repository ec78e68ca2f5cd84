// Installed toolchains and their metadata files.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

// Paths inside the toolchain are stored relative to it, so the directory
// can be renamed from its staging name into place.
std::string stored_path(const fs::path& path, const fs::path& root) {
  if (!root.empty() && path.is_absolute()) {
    const fs::path relative = path.lexically_relative(root);
    if (!relative.empty() && *relative.begin() != "..") return relative.string();
  }
  return path.string();
}

fs::path loaded_path(const std::string& text, const fs::path& root) {
  const fs::path path(text);
  if (path.is_absolute() || root.empty()) return path;
  return text == "." ? root : root / path;  // a sysroot-only toolchain is its own sysroot
}

std::optional<Provider> provider_from(std::string_view text) {
  for (Provider provider : {Provider::wasi_sdk, Provider::system, Provider::custom}) {
    if (provider_name(provider) == text) return provider;
  }
  return std::nullopt;
}

toml::array array_of(const std::vector<std::string>& values) {
  toml::array array;
  for (const auto& value : values) array.push_back(value);
  return array;
}

}  // namespace

std::string to_toml(const Toolchain& toolchain) {
  const fs::path& root = toolchain.root;
  toml::table paths{
      {"clang", stored_path(toolchain.clang, root)},   {"clangxx", stored_path(toolchain.clangxx, root)},
      {"ar", stored_path(toolchain.ar, root)},         {"ranlib", stored_path(toolchain.ranlib, root)},
      {"sysroot", stored_path(toolchain.sysroot, root)},
  };
  const Capabilities& caps = toolchain.capabilities;
  toml::table capabilities{{"targets", array_of(caps.targets)}, {"exceptions", caps.exceptions},
                           {"filesystem", caps.filesystem},     {"threads", caps.threads},
                           {"setjmp", caps.setjmp}};
  toml::table table{{"name", toolchain.name},
                    {"provider", provider_name(toolchain.provider)},
                    {"version", toolchain.version},
                    {"default_target", toolchain.default_target},
                    {"source", toolchain.source},
                    {"sha256", toolchain.sha256},
                    {"pinned", toolchain.pinned},
                    {"paths", paths},
                    {"capabilities", capabilities}};
  std::ostringstream out;
  out << "# Written by wasibuild when this toolchain was installed. Do not edit.\n" << table << "\n";
  return out.str();
}

Result<Toolchain> toolchain_from_toml(std::string_view text, const fs::path& file) {
  toml::table table;
  try {
    // Debian's toml++ is built with exceptions: errors arrive as parse_error.
    table = toml::parse(text, std::string_view(file.string()));
  } catch (const toml::parse_error& error) {
    return Error{Error::Kind::invalid_metadata, file.string(),
                 fmt::format("line {}, column {}: {}", error.source().begin.line, error.source().begin.column,
                             error.description())};
  }
  Toolchain toolchain;
  toolchain.root = file.parent_path();
  toolchain.name = table["name"].value_or(std::string());
  const auto provider = provider_from(table["provider"].value_or(std::string()));
  if (toolchain.name.empty() || !provider) {
    return Error{Error::Kind::invalid_metadata, file.string(), "missing or unknown 'name' or 'provider'"};
  }
  toolchain.provider = *provider;
  toolchain.version = table["version"].value_or(std::string());
  toolchain.default_target = table["default_target"].value_or(std::string("wasm32-wasi"));
  toolchain.source = table["source"].value_or(std::string());
  toolchain.sha256 = table["sha256"].value_or(std::string());
  toolchain.pinned = table["pinned"].value_or(false);
  const auto path = [&](const char* key) {
    return loaded_path(table["paths"][key].value_or(std::string()), toolchain.root);
  };
  toolchain.clang = path("clang");
  toolchain.clangxx = path("clangxx");
  toolchain.ar = path("ar");
  toolchain.ranlib = path("ranlib");
  toolchain.sysroot = path("sysroot");
  Capabilities& caps = toolchain.capabilities;
  if (const auto* targets = table["capabilities"]["targets"].as_array()) {
    for (const auto& target : *targets) {
      if (auto name = target.value<std::string>()) caps.targets.push_back(*name);
    }
  }
  caps.exceptions = table["capabilities"]["exceptions"].value_or(false);
  caps.filesystem = table["capabilities"]["filesystem"].value_or(false);
  caps.threads = table["capabilities"]["threads"].value_or(false);
  caps.setjmp = table["capabilities"]["setjmp"].value_or(false);
  return toolchain;
}

Result<Toolchain> Store::load(const std::string& name) const {
  if (!is_valid_name(name)) return Error{Error::Kind::bad_name, name};
  const fs::path file = path_of(name) / kMetadataFile;
  std::ifstream in(file);
  if (!in) return Error{Error::Kind::not_installed, name};
  std::stringstream text;
  text << in.rdbuf();
  return toolchain_from_toml(text.str(), file);
}

std::vector<Toolchain> Store::installed() const {
  std::vector<Toolchain> toolchains;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    // Staging and moved-aside directories start with '.': never usable.
    if (!is_valid_name(name) || !entry.is_directory(error)) continue;
    if (auto toolchain = load(name)) toolchains.push_back(std::move(toolchain.value()));
  }
  std::sort(toolchains.begin(), toolchains.end(),
            [](const Toolchain& a, const Toolchain& b) { return a.name < b.name; });
  return toolchains;
}

std::optional<Error> Store::remove(const std::string& name) const {
  if (!is_valid_name(name)) return Error{Error::Kind::bad_name, name};
  const fs::path path = path_of(name);
  if (!fs::exists(path / kMetadataFile)) return Error{Error::Kind::not_installed, name};
  // Remove the metadata first: a half-removed toolchain must not look usable.
  std::error_code error;
  fs::remove(path / kMetadataFile, error);
  if (!error) fs::remove_all(path, error);
  if (error) return Error{Error::Kind::io, path.string(), error.message()};
  return std::nullopt;
}

}  // namespace wasibuild::toolchain
