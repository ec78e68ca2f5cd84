#include "project_build.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <fstream>
#include <sstream>

#include "command.hpp"
#include "toolchains.hpp"
#include "wasm_opt.hpp"

extern char** environ;

namespace wasibuild::driver {

namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

void bind_build_flags(CLI::App& app, BuildFlags& flags) {
  app.add_flag("-r,--release", flags.release, "Build the release profile");
  app.add_option("--profile", flags.profile, "Build this profile (debug, release, or one from wasibuild.toml)");
  app.add_option("--toolchain", flags.toolchain, "Use this toolchain (see wasibuild toolchain list)");
  app.add_option("--target", flags.target, "Target triple (default: the toolchain's, e.g. wasm32-wasi)");
  app.add_option("-j,--jobs", flags.jobs, "Parallel build jobs");
  app.add_flag("-v,--verbose", flags.verbose, "Show the commands CMake runs");
}

fs::path share_dir(const Env& env) { return env.executable.parent_path().parent_path() / "share/wasibuild"; }

fs::path toolchain_file(const Env& env) { return share_dir(env) / "cmake/wasi.cmake"; }

int run_child(const std::vector<std::string>& argv, const fs::path& working_directory) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!working_directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw Failure{fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned))};
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

// Nothing installed and no system toolchain: install the pinned default
// WASI SDK (design.md, decision 7), unless offline.
tc::Toolchain install_default_sdk(Env& env) {
  const tc::Release* release = tc::builtin_manifest().default_release(tc::host_platform());
  const bool offline = env.get("WASIBUILD_OFFLINE").value_or("") == "1";
  if (release == nullptr || offline) {
    throw Failure{"no WASI toolchain is installed and none was found on this system",
                  {offline ? "WASIBUILD_OFFLINE=1 forbids installing one now; run without it, or install one: "
                             "wasibuild toolchain install"
                           : "install one: wasibuild toolchain install --from URL|FILE --sha256 HEX",
                   "or install Debian's: apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 "
                   "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32"}};
  }
  *env.err << fmt::format("wasibuild: no WASI toolchain found; installing the pinned default, WASI SDK {}\n",
                          release->version)
           << std::flush;
  ProgressRenderer progress(*env.err, env.err_is_terminal, false);
  auto installed = installer_module(env).install(release_install_request(env, *release), progress);
  if (!installed) throw failure_of(installed.error());
  return installed.value();
}

tc::Toolchain resolve_for_build(const BuildFlags& flags, Env& env) {
  auto resolved = resolve_toolchain(env, flags.toolchain.empty() ? std::nullopt : std::optional(flags.toolchain));
  if (!resolved) throw failure_of(resolved.error());
  if (resolved.value().toolchain) return *resolved.value().toolchain;
  return install_default_sdk(env);
}

std::vector<std::string> configure_command(const Project& project, const Profile& profile,
                                           const tc::Toolchain& toolchain, const std::string& target,
                                           const fs::path& build_dir, const Env& env) {
  std::vector<std::string> command = {"cmake", "-S", project.root.string(), "-B", build_dir.string(), "-G",
                                      project.generator, "-DCMAKE_TOOLCHAIN_FILE=" + toolchain_file(env).string(),
                                      "-DCMAKE_BUILD_TYPE=" + profile.build_type,
                                      "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
                                      // The resolved toolchain, so the toolchain file need not ask again.
                                      "-DWASIBUILD_CLANG=" + toolchain.clang.string(),
                                      "-DWASIBUILD_CLANGXX=" + toolchain.clangxx.string(),
                                      "-DWASIBUILD_AR=" + toolchain.ar.string(),
                                      "-DWASIBUILD_RANLIB=" + toolchain.ranlib.string(),
                                      "-DWASIBUILD_SYSROOT=" + toolchain.sysroot.string(),
                                      "-DWASIBUILD_TARGET=" + target,
                                      "-DWASIBUILD_EXECUTABLE=" + env.executable.string(),
                                      // [test], for every test, also under a plain `ctest` (docs/testing.md).
                                      // Always given, so that removing a setting removes it from the cache.
                                      fmt::format("-DWASIBUILD_TEST_EXTRA_GRANTS:STRING={}",
                                                  fmt::join(test_grants(project), ";"))};
  if (project.launcher) {
    command.push_back("-DCMAKE_C_COMPILER_LAUNCHER=" + *project.launcher);
    command.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=" + *project.launcher);
  }
  std::map<std::string, std::string> definitions = project.definitions;
  for (const auto& [key, value] : profile.definitions) definitions[key] = value;
  for (const auto& [key, value] : definitions) command.push_back(fmt::format("-D{}={}", key, value));
  command.insert(command.end(), project.cmake_args.begin(), project.cmake_args.end());
  command.insert(command.end(), profile.cmake_args.begin(), profile.cmake_args.end());
  return command;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += word + "\n";
  return text;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// CMake re-runs itself when CMakeLists change; wasibuild re-configures only
// when its own inputs (toolchain, profile, flags) changed.
bool needs_configure(const fs::path& build_dir, const std::string& stamp) {
  std::error_code error;
  return !fs::exists(build_dir / "CMakeCache.txt", error) || read_text(build_dir / "wasibuild-configure.stamp") != stamp;
}

// The build tool CMake chose: CMAKE_MAKE_PROGRAM in the build's cache.
std::optional<std::string> cached_make_program(const fs::path& build_dir) {
  std::ifstream cache(build_dir / "CMakeCache.txt");
  for (std::string line; std::getline(cache, line);) {
    if (!line.starts_with("CMAKE_MAKE_PROGRAM:")) continue;
    const auto equals = line.find('=');
    if (equals != std::string::npos && equals + 1 < line.size()) return line.substr(equals + 1);
  }
  return std::nullopt;
}

// With Ninja, the build runs it directly: `cmake --build` would only start
// the same `ninja -C DIR`, and starting CMake first costs ~25 ms on every
// build, most of a no-op build's time (docs/performance.md).
std::vector<std::string> build_command(const Project& project, const fs::path& build_dir, const BuildFlags& flags) {
  const auto ninja = project.generator == "Ninja" ? cached_make_program(build_dir) : std::nullopt;
  std::vector<std::string> command = {ninja.value_or("cmake"), ninja ? "-C" : "--build", build_dir.string()};
  if (flags.jobs > 0) command.push_back(fmt::format("-j{}", flags.jobs));
  if (flags.verbose) command.push_back(ninja ? "-v" : "--verbose");
  return command;
}

std::vector<fs::path> wasm_outputs(const fs::path& build_dir) {
  std::vector<fs::path> found;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(build_dir, error); it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (it->is_directory(error) && it->path().filename() == "CMakeFiles") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().extension() == ".wasm" && it->is_regular_file(error)) found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string human_size(std::uintmax_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
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

// Release post-processing, decided before the build: debug sections out
// (the name section kept, so a trap's backtrace still names functions),
// then binaryen's wasm-opt. Stripping comes first: binaryen keeps DWARF it
// is given and then skips every pass that would invalidate it, so optimizing
// a stripped module gives a smaller, faster one (docs/design-notes.md).
struct PostProcess {
  bool strip = false;
  std::optional<fs::path> strip_tool;
  std::optional<fs::path> wasm_opt;
  std::string level;
  std::string strip_note;  // how each module line describes the strip step

  // What the modules in the build directory went through; a change means
  // they must be linked again before processing.
  [[nodiscard]] std::string settings() const {
    return fmt::format("strip {}\nwasm-opt {} -{}\n", strip ? strip_tool.value_or("-").string() : "",
                       wasm_opt.value_or("").string(), level);
  }
};

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

// The stamp lists each processed module with the size and time it had
// afterwards, so a module the build did not touch is not processed twice.
struct Processed {
  std::string settings;
  std::map<std::string, std::string> modules;  // path -> "size mtime"
};

constexpr const char* kPostStamp = "wasibuild-post.stamp";

std::string identity(const fs::path& module) {
  std::error_code error;
  const auto size = fs::file_size(module, error);
  const auto time = fs::last_write_time(module, error).time_since_epoch().count();
  return fmt::format("{} {}", size, time);
}

Processed read_post_stamp(const fs::path& build_dir) {
  Processed processed;
  std::istringstream text(read_text(build_dir / kPostStamp));
  std::string line;
  for (int i = 0; i < 2 && std::getline(text, line); ++i) processed.settings += line + "\n";
  while (std::getline(text, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) processed.modules[line.substr(tab + 1)] = line.substr(0, tab);
  }
  return processed;
}

// Modules processed under other settings are removed, so the build links
// them afresh and this run processes the original output. Only modules
// CMake links next to their target's CMakeFiles/<name>.dir: a .wasm that
// the project merely copied into the build tree would not come back.
void forget_outputs_of_other_settings(const fs::path& build_dir, const PostProcess& plan) {
  const Processed processed = read_post_stamp(build_dir);
  if (processed.settings == plan.settings()) return;
  std::error_code ignored;
  for (const auto& [module, unused] : processed.modules) {
    const fs::path path(module);
    const fs::path target_dir = path.parent_path() / "CMakeFiles" / path.stem().concat(".dir");
    if (fs::is_directory(target_dir, ignored)) fs::remove(path, ignored);
  }
  fs::remove(build_dir / kPostStamp, ignored);
}

// Processes the modules the build produced or changed; returns each
// module's note for the output lines. A failing wasm-opt is a warning: the
// module stays as linked (and stripped), and the next build tries again.
std::map<fs::path, std::string> post_process(const std::vector<fs::path>& modules, const fs::path& build_dir,
                                             const PostProcess& plan, const Env& env) {
  const Processed before = read_post_stamp(build_dir);
  std::map<fs::path, std::string> notes;
  std::string stamp = plan.settings();
  for (const auto& module : modules) {
    std::vector<std::string> note;
    if (plan.strip) note.push_back(plan.strip_note);
    if (plan.wasm_opt) note.push_back("wasm-opt -" + plan.level);
    const auto done = before.modules.find(module.string());
    bool ok = true;
    if (before.settings != plan.settings() || done == before.modules.end() || done->second != identity(module)) {
      if (plan.strip && plan.strip_tool &&
          run_child({plan.strip_tool->string(), "--strip-debug", "--keep-section=name", module.string()},
                    env.working_directory) != 0) {
        throw Failure{fmt::format("{}: llvm-strip failed", module.string())};
      }
      if (plan.wasm_opt) {
        const WasmOptOutcome outcome = run_wasm_opt(*plan.wasm_opt, plan.level, module);
        if (!outcome.optimized) {
          ok = false;
          note.back() = "not optimized: wasm-opt failed";
          *env.err << fmt::format("wasibuild: warning: wasm-opt failed on {}, keeping it unoptimized: {}\n",
                                  module.lexically_relative(env.working_directory).string(), outcome.problem);
        }
      }
    }
    if (ok) stamp += fmt::format("{}\t{}\n", identity(module), module.string());
    std::string joined_note;
    for (const auto& part : note) joined_note += ", " + part;
    notes[module] = joined_note;
  }
  std::ofstream(build_dir / kPostStamp) << stamp;
  return notes;
}

// clangd reads the build's compile_commands.json, which carries --target.
void write_clangd_config(const fs::path& root, const fs::path& build_dir) {
  const fs::path file = root / ".clangd";
  if (fs::exists(file)) return;
  std::ofstream(file) << "# Written by wasibuild: clangd reads the wasm build's compile commands.\n"
                      << "CompileFlags:\n  CompilationDatabase: " << build_dir.lexically_relative(root).string() << "\n";
}

}  // namespace

BuiltProject build_project(const BuildFlags& flags, Env& env, bool print_outputs) {
  BuiltProject built{load_project(env), {}, {}, {}};
  const Project& project = built.project;
  const std::string profile_name = !flags.profile.empty() ? flags.profile : flags.release ? "release" : "debug";
  const Profile& profile = choose_profile(project, profile_name);
  built.toolchain = resolve_for_build(flags, env);
  const std::string target = !flags.target.empty() ? flags.target
                             : project.target      ? *project.target
                                                   : built.toolchain.default_target;
  const auto& targets = built.toolchain.capabilities.targets;
  if (!targets.empty() && std::find(targets.begin(), targets.end(), target) == targets.end()) {
    throw Failure{fmt::format("toolchain '{}' has no libc for target '{}'", built.toolchain.name, target),
                  {fmt::format("its targets: {}", fmt::join(targets, ", "))}};
  }
  built.build_dir = project.root / "build" / target / profile.name;
  const auto configure = configure_command(project, profile, built.toolchain, target, built.build_dir, env);
  const std::string stamp = joined(configure);
  env.out->flush();
  if (needs_configure(built.build_dir, stamp)) {
    if (run_child(configure, project.root) != 0) {
      throw Failure{fmt::format("{}: CMake configuration failed (see its output above)", project.manifest.string())};
    }
    std::ofstream(built.build_dir / "wasibuild-configure.stamp") << stamp;
  }
  const PostProcess post = plan_post_processing(profile, built.toolchain, env);
  forget_outputs_of_other_settings(built.build_dir, post);
  if (run_child(build_command(project, built.build_dir, flags), project.root) != 0) {
    throw Failure{fmt::format("{}: the build failed (see the compiler output above)", project.manifest.string())};
  }
  write_clangd_config(project.root, built.build_dir);
  built.executables = wasm_outputs(built.build_dir);
  const auto notes = post_process(built.executables, built.build_dir, post, env);
  if (print_outputs) {
    for (const auto& wasm : built.executables) {
      *env.out << fmt::format("  {} ({}{})\n", wasm.lexically_relative(env.working_directory).string(),
                              human_size(fs::file_size(wasm)), notes.at(wasm));
    }
  }
  return built;
}

}  // namespace wasibuild::driver
