#include "post_process.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "command.hpp"
#include "project_build.hpp"
#include "wasibuild/files.hpp"
#include "wasm_opt.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

namespace {

constexpr const char* kPostStamp = "post.stamp";
constexpr const char* kWorkCopy = "module.wasm";
// Far beyond any module a toolchain links (wasm32 addresses 4 GiB in all).
constexpr std::size_t kMaxModuleBytes = std::size_t{1} << 31;

// `module`'s path inside the build directory; CMake never puts one elsewhere.
fs::path inside_build_dir(const fs::path& build_dir, const fs::path& module) {
  const fs::path relative = module.lexically_normal().lexically_relative(build_dir.lexically_normal());
  if (relative.empty() || *relative.begin() == "..") {
    throw Failure{fmt::format("{}: a module outside the build directory {}", module.string(), build_dir.string())};
  }
  return relative;
}

// A module in the build tree, opened for reading without following a link.
struct ModuleFile {
  base::Fd directory;
  std::string name;
  base::Fd fd;
  struct stat info {};
};

[[noreturn]] void refuse_module(const fs::path& module, const std::string& problem) {
  throw Failure{fmt::format("{}: {}, not the module the build linked", module.string(), problem),
                {"a test (or another program) put it there; remove it and build again"}};
}

std::optional<ModuleFile> open_module(int build_root, const fs::path& build_dir, const fs::path& module) {
  const fs::path relative = inside_build_dir(build_dir, module);
  ModuleFile file;
  const fs::path parent = relative.has_parent_path() ? relative.parent_path() : fs::path(".");
  try {
    file.directory = base::open_beneath(build_root, parent, O_RDONLY | O_DIRECTORY, module.parent_path(), true);
  } catch (const base::FileError& error) {
    refuse_module(module, "its directory is " + error.problem());
  }
  if (!file.directory) return std::nullopt;
  file.name = relative.filename().string();
  file.fd = base::Fd(::openat(file.directory.get(), file.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file.fd) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) refuse_module(module, "a symbolic link");
    throw Failure{fmt::format("{}: {}", module.string(), std::strerror(errno))};
  }
  if (::fstat(file.fd.get(), &file.info) != 0 || !S_ISREG(file.info.st_mode)) refuse_module(module, "not a regular file");
  return file;
}

std::string identity(const struct stat& info) {
  return fmt::format("{} {}.{:09}", info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

// The stamp lists each processed module with the size and time it had
// afterwards, so a module the build did not touch is not processed twice.
struct Processed {
  std::string settings;
  std::map<std::string, std::string> modules;  // path -> identity
};

Processed read_post_stamp(int state) {
  Processed processed;
  std::istringstream text(base::read_file_at(state, kPostStamp, kPostStamp).value_or(""));
  std::string line;
  for (int i = 0; i < 2 && std::getline(text, line); ++i) processed.settings += line + "\n";
  while (std::getline(text, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) processed.modules[line.substr(tab + 1)] = line.substr(0, tab);
  }
  return processed;
}

// llvm-strip next to the toolchain's llvm-ar (same version suffix).
std::optional<fs::path> strip_tool(const tc::Toolchain& toolchain) {
  std::string name = toolchain.ar.filename().string();
  const auto at = name.find("llvm-ar");
  if (at == std::string::npos) return std::nullopt;
  name.replace(at, 7, "llvm-strip");
  const fs::path tool = toolchain.ar.parent_path() / name;
  return fs::exists(tool) ? std::optional(tool) : std::nullopt;
}

// Strips and optimizes the copy in the state directory's work/ (tools given
// paths never see the build tree), then puts the result in the module's
// place. Returns the wasm-opt problem, if it failed.
std::optional<std::string> process_copy(const ModuleFile& file, const fs::path& module, const fs::path& work,
                                        const PostProcess& plan, const Env& env) {
  fs::create_directories(work);
  const base::Fd work_dir = base::open_directory(work);
  base::replace_file_at(work_dir.get(), kWorkCopy, base::read_all(file.fd.get(), module, kMaxModuleBytes), 0644, work / kWorkCopy);
  const fs::path copy = work / kWorkCopy;
  if (plan.strip && plan.strip_tool) {
    const base::Exit strip = env.run({.argv = {plan.strip_tool->string(), "--strip-debug", "--keep-section=name",
                                               copy.string()},
                                      .output = base::ChildOutput::capture,
                                      .stdin_from_null = true});
    if (strip.status != 0) {
      throw Failure{fmt::format("{}: llvm-strip failed: {}", module.string(),
                                strip.started() ? strip.output : strip.start_error)};
    }
  }
  std::optional<std::string> problem;
  if (plan.wasm_opt) {
    const WasmOptOutcome outcome = run_wasm_opt(*plan.wasm_opt, plan.level, copy);
    if (!outcome.optimized) problem = outcome.problem;
  }
  const auto result = base::read_file_at(work_dir.get(), kWorkCopy, copy, kMaxModuleBytes);
  // The linked module is executable (a launcher may run it): keep its mode.
  base::replace_file_at(file.directory.get(), file.name, result.value_or(""), file.info.st_mode & 0777, module);
  return problem;
}

}  // namespace

fs::path state_dir_of(const Project& project, const std::string& target, const std::string& profile) {
  return project.root / "build" / ".wasibuild" / target / profile;
}

std::vector<fs::path> linked_modules(const fs::path& state_dir, const fs::path& build_dir, bool only_tests) {
  const base::Fd state = base::open_directory(state_dir);
  std::istringstream listed(base::read_file_at(state.get(), kExecutablesFile, state_dir / kExecutablesFile).value_or(""));
  const base::Fd root = base::open_directory(build_dir);
  std::vector<fs::path> modules;
  constexpr std::string_view kTestMark = "test\t";
  for (std::string line; std::getline(listed, line);) {
    const bool is_test = line.starts_with(kTestMark);
    if (is_test) line.erase(0, kTestMark.size());
    if (only_tests && !is_test) continue;
    const fs::path module(line);
    if (module.extension() != ".wasm") continue;
    if (open_module(root.get(), build_dir, module)) modules.push_back(module);
  }
  std::sort(modules.begin(), modules.end());
  modules.erase(std::unique(modules.begin(), modules.end()), modules.end());
  return modules;
}

std::string PostProcess::settings() const {
  return fmt::format("strip {}\nwasm-opt {} -{}\n", strip ? strip_tool.value_or("-").string() : "",
                     wasm_opt.value_or("").string(), level);
}

PostProcess plan_post_processing(const Profile& profile, const tc::Toolchain& toolchain, const Env& env) {
  PostProcess plan;
  if (profile.strip) {
    plan.strip = true;
    plan.strip_tool = strip_tool(toolchain);
    plan.strip_note = plan.strip_tool ? "debug sections stripped"
                                      : "not stripped: llvm-strip not found next to " + toolchain.ar.string();
  }
  if (!profile.wasm_opt.empty()) {
    plan.wasm_opt = find_wasm_opt(env);
    plan.level = profile.wasm_opt;
    const auto named = env.get("WASIBUILD_WASM_OPT");
    if (!plan.wasm_opt && (profile.wasm_opt_requested || (named && !named->empty()))) {
      *env.err << fmt::format("wasibuild: warning: profile '{}' asks for wasm-opt but {}; building without it "
                              "(install binaryen: apt-get install binaryen)\n",
                              profile.name,
                              named && !named->empty() ? "WASIBUILD_WASM_OPT=" + *named + " is not a program"
                                                       : "none is on PATH");
    }
  }
  return plan;
}

// Modules processed under other settings are removed (the link in their
// place, never what it points to), so the build links them afresh.
void forget_outputs_of_other_settings(const fs::path& state_dir, const fs::path& build_dir, const PostProcess& plan) {
  const base::Fd state = base::open_directory(state_dir);
  const Processed processed = read_post_stamp(state.get());
  if (processed.settings == plan.settings()) return;
  const base::Fd root = base::open_directory(build_dir);
  for (const auto& [module, unused] : processed.modules) {
    const fs::path relative = inside_build_dir(build_dir, module);
    const fs::path parent = relative.has_parent_path() ? relative.parent_path() : fs::path(".");
    try {
      const base::Fd directory = base::open_beneath(root.get(), parent, O_RDONLY | O_DIRECTORY, module, true);
      if (directory) ::unlinkat(directory.get(), relative.filename().c_str(), 0);
    } catch (const base::FileError&) {
      // Its directory is a link now: nothing of ours is there to forget.
    }
  }
  ::unlinkat(state.get(), kPostStamp, 0);
}

std::map<fs::path, std::string> post_process(const std::vector<fs::path>& modules, const fs::path& state_dir,
                                             const fs::path& build_dir, const PostProcess& plan, const Env& env) {
  const base::Fd state = base::open_directory(state_dir);
  const Processed before = read_post_stamp(state.get());
  const base::Fd root = base::open_directory(build_dir);
  const bool has_work = (plan.strip && plan.strip_tool) || plan.wasm_opt;
  std::map<fs::path, std::string> notes;
  std::string stamp = plan.settings();
  for (const auto& module : modules) {
    std::vector<std::string> note;
    if (plan.strip) note.push_back(plan.strip_note);
    if (plan.wasm_opt) note.push_back("wasm-opt -" + plan.level);
    auto file = open_module(root.get(), build_dir, module);
    if (!file) {
      notes[module] = "";
      continue;
    }
    const auto done = before.modules.find(module.string());
    bool ok = true;
    if (has_work && (before.settings != plan.settings() || done == before.modules.end() ||
                     done->second != identity(file->info))) {
      if (auto problem = process_copy(*file, module, state_dir / "work", plan, env)) {
        ok = false;
        note.back() = "not optimized: wasm-opt failed";
        *env.err << fmt::format("wasibuild: warning: wasm-opt failed on {}, keeping it unoptimized: {}\n",
                                module.lexically_relative(env.working_directory).string(), *problem);
      }
      file = open_module(root.get(), build_dir, module);
    }
    if (ok && file) stamp += fmt::format("{}\t{}\n", identity(file->info), module.string());
    std::string joined_note;
    for (const auto& part : note) joined_note += ", " + part;
    notes[module] = joined_note;
  }
  base::replace_file_at(state.get(), kPostStamp, stamp, 0644, state_dir / kPostStamp);
  return notes;
}

}  // namespace wasibuild::driver
