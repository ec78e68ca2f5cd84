#include "wasibuild/project.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "wasibuild/failure.hpp"
#include "wasibuild/network_grant.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::project {

using base::Failure;

namespace fs = std::filesystem;

namespace {

enum class Kind {
  string,
  strings,
  table_of_strings,
  integer,
  boolean,
  wasm_opt,
  duration,  // a positive parse_duration()
  size,      // a positive parse_size()
  fuel,      // an integer, 0 or more
  jobs,      // an integer from 1 to kMaxJobs
  grants,    // strings: HOST or HOST::GUEST
  env,       // strings: NAME=VALUE or NAME
  addresses, // strings: HOST:PORT (base::parse_network_grant)
};

constexpr std::int64_t kMaxJobs = 1024;

struct Key {
  const char* name;
  Kind kind;
};

struct Section {
  const char* name;
  std::vector<Key> keys;
  // Its strings travel to CMake as a list (test_grants), where ';' splits.
  bool cmake_list = false;
};

// How wasibuild.toml checks a sandbox flag's value.
Kind kind_of(FlagValue value) {
  switch (value) {
    case FlagValue::grants: return Kind::grants;
    case FlagValue::env: return Kind::env;
    case FlagValue::boolean: return Kind::boolean;
    case FlagValue::size: return Kind::size;
    case FlagValue::duration: return Kind::duration;
    case FlagValue::count: return Kind::fuel;
    case FlagValue::files: return Kind::strings;
    case FlagValue::addresses: return Kind::addresses;
    case FlagValue::names: return Kind::string;
  }
  return Kind::string;
}

// [run] and [test] say the same things: the sandbox flags that have a key
// (sandbox_flag_table); [test] also has `jobs`.
std::vector<Key> sandbox_keys() {
  std::vector<Key> keys;
  for (const SandboxFlagSpec& spec : sandbox_flag_table()) {
    if (spec.toml_key != nullptr) keys.push_back({spec.toml_key, kind_of(spec.value)});
  }
  return keys;
}

std::vector<Key> test_keys() {
  std::vector<Key> keys = sandbox_keys();
  keys.push_back({"jobs", Kind::jobs});
  return keys;
}

const std::vector<Section>& schema() {
  static const std::vector<Section> sections = {
      {"package", {{"name", Kind::string}, {"version", Kind::string}}},
      {"toolchain",
       {{"name", Kind::string}, {"version", Kind::integer}, {"target", Kind::string}, {"threads", Kind::boolean}}},
      {"build",
       {{"generator", Kind::string},
        {"launcher", Kind::string},
        {"cmake-args", Kind::strings},
        {"definitions", Kind::table_of_strings}}},
      {"profile", {}},  // [profile.NAME] tables, checked by profile_keys()
      {"run", sandbox_keys()},
      {"test", test_keys(), true},
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
    if (auto guess = base::did_you_mean(key.str(), valid)) help.push_back(*guess);
    fail(key.source(), fmt::format("unknown key '{}'", capped(qualified)), std::move(help));
  }

  // Each string of an array of strings, checked by `check`.
  template <typename Check>
  void check_entries(const toml::node& value, const std::string& qualified, Check check) const {
    check_type(value, Kind::strings, qualified);
    if (const auto* array = value.as_array()) {
      for (const auto& item : *array) check(item, *item.value<std::string>());
    }
  }

  void check_type(const toml::node& value, Kind kind, const std::string& key, bool cmake_list = false) const {
    const std::string qualified = capped(key);
    const auto bad = [&](const char* expected) { fail(value.source(), fmt::format("'{}' must be {}", qualified, expected)); };
    const auto no_semicolon = [&](const toml::node& item, const std::string& text) {
      if (cmake_list && text.find(';') != std::string::npos) {
        fail(item.source(),
             fmt::format("'{}' entry \"{}\" contains ';', which CMake would split", qualified, capped(text)));
      }
    };
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
        for (const auto& [name, item] : *table) {
          if (!item.is_string()) {
            fail(item.source(), fmt::format("'{}' must be a string", capped(key + "." + std::string(name.str()))));
          }
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
      case Kind::duration: {
        const auto text = value.value<std::string>();
        if (!text) bad("a duration string, such as \"250ms\", \"30s\" or \"2m\"");
        const auto duration = base::parse_duration(*text);
        if (!duration || duration->count() == 0) {
          fail(value.source(),
               fmt::format("'{}' must be a positive duration, such as \"250ms\", \"30s\" or \"2m\"", qualified),
               {"units: ms, s, m, h; a bare number is seconds"});
        }
        break;
      }
      case Kind::size: {
        const auto text = value.value<std::string>();
        if (!text) bad("a size string, such as \"64MiB\" or \"1GiB\"");
        const auto bytes = base::parse_size(*text);
        if (!bytes || *bytes == 0) {
          fail(value.source(), fmt::format("'{}' must be a positive size, such as \"64MiB\" or \"1GiB\"", qualified),
               {"units: B, KiB, MiB, GiB, TiB (K, M, G, T) and KB, MB, GB, TB"});
        }
        break;
      }
      case Kind::fuel:
        if (!value.is_integer()) bad("an integer");
        if (*value.value<std::int64_t>() < 0) bad("0 or more");
        break;
      case Kind::jobs:
        if (!value.is_integer()) bad("an integer");
        if (const auto jobs = *value.value<std::int64_t>(); jobs < 1 || jobs > kMaxJobs) {
          bad(fmt::format("from 1 to {}", kMaxJobs).c_str());
        }
        break;
      case Kind::grants:
        check_entries(value, key, [&](const toml::node& item, const std::string& spec) {
          const auto separator = spec.find("::");
          const bool named = separator != std::string::npos;
          if (spec.empty() || separator == 0 || (named && separator + 2 == spec.size())) {
            fail(item.source(),
                 fmt::format("'{}' entry \"{}\" must be HOST or HOST::GUEST, with neither part empty", qualified,
                             capped(spec)),
                 {fmt::format("for example: {} = [\"data::/data\"]", qualified.substr(qualified.find('.') + 1))});
          }
          no_semicolon(item, spec);
        });
        break;
      case Kind::env:
        check_entries(value, key, [&](const toml::node& item, const std::string& spec) {
          if (spec.empty() || spec.front() == '=') {
            fail(item.source(), fmt::format("'{}' entry \"{}\" has no variable name", qualified, capped(spec)),
                 {"for example: env = [\"LANG=C\", \"HOME\"] (NAME=VALUE, or NAME to copy the host's)"});
          }
          no_semicolon(item, spec);
        });
        break;
      case Kind::addresses:
        check_entries(value, key, [&](const toml::node& item, const std::string& spec) {
          const auto parsed = base::parse_network_grant(base::NetworkUse::tcp_connect, spec);
          if (const auto* problem = std::get_if<std::string>(&parsed)) {
            fail(item.source(), fmt::format("'{}' entry \"{}\": {}", qualified, capped(spec), *problem),
                 {fmt::format("for example: {} = [\"127.0.0.1:8080\"]", qualified.substr(qualified.find('.') + 1))});
          }
        });
        break;
    }
  }

  void check_keys(const toml::table& table, const std::vector<Key>& keys, const std::string& prefix,
                  bool cmake_list = false) const {
    std::vector<std::string> names;
    for (const Key& key : keys) names.emplace_back(key.name);
    for (const auto& [key, value] : table) {
      const std::string name(key.str());
      const auto found = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return name == k.name; });
      if (found == keys.end()) unknown(key, prefix + name, names);
      check_type(value, found->kind, prefix + name, cmake_list);
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
            const std::string shown = capped(std::string(profile.str()));
            fail(body.source(), fmt::format("'profile.{}' must be a table ([profile.{}])", shown, shown));
          }
          check_keys(*profile_table, profile_keys(), fmt::format("profile.{}.", profile.str()));
        }
      } else {
        check_keys(*table, section->keys, name + ".", section->cmake_list);
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

// [run] or [test] (already checked) as the flags it stands for.
SandboxFlags sandbox_at(const toml::node_view<const toml::node>& section) {
  SandboxFlags flags;
  for (const SandboxFlagSpec& spec : sandbox_flag_table()) {
    if (spec.toml_key == nullptr) continue;
    const auto value = section[spec.toml_key];
    std::visit(
        [&](auto member) {
          auto& target = flags.*member;
          using Target = std::remove_reference_t<decltype(target)>;
          if constexpr (std::is_same_v<Target, bool>) {
            target = value.value_or(false);
          } else if constexpr (std::is_same_v<Target, std::string>) {
            if (auto number = value.template value<std::int64_t>(); number && spec.value == FlagValue::count) {
              target = std::to_string(*number);
            } else {
              target = value.value_or(std::string());
            }
          } else {
            target = strings_at(value);
          }
        },
        spec.field);
  }
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
        const auto guess = base::did_you_mean(parent, names);
        checker.fail(table["inherits"].node()->source(),
                     fmt::format("profile '{}' inherits from unknown profile '{}'", capped(it->first), capped(parent)),
                     guess ? std::vector<std::string>{*guess} : std::vector<std::string>{});
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
      checker.fail(table->source(), fmt::format("profile '{}' inherits in a cycle", capped(name)));
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
  if (const auto* version = root["toolchain"]["version"].node(); version && root["toolchain"]["name"].node()) {
    checker.fail(version->source(), "give [toolchain] name or version, not both",
                 {"version = 33 is short for name = \"wasi-sdk-33\""});
  }
  Project project;
  project.manifest = manifest;
  project.root = manifest.parent_path();
  project.name = root["package"]["name"].value_or(project.root.filename().string());
  project.version = root["package"]["version"].value_or(std::string("0.1.0"));
  if (auto name = root["toolchain"]["name"].value<std::string>()) project.toolchain = *name;
  if (auto version = root["toolchain"]["version"].value<std::int64_t>()) project.toolchain = std::to_string(*version);
  if (auto target = root["toolchain"]["target"].value<std::string>()) project.target = *target;
  if (const auto* threads = root["toolchain"]["threads"].node(); threads && threads->value_or(false)) {
    // threads = true is short for the threads target; with another target
    // named too, one of the two is a mistake.
    if (project.target && !project.target->ends_with("-threads")) {
      checker.fail(threads->source(), fmt::format("threads = true asks for wasm32-wasip1-threads, but target is \"{}\"",
                                                  *project.target),
                   {"drop one of them"});
    }
    if (!project.target) project.target = "wasm32-wasip1-threads";
  }
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
  return project;
}

std::vector<std::string> test_grants(const Project& project) {
  const SandboxFlags& test = project.test;
  std::vector<std::string> flags;
  // The guest name stays as written, as for [run]: "data" is "data::data".
  const auto grant = [&](const char* flag, const std::string& spec) {
    const auto separator = spec.find("::");
    const std::string host = spec.substr(0, separator);
    const std::string guest = separator == std::string::npos ? host : spec.substr(separator + 2);
    flags.push_back(fmt::format("{}={}::{}", flag, (project.root / host).lexically_normal().string(), guest));
  };
  for (const SandboxFlagSpec& spec : sandbox_flag_table()) {
    if (spec.toml_key == nullptr) continue;
    std::visit(
        [&](auto member) {
          const auto& value = test.*member;
          using Value = std::remove_cvref_t<decltype(value)>;
          if constexpr (std::is_same_v<Value, bool>) {
            if (value) flags.emplace_back(spec.flag);
          } else if constexpr (std::is_same_v<Value, std::string>) {
            if (!value.empty()) flags.push_back(fmt::format("{}={}", spec.flag, value));
          } else {
            for (const auto& entry : value) {
              if (spec.value == FlagValue::grants) {
                grant(spec.flag, entry);
              } else if (spec.value == FlagValue::files) {
                flags.push_back(fmt::format("{}={}", spec.flag, (project.root / entry).lexically_normal().string()));
              } else {
                flags.push_back(fmt::format("{}={}", spec.flag, entry));
              }
            }
          }
        },
        spec.field);
  }
  return flags;
}

ProjectSearch find_project_file(const fs::path& start) {
  // Every directory from `start` up to the root, and whether it holds a
  // CMakeCache.txt (any kind of entry: a dangling link counts too).
  std::vector<std::pair<fs::path, bool>> chain;
  for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
    std::error_code error;
    const auto cache = fs::symlink_status(dir / "CMakeCache.txt", error).type();
    chain.emplace_back(dir, cache != fs::file_type::not_found && cache != fs::file_type::none);
    if (dir == dir.root_path()) break;
  }
  // build_tree[i]: the nearest directory at or above chain[i] holding CMakeCache.txt.
  std::vector<std::optional<fs::path>> build_tree(chain.size());
  for (std::size_t i = chain.size(); i-- > 0;) {
    if (chain[i].second) build_tree[i] = chain[i].first;
    else if (i + 1 < chain.size()) build_tree[i] = build_tree[i + 1];
  }
  ProjectSearch search;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const fs::path manifest = chain[i].first / kProjectFile;
    std::error_code error;
    if (!fs::is_regular_file(manifest, error)) continue;
    if (build_tree[i]) {
      search.skipped.push_back({manifest, *build_tree[i]});
      continue;
    }
    search.manifest = manifest;
    break;
  }
  return search;
}

Project read_project(const fs::path& manifest) {
  std::ifstream in(manifest);
  if (!in.is_open()) throw Failure{fmt::format("{}: cannot read it", manifest.string())};
  std::stringstream text;
  text << in.rdbuf();
  return parse_project(text.str(), manifest);
}

Project load_project(const fs::path& start, const Warn& warn) {
  const ProjectSearch search = find_project_file(start);
  if (search.manifest) {
    for (const auto& skipped : search.skipped) {
      warn(fmt::format("ignoring {}: it is inside the CMake build tree {}, where tests run; using {}",
                       skipped.manifest.string(), skipped.build_tree.string(), search.manifest->string()));
    }
    return read_project(*search.manifest);
  }
  if (!search.skipped.empty()) {
    // Also what a project built in-source gets: the same directory cannot
    // be both (and nothing here tells a planted file from a real one).
    const auto& nearest = search.skipped.front();
    throw Failure{fmt::format("{} is not a project: it is inside the CMake build tree {}, where tests run",
                              nearest.manifest.string(), nearest.build_tree.string()),
                  {"a test may have written it; wasibuild never takes a project from inside a build tree",
                   "run wasibuild in the project's own directory, above its build/ directory (wasibuild builds "
                   "in build/<target>/<profile>, never in-source)"}};
  }
  throw Failure{fmt::format("no {} in {} or any parent directory", kProjectFile, start.string()),
                {"create a project with: wasibuild new NAME, or wasibuild init in an existing CMake project"}};
}

const std::vector<std::string>& wasm_opt_levels() {
  static const std::vector<std::string> levels = {"O1", "O2", "O3", "O4", "Os", "Oz"};
  return levels;
}

const Profile& choose_profile(const Project& project, const std::string& name) {
  if (auto found = project.profiles.find(name); found != project.profiles.end()) return found->second;
  std::vector<std::string> names;
  for (const auto& [profile, unused] : project.profiles) names.push_back(profile);
  Failure failure{fmt::format("unknown profile '{}'", capped(name)), {}, base::kExitUsage};
  if (auto guess = base::did_you_mean(name, names)) failure.help.push_back(*guess);
  failure.help.push_back(fmt::format("profiles in {}: {}", project.manifest.string(), fmt::join(names, ", ")));
  throw failure;
}

}  // namespace wasibuild::project
