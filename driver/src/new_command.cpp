// `wasibuild new NAME [--lib]` and `wasibuild init [--lib]`: a plain modern
// CMake project from templates/, which builds natively and to wasm.
#include <fmt/format.h>

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
// alone (init in an existing project). Returns the files written.
std::vector<fs::path> write_template(const fs::path& from, const fs::path& to, const std::string& name,
                                     bool keep_existing) {
  const std::string ident = identifier_of(name);
  std::vector<fs::path> written;
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    std::string relative = replaced(entry.path().lexically_relative(from).string(), name, ident);
    if (relative == "gitignore") relative = ".gitignore";
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
    // init next to an existing CMakeLists.txt adds only wasibuild's files.
    const bool existing_project = init_ && fs::exists(directory / "CMakeLists.txt");
    const auto written = write_template(templates, directory, name_, init_);
    if (existing_project) {
      for (const auto& file : written) {
        if (file.filename() != kProjectFile && file.filename() != ".gitignore") fs::remove(file);
      }
    }
    *env.out << fmt::format("created {} '{}' in {}\n", lib_ ? "library" : "application", name_, directory.string());
    if (!init_) *env.out << fmt::format("next: cd {} && wasibuild {}\n", name_, lib_ ? "test" : "run");
    return 0;
  }

 private:
  bool init_;
  std::string name_;
  bool lib_ = false;
};

class CleanCommand final : public Command {
 public:
  void setup(CLI::App&) override {}
  int run(Env& env) override {
    const Project project = load_project(env);
    std::error_code error;
    const auto removed = fs::remove_all(project.root / "build", error);
    if (error) throw Failure{fmt::format("{}: {}", (project.root / "build").string(), error.message())};
    *env.out << fmt::format("removed {} ({} files)\n", (project.root / "build").string(), removed);
    return 0;
  }
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
