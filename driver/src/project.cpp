#include "project.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "command.hpp"
#include "spellcheck.hpp"
#include "wasm_opt.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

enum class Kind { string, strings, table_of_strings, integer, boolean, wasm_opt, profiles };

struct Key {
  const char* name;
  Kind kind;
};

struct Section {
  const char* name;
  std::vector<Key> keys;
};

const std::vector<Section>& schema() {
  static const std::vector<Section> sections = {
      {"package", {{"name", Kind::string}, {"version", Kind::string}}},
      {"toolchain", {{"name", Kind::string}, {"version", Kind::integer}, {"target", Kind::string}}},
      {"build",
       {{"generator", Kind::string},
        {"launcher", Kind::string},
        {"cmake-args", Kind::strings},
        {"definitions", Kind::table_of_strings}}},
      {"profile", {}},  // [profile.NAME] tables, checked by profile_keys()
      {"run",
       {{"dirs", Kind::strings},
        {"dirs-ro", Kind::strings},
        {"env", Kind::strings},
        {"inherit-env", Kind::boolean},
        {"max-memory", Kind::string},
        {"timeout", Kind::string},
        {"fuel", Kind::integer}}},
      {"test",
       {{"dirs", Kind::strings},
        {"dirs-ro", Kind::strings},
        {"env", Kind::strings},
        {"jobs", Kind::integer},
        {"timeout", Kind::string}}},
  };
  return sections;
}

const std::vector<Key>& profile_keys() {
  static const std::vector<Key> keys = {{"inherits", Kind::string},
                                        {"build-type", Kind::string},
                                        {"cmake-args", Kind::strings},
                                        {"definitions", Kind::table_of_strings},
                                        {"strip", Kind::boolean},
                                        {"wasm-opt", Kind::wasm_opt}};
  return keys;
}

class Checker {
 public:
  explicit Checker(fs::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& problem,
                         std::vector<std::string> help = {}) const {
    throw Failure{fmt::format("{}:{}:{}: {}", file_.string(), where.begin.line, where.begin.column, problem),
                  std::move(help)};
  }

  void unknown(const toml::key& key, const std::string& qualified, const std::vector<std::string>& valid) const {
    std::vector<std::string> help;
    if (auto guess = closest_match(std::string(key.str()), valid)) help.push_back("did you mean '" + *guess + "'?");
    fail(key.source(), fmt::format("unknown key '{}'", qualified), std::move(help));
  }

  void check_type(const toml::node& value, Kind kind, const std::string& qualified) const {
    const auto bad = [&](const char* expected) { fail(value.source(), fmt::format("'{}' must be {}", qualified, expected)); };
    switch (kind) {
      case Kind::string:
        if (!value.is_string()) bad("a string");
        break;
      case Kind::integer:
        if (!value.is_integer()) bad("an integer");
        break;
      case Kind::boolean:
        if (!value.is_boolean()) bad("true or false");
        break;
      case Kind::strings: {
        const auto* array = value.as_array();
        if (array == nullptr || !array->is_homogeneous(toml::node_type::string)) {
          if (array == nullptr || !array->empty()) bad("an array of strings");
        }
        break;
      }
      case Kind::table_of_strings: {
        const auto* table = value.as_table();
        if (table == nullptr) bad("a table of strings");
        for (const auto& [key, item] : *table) {
          if (!item.is_string()) fail(item.source(), fmt::format("'{}.{}' must be a string", qualified, key.str()));
        }
        break;
      }
      case Kind::wasm_opt: {
        const auto level = value.value<std::string>();
        const auto& levels = wasm_opt_levels();
        if (value.is_boolean() || (level && std::find(levels.begin(), levels.end(), *level) != levels.end())) break;
        // "-O3" and "os" are near misses; "O5" is not.
        std::vector<std::string> help;
        for (const auto& known : levels) {
          std::string written = level.value_or("");
          if (written.starts_with("-")) written.erase(0, 1);
          if (written.size() == known.size() &&
              std::equal(written.begin(), written.end(), known.begin(),
                         [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); })) {
            help.push_back("did you mean '" + known + "'?");
          }
        }
        fail(value.source(),
             fmt::format("'{}' must be true, false or a wasm-opt level: \"{}\"", qualified,
                         fmt::join(levels, "\", \"")),
             std::move(help));
      }
      case Kind::profiles: break;
    }
  }

  void check_keys(const toml::table& table, const std::vector<Key>& keys, const std::string& prefix) const {
    std::vector<std::string> names;
    for (const Key& key : keys) names.emplace_back(key.name);
    for (const auto& [key, value] : table) {
      const std::string name(key.str());
      const auto found = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return name == k.name; });
      if (found == keys.end()) unknown(key, prefix + name, names);
      check_type(value, found->kind, prefix + name);
    }
  }

  void check(const toml::table& root) const {
    std::vector<std::string> section_names;
    for (const Section& section : schema()) section_names.emplace_back(section.name);
    for (const auto& [key, value] : root) {
      const std::string name(key.str());
      const auto section = std::find_if(schema().begin(), schema().end(),
                                         [&](const Section& s) { return name == s.name; });
      if (section == schema().end()) unknown(key, name, section_names);
      const auto* table = value.as_table();
      if (table == nullptr) fail(value.source(), fmt::format("'{}' must be a table ([{}])", name, name));
      if (name == "profile") {
        for (const auto& [profile, body] : *table) {
          const auto* profile_table = body.as_table();
          if (profile_table == nullptr) {
            fail(body.source(), fmt::format("'profile.{}' must be a table ([profile.{}])", profile.str(), profile.str()));
          }
          check_keys(*profile_table, profile_keys(), fmt::format("profile.{}.", profile.str()));
        }
      } else {
        check_keys(*table, section->keys, name + ".");
      }
    }
  }

 private:
  fs::path file_;
};

std::vector<std::string> strings_at(const toml::node_view<const toml::node>& node) {
  std::vector<std::string> values;
  if (const auto* array = node.as_array()) {
    for (const auto& item : *array) values.push_back(item.value_or(std::string()));
  }
  return values;
}

std::map<std::string, std::string> definitions_at(const toml::node_view<const toml::node>& node) {
  std::map<std::string, std::string> values;
  if (const auto* table = node.as_table()) {
    for (const auto& [key, item] : *table) values[std::string(key.str())] = item.value_or(std::string());
  }
  return values;
}

SandboxFlags sandbox_at(const toml::node_view<const toml::node>& section) {
  SandboxFlags flags;
  flags.dirs = strings_at(section["dirs"]);
  flags.read_only_dirs = strings_at(section["dirs-ro"]);
  flags.env = strings_at(section["env"]);
  flags.inherit_env = section["inherit-env"].value_or(false);
  flags.max_memory = section["max-memory"].value_or(std::string());
  flags.timeout = section["timeout"].value_or(std::string());
  if (auto fuel = section["fuel"].value<std::int64_t>()) flags.fuel = std::to_string(*fuel);
  return flags;
}

// Built-in debug and release, then [profile.*] in dependency order.
std::map<std::string, Profile> resolve_profiles(const toml::table& root, const Checker& checker) {
  std::map<std::string, Profile> profiles = {
      {"debug", {"debug", "Debug", {}, {}, false, "", false}},
      {"release", {"release", "Release", {}, {}, true, kDefaultWasmOptLevel, false}},
  };
  const auto* declared = root["profile"].as_table();
  if (declared == nullptr) return profiles;
  std::map<std::string, const toml::table*> pending;
  for (const auto& [key, value] : *declared) pending[std::string(key.str())] = value.as_table();
  // Each pass settles the profiles whose parent is settled; a pass that
  // settles nothing means a cycle or an unknown parent.
  while (!pending.empty()) {
    bool progressed = false;
    for (auto it = pending.begin(); it != pending.end();) {
      const toml::table& table = *it->second;
      const std::string parent = table["inherits"].value_or(std::string(it->first == "release" ? "release" : "debug"));
      const bool builtin_self = (it->first == "debug" || it->first == "release") && parent == it->first;
      if (!builtin_self && pending.contains(parent)) {
        ++it;
        continue;
      }
      if (!profiles.contains(parent)) {
        std::vector<std::string> names;
        for (const auto& [name, unused] : profiles) names.push_back(name);
        for (const auto& [name, unused] : pending) names.push_back(name);
        checker.fail(table["inherits"].node()->source(),
                     fmt::format("profile '{}' inherits from unknown profile '{}'", it->first, parent),
                     closest_match(parent, names) ? std::vector<std::string>{"did you mean '" +
                                                                             *closest_match(parent, names) + "'?"}
                                                  : std::vector<std::string>{});
      }
      Profile profile = profiles.at(parent);
      profile.name = it->first;
      if (auto type = table["build-type"].value<std::string>()) profile.build_type = *type;
      if (auto strip = table["strip"].value<bool>()) profile.strip = *strip;
      if (auto enabled = table["wasm-opt"].value<bool>()) {
        profile.wasm_opt = *enabled ? kDefaultWasmOptLevel : "";
        profile.wasm_opt_requested = *enabled;
      } else if (auto level = table["wasm-opt"].value<std::string>()) {
        profile.wasm_opt = *level;
        profile.wasm_opt_requested = true;
      }
      for (auto& arg : strings_at(toml::node_view<const toml::node>(&table)["cmake-args"])) {
        profile.cmake_args.push_back(arg);
      }
      for (auto& [key, value] : definitions_at(toml::node_view<const toml::node>(&table)["definitions"])) {
        profile.definitions[key] = value;
      }
      profiles[it->first] = std::move(profile);
      it = pending.erase(it);
      progressed = true;
    }
    if (!progressed) {
      const auto& [name, table] = *pending.begin();
      checker.fail(table->source(), fmt::format("profile '{}' inherits in a cycle", name));
    }
  }
  return profiles;
}

}  // namespace

Project parse_project(const std::string& text, const fs::path& manifest) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(manifest.string()));
  } catch (const toml::parse_error& error) {
    throw Failure{fmt::format("{}:{}:{}: {}", manifest.string(), error.source().begin.line,
                              error.source().begin.column, error.description())};
  }
  const Checker checker(manifest);
  checker.check(root);
  Project project;
  project.manifest = manifest;
  project.root = manifest.parent_path();
  project.name = root["package"]["name"].value_or(project.root.filename().string());
  project.version = root["package"]["version"].value_or(std::string("0.1.0"));
  if (auto name = root["toolchain"]["name"].value<std::string>()) project.toolchain = *name;
  if (auto version = root["toolchain"]["version"].value<std::int64_t>()) project.toolchain = std::to_string(*version);
  if (auto target = root["toolchain"]["target"].value<std::string>()) project.target = *target;
  project.generator = root["build"]["generator"].value_or(std::string("Ninja"));
  if (auto launcher = root["build"]["launcher"].value<std::string>()) project.launcher = *launcher;
  const toml::node& root_node = root;
  const toml::node_view<const toml::node> view(root_node);
  project.cmake_args = strings_at(view["build"]["cmake-args"]);
  project.definitions = definitions_at(view["build"]["definitions"]);
  project.profiles = resolve_profiles(root, checker);
  project.run = sandbox_at(view["run"]);
  project.test = sandbox_at(view["test"]);
  if (auto jobs = root["test"]["jobs"].value<std::int64_t>()) project.test_jobs = static_cast<int>(*jobs);
  if (auto timeout = root["test"]["timeout"].value<std::string>()) project.test.timeout = *timeout;
  return project;
}

Project load_project(const Env& env) {
  for (fs::path dir = env.working_directory; !dir.empty(); dir = dir.parent_path()) {
    const fs::path manifest = dir / kProjectFile;
    std::ifstream in(manifest);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      return parse_project(text.str(), manifest);
    }
    if (dir == dir.root_path()) break;
  }
  throw Failure{fmt::format("no {} in {} or any parent directory", kProjectFile, env.working_directory.string()),
                {"create a project with: wasibuild new NAME, or wasibuild init in an existing CMake project"}};
}

const Profile& choose_profile(const Project& project, const std::string& name) {
  if (auto found = project.profiles.find(name); found != project.profiles.end()) return found->second;
  std::vector<std::string> names;
  for (const auto& [profile, unused] : project.profiles) names.push_back(profile);
  Failure failure{fmt::format("unknown profile '{}'", name), {}, kExitUsage};
  if (auto guess = closest_match(name, names)) failure.help.push_back("did you mean '" + *guess + "'?");
  failure.help.push_back(fmt::format("profiles in {}: {}", project.manifest.string(), fmt::join(names, ", ")));
  throw failure;
}

}  // namespace wasibuild::driver
