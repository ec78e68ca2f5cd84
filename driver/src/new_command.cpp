// `wasibuild new NAME [--lib]` and `wasibuild init [--lib]`: a plain modern
// CMake project from templates/, which builds natively and to wasm.
#include <fmt/format.h>

#include <algorithm>

#include <fstream>
#include <sstream>

#include "command.hpp"
#include "commands.hpp"
#include "project.hpp"
#include "project_build.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

std::string replaced(std::string text, const std::string& name, const std::string& ident) {
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"@NAME@", name}, {"@IDENT@", ident}}) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

// CMake target names and C++ identifiers: letters, digits, '_'.
std::string identifier_of(const std::string& name) {
  std::string ident;
  for (char c : name) ident += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (!ident.empty() && std::isdigit(static_cast<unsigned char>(ident.front()))) ident.insert(0, "_");
  return ident;
}

bool is_valid_project_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::isalpha(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

// Copies the template; with `keep_existing`, files already there are left
// alone (init in an existing project); with `only`, just those files (by
// their path in the project). Returns the files written.
std::vector<fs::path> write_template(const fs::path& from, const fs::path& to, const std::string& name,
                                     bool keep_existing, const std::vector<std::string>& only = {}) {
  const std::string ident = identifier_of(name);
  std::vector<fs::path> written;
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    std::string relative = replaced(entry.path().lexically_relative(from).string(), name, ident);
    if (relative == "gitignore") relative = ".gitignore";
    if (!only.empty() && std::find(only.begin(), only.end(), relative) == only.end()) continue;
    const fs::path target = to / relative;
    if (keep_existing && fs::exists(target)) continue;
    fs::create_directories(target.parent_path());
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    std::ofstream out(target);
    out << replaced(text.str(), name, ident);
    if (!out) throw Failure{fmt::format("{}: cannot write it", target.string())};
    written.push_back(target);
  }
  return written;
}

class NewCommand final : public Command {
 public:
  explicit NewCommand(bool init) : init_(init) {}

  void setup(CLI::App& app) override {
    if (!init_) app.add_option("name", name_, "Project name (letters, digits, '-', '_')")->required();
    if (init_) app.add_option("--name", name_, "Project name (default: the directory's name)");
    app.add_flag("--lib", lib_, "A library with tests instead of an application");
    app.footer(init_ ? "Adds wasibuild.toml (and, with no CMakeLists.txt, a whole project) to this directory."
                     : "Example:\n  wasibuild new hello && cd hello && wasibuild run");
  }

  int run(Env& env) override {
    const fs::path directory = init_ ? env.working_directory : env.working_directory / name_;
    if (init_ && name_.empty()) name_ = directory.filename().string();
    if (!is_valid_project_name(name_)) {
      throw Failure{fmt::format("'{}' is not a valid project name", name_),
                    {"use letters, digits, '-' and '_', starting with a letter"}, kExitUsage};
    }
    if (!init_ && fs::exists(directory)) throw Failure{fmt::format("{}: already exists", directory.string())};
    if (init_ && fs::exists(directory / kProjectFile)) {
      throw Failure{fmt::format("{}: already exists", (directory / kProjectFile).string())};
    }
    const fs::path templates = share_dir(env) / "templates" / (lib_ ? "lib" : "app");
    if (!fs::is_directory(templates)) {
      throw Failure{fmt::format("{}: templates not found; reinstall wasibuild", templates.string())};
    }
    if (init_ && fs::exists(directory / "CMakeLists.txt")) return add_to_existing(templates, directory, env);
    write_template(templates, directory, name_, init_);
    *env.out << fmt::format("created {} '{}' in {}\n", lib_ ? "library" : "application", name_, directory.string());
    if (!init_) *env.out << fmt::format("next: cd {} && wasibuild {}\n", name_, lib_ ? "test" : "run");
    return 0;
  }

 private:
  // init next to an existing CMakeLists.txt: only wasibuild's own files
  // (what is missing of wasibuild.toml and .gitignore), said by name.
  int add_to_existing(const fs::path& templates, const fs::path& directory, Env& env) const {
    const auto written = write_template(templates, directory, name_, true, {kProjectFile, ".gitignore"});
    std::vector<std::string> names;
    for (const auto& file : written) names.push_back(file.filename().string());
    *env.out << fmt::format("added {} to the CMake project '{}' in {}\n", fmt::join(names, " and "), name_,
                            directory.string());
    // Its trees would sit beside that build's files; say so once.
    if (fs::exists(directory / "build" / "CMakeCache.txt")) {
      *env.out << "note: build/ already holds a CMake build of its own; wasibuild's go beside it in "
                  "build/<target>/<profile>, and `wasibuild clean` removes only those\n";
    }
    *env.out << "next: wasibuild build\n";
    return 0;
  }

  bool init_;
  std::string name_;
  bool lib_ = false;
};

// Removes only what wasibuild built: the trees its state directory names
// (build/.wasibuild/<target>/<profile> for build/<target>/<profile>), so a
// user's own build elsewhere in build/ (a native `cmake -B build/native`)
// survives. build/.wasibuild is never granted to a guest, so walking it is
// safe; the trees themselves are removed without following a link.
class CleanCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_flag("-r,--release", release_, "Only the release profile's build");
    app.add_option("--profile", profile_, "Only this profile's build");
    app.add_option("--target", target_, "Only this target's builds (e.g. wasm32-wasip1)");
  }

  int run(Env& env) override {
    const Project project = load_project(env);
    const fs::path build = project.root / "build";
    const fs::path state_root = build / ".wasibuild";
    const std::string only_profile = !profile_.empty() ? profile_ : release_ ? "release" : "";
    std::size_t trees = 0;
    for (const fs::path& state : state_directories(state_root)) {
      const std::string target = state.parent_path().filename().string();
      const std::string profile = state.filename().string();
      if ((!target_.empty() && target != target_) || (!only_profile.empty() && profile != only_profile)) continue;
      const fs::path tree = build / target / profile;
      const std::uintmax_t files = remove_tree(tree) + remove_tree(state);
      *env.out << fmt::format("removed {} ({} files)\n", tree.lexically_relative(project.root).string(), files);
      ++trees;
      remove_if_empty(build / target);
      remove_if_empty(state.parent_path());
    }
    remove_if_empty(state_root);
    remove_if_empty(build);
    if (trees == 0) *env.out << "nothing to clean: no build of wasibuild's matches in " << build.string() << "\n";
    return 0;
  }

 private:
  // <state_root>/<target>/<profile>, real directories only.
  static std::vector<fs::path> state_directories(const fs::path& state_root) {
    std::vector<fs::path> found;
    std::error_code error;
    if (!fs::is_directory(fs::symlink_status(state_root, error))) return found;
    for (const auto& target : fs::directory_iterator(state_root, error)) {
      if (!target.is_directory() || target.is_symlink()) continue;
      for (const auto& profile : fs::directory_iterator(target.path(), error)) {
        if (profile.is_directory() && !profile.is_symlink()) found.push_back(profile.path());
      }
    }
    std::sort(found.begin(), found.end());
    return found;
  }

  // remove_all never follows a link inside the tree; a link in place of the
  // tree itself is removed as a link.
  static std::uintmax_t remove_tree(const fs::path& tree) {
    std::error_code error;
    const std::uintmax_t removed = fs::remove_all(tree, error);
    if (error) throw Failure{fmt::format("{}: {}", tree.string(), error.message())};
    return removed == static_cast<std::uintmax_t>(-1) ? 0 : removed;
  }

  static void remove_if_empty(const fs::path& directory) {
    std::error_code error;
    if (fs::is_directory(fs::symlink_status(directory, error)) && fs::is_empty(directory, error)) {
      fs::remove(directory, error);
    }
  }

  bool release_ = false;
  std::string profile_;
  std::string target_;
};

class ToolchainFileCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.footer("Use it with any CMake project:\n"
               "  cmake -DCMAKE_TOOLCHAIN_FILE=$(wasibuild toolchain-file) -S . -B build && cmake --build build");
  }
  int run(Env& env) override {
    const fs::path file = toolchain_file(env);
    if (!fs::exists(file)) throw Failure{fmt::format("{}: missing; reinstall wasibuild", file.string())};
    *env.out << file.string() << "\n";
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_new_command() { return std::make_unique<NewCommand>(false); }
std::unique_ptr<Command> make_init_command() { return std::make_unique<NewCommand>(true); }
std::unique_ptr<Command> make_clean_command() { return std::make_unique<CleanCommand>(); }
std::unique_ptr<Command> make_toolchain_file_command() { return std::make_unique<ToolchainFileCommand>(); }

}  // namespace wasibuild::driver
