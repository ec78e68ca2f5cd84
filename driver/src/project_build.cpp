#include "project_build.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <fstream>
#include <sstream>

#include "command.hpp"
#include "message_format.hpp"
#include "terminal.hpp"
#include "toolchains.hpp"
#include "post_process.hpp"
#include "wasibuild/files.hpp"
#include "wasibuild/text.hpp"

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
}

void bind_message_format(CLI::App& app, BuildFlags& flags) {
  app.add_option_function<std::string>(
         "--message-format", [&flags](const std::string& format) { flags.json_messages = format == "json"; },
         "human (default), or json: one JSON object a line on stdout (docs/message-format.md)")
      ->check(CLI::IsMember({"human", "json"}))
      ->type_name("FORMAT");
}

fs::path share_dir(const Env& env) { return env.executable.parent_path().parent_path() / "share/wasibuild"; }

fs::path toolchain_file(const Env& env) { return share_dir(env) / "cmake/wasi.cmake"; }

namespace {

// A command as a shell would show it (for -v), each word quoted if needed.
std::string shown_command(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& word : argv) {
    if (!text.empty()) text += ' ';
    const bool plain = !word.empty() && word.find_first_of(" \t\n'\"\\$`;&|<>*?()[]{}") == std::string::npos;
    text += plain ? word : "'" + word + "'";
  }
  return text;
}

}  // namespace

namespace {

// Ninja strips colour from what it passes on unless its output is a
// terminal or CLICOLOR_FORCE is set: set or cleared as --color decided.
std::vector<std::string> environment_for(const Step& step, const Env& env) {
  auto variables = env.variables;
  variables.erase("CLICOLOR_FORCE");
  if (env.colour && step.json_lines == nullptr) variables["CLICOLOR_FORCE"] = "1";
  return base::environment_of(variables);
}

}  // namespace

int run_step(const Step& step, const Env& env) {
  if (env.verbosity == Verbosity::verbose) print_status(env, "Running", "`" + shown_command(step.argv) + "`");
  env.out->flush();
  base::Spawn spawn{.argv = step.argv, .working_directory = step.working_directory};
  std::string kept;  // a quiet step's output, shown only if it fails
  base::LineSink on_line;
  if (step.json_lines != nullptr) {
    on_line = [&](std::string_view line) {
      (*step.json_lines)(line);
      *env.err << line << "\n";
    };
  } else if (step.chatty && env.verbosity == Verbosity::quiet) {
    on_line = [&kept](std::string_view line) { kept.append(line).push_back('\n'); };
  } else if (!step.chatter.empty() && env.verbosity != Verbosity::verbose) {
    on_line = [&](std::string_view line) {
      // Flushed a line at a time: a long build shows its progress as it goes.
      if (std::ranges::find(step.chatter, line) == step.chatter.end()) *env.out << line << "\n" << std::flush;
    };
  }
  if (on_line) {
    spawn.output = base::ChildOutput::lines;
    spawn.environment = environment_for(step, env);
  }
  const base::Exit exit = env.run(spawn, on_line);
  if (!exit.started()) throw Failure{fmt::format("cannot run {}: {}", step.argv.front(), exit.start_error)};
  if (exit.status != 0) *env.err << kept;
  env.out->flush();
  env.err->flush();
  return exit.status;
}

namespace {

// Nothing installed and no system toolchain: install the pinned default
// WASI SDK (design.md, decision 7), unless offline.
tc::Toolchain install_default_sdk(Env& env) {
  const tc::Release* release = tc::builtin_manifest().default_release(tc::host_platform());
  const bool offline = toolchain_sources(env).offline;
  if (release == nullptr || offline) {
    throw Failure{"no WASI toolchain is installed and none was found on this system",
                  {offline ? "WASIBUILD_OFFLINE=1 forbids installing one now; run without it, or install one: "
                             "wasibuild toolchain install"
                           : "install one: wasibuild toolchain install --from URL|FILE --sha256 HEX",
                   "or install Debian's: apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 "
                   "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32"}};
  }
  print_status(env, "Installing", fmt::format("the pinned default toolchain, WASI SDK {} (no WASI toolchain was found)",
                                             release->version));
  ProgressRenderer progress(*env.err, env.err_is_terminal, env.verbosity == Verbosity::quiet);
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
                                      // Clang colours always; Ninja strips it where
                                      // wasibuild's output is not coloured (run_step).
                                      "-DCMAKE_COLOR_DIAGNOSTICS=ON",
                                      // The resolved toolchain, so the toolchain file need not ask again.
                                      "-DWASIBUILD_CLANG=" + toolchain.clang.string(),
                                      "-DWASIBUILD_CLANGXX=" + toolchain.clangxx.string(),
                                      "-DWASIBUILD_AR=" + toolchain.ar.string(),
                                      "-DWASIBUILD_RANLIB=" + toolchain.ranlib.string(),
                                      "-DWASIBUILD_SYSROOT=" + toolchain.sysroot.string(),
                                      "-DWASIBUILD_TARGET=" + target,
                                      // Its probed exception support, which decides the C++ flags.
                                      std::string("-DWASIBUILD_HAS_EXCEPTIONS=") +
                                          (toolchain.capabilities.exceptions ? "ON" : "OFF"),
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

constexpr const char* kConfigureStamp = "configure.stamp";

enum class Configure { none, in_place, fresh };

// CMake re-runs itself when CMakeLists change; wasibuild re-configures only
// when its own inputs (source and build directories, toolchain, profile,
// flags: the stamp) changed, or CMake's list of executables is missing.
// A changed stamp starts the cache over (`cmake --fresh`): CMake keeps the
// compilers a cache was made with, and refuses a cache made for another
// source directory, as after the project was moved or copied.
Configure configure_needed(const fs::path& build_dir, const fs::path& state_dir, const std::string& stamp) {
  std::error_code error;
  if (!fs::exists(build_dir / "CMakeCache.txt", error)) return Configure::in_place;
  const base::Fd state = base::open_directory(state_dir);
  if (base::read_file_at(state.get(), kConfigureStamp, state_dir / kConfigureStamp) != stamp) return Configure::fresh;
  struct stat info {};
  if (::fstatat(state.get(), kExecutablesFile, &info, AT_SYMLINK_NOFOLLOW) != 0) return Configure::in_place;
  return Configure::none;
}

// The build tool CMake chose: CMAKE_MAKE_PROGRAM in the build's cache (read
// without following a link: the build directory is a place tests write).
std::optional<std::string> cached_make_program(const fs::path& build_dir) {
  const base::Fd root = base::open_directory(build_dir);
  std::istringstream cache(base::read_file_at(root.get(), "CMakeCache.txt", build_dir / "CMakeCache.txt").value_or(""));
  for (std::string line; std::getline(cache, line);) {
    if (!line.starts_with("CMAKE_MAKE_PROGRAM:")) continue;
    const auto equals = line.find('=');
    if (equals != std::string::npos && equals + 1 < line.size()) return line.substr(equals + 1);
  }
  return std::nullopt;
}

// With Ninja, the build runs it directly: `cmake --build` would only start
// the same `ninja -C DIR`, and starting CMake first costs ~25 ms on every
// build, most of a no-op build's time (docs/performance.md). Ninja starts in
// the build directory instead of with -C, so it has no "Entering directory"
// to say; under -q it shows only what the compiler says (--quiet).
Step build_step(const Project& project, const fs::path& build_dir, const BuildFlags& flags, const Env& env) {
  const auto ninja = project.generator == "Ninja" ? cached_make_program(build_dir) : std::nullopt;
  Step step{.argv = {}, .working_directory = ninja ? build_dir : project.root};
  step.argv = ninja ? std::vector<std::string>{*ninja} : std::vector<std::string>{"cmake", "--build", build_dir.string()};
  if (flags.jobs > 0) step.argv.push_back(fmt::format("-j{}", flags.jobs));
  if (env.verbosity == Verbosity::verbose) step.argv.push_back(ninja ? "-v" : "--verbose");
  if (env.verbosity == Verbosity::quiet && ninja) step.argv.push_back("--quiet");
  if (ninja) step.chatter = {"ninja: no work to do."};
  return step;
}

// clangd reads the build's compile_commands.json, which carries --target.
// Written only where nothing has the name yet, not even a dangling link.
void write_clangd_config(const fs::path& root, const fs::path& build_dir) {
  const base::Fd directory = base::open_directory(root);
  (void)base::create_new_file_at(
      directory.get(), ".clangd",
      "# Written by wasibuild: clangd reads the wasm build's compile commands.\nCompileFlags:\n  CompilationDatabase: " +
          build_dir.lexically_relative(root).string() + "\n",
      0644, root / ".clangd");
}

std::string profile_name_of(const BuildFlags& flags) {
  return !flags.profile.empty() ? flags.profile : flags.release ? "release" : "debug";
}

// --target, else the project's, else the toolchain's default.
std::string target_of(const BuildFlags& flags, const Project& project, const std::string& toolchain_default) {
  return !flags.target.empty() ? flags.target : project.target ? *project.target : toolchain_default;
}

// `requested` in the toolchain's own spelling. wasm32-wasi and wasm32-wasip1
// name one ABI (as do wasm32-wasi-threads and wasm32-wasip1-threads): WASI SDK 34 has only the new name, Debian 12's sysroot only
// the old, and a project written for one builds with the other. A target
// whose libc the toolchain lacks stops here with the toolchain's list, not
// deep in CMake's compiler check. A toolchain that lists no targets (one
// installed before they were probed) is taken at its word.
std::string target_in(const tc::Toolchain& toolchain, const std::string& requested) {
  const std::vector<std::string>& targets = toolchain.capabilities.targets;
  const auto has = [&targets](const std::string& name) {
    return std::find(targets.begin(), targets.end(), name) != targets.end();
  };
  if (targets.empty() || has(requested)) return requested;
  static const std::pair<const char*, const char*> kSameAbi[] = {{"wasm32-wasi", "wasm32-wasip1"},
                                                                 {"wasm32-wasi-threads", "wasm32-wasip1-threads"}};
  for (const auto& [old_name, new_name] : kSameAbi) {
    if (requested == old_name && has(new_name)) return new_name;
    if (requested == new_name && has(old_name)) return old_name;
  }
  Failure failure{fmt::format("toolchain '{}' has no libc for target '{}'", toolchain.name, project::capped(requested))};
  if (auto guess = base::did_you_mean(requested, targets)) failure.help.push_back(*guess);
  failure.help.push_back(fmt::format("its targets: {}", fmt::join(targets, ", ")));
  failure.help.push_back("see which toolchain has it: wasibuild toolchain list");
  throw failure;
}

}  // namespace

BuildPlan plan_build(const BuildFlags& flags, const Project& project, const tc::Toolchain* toolchain,
                     const Env& env) {
  BuildPlan plan;
  plan.profile = &choose_profile(project, profile_name_of(flags));
  // With no toolchain at all nothing was built; the name only has to be one.
  plan.target = target_of(flags, project, toolchain != nullptr ? toolchain->default_target : "wasm32-wasi");
  if (toolchain != nullptr) plan.target = target_in(*toolchain, plan.target);
  plan.build_dir = project.root / "build" / plan.target / plan.profile->name;
  plan.state_dir = state_dir_of(project, plan.target, plan.profile->name);
  if (toolchain == nullptr) return plan;
  plan.configure = configure_command(project, *plan.profile, *toolchain, plan.target, plan.build_dir, env);
  plan.configure.push_back("-DWASIBUILD_EXECUTABLES_FILE=" + (plan.state_dir / kExecutablesFile).string());
  plan.stamp = joined(plan.configure);
  return plan;
}

fs::path existing_build_dir(const BuildFlags& flags, const Project& project, Env& env) {
  auto resolved = resolve_toolchain(env, flags.toolchain.empty() ? std::nullopt : std::optional(flags.toolchain));
  if (!resolved) throw failure_of(resolved.error());
  const auto& toolchain = resolved.value().toolchain;
  return plan_build(flags, project, toolchain ? &*toolchain : nullptr, env).build_dir;
}

namespace {

// Configures when the stamp says so, builds, post-processes; fills `built`.
void configure_and_build(const BuildFlags& flags, const BuildPlan& plan, Env& env, BuiltProject& built,
                         const base::LineSink* json_lines) {
  const Project& project = built.project;
  built.build_dir = plan.build_dir;
  const fs::path& state_dir = plan.state_dir;
  fs::create_directories(state_dir);
  if (const Configure needed = configure_needed(built.build_dir, state_dir, plan.stamp); needed != Configure::none) {
    std::vector<std::string> configure = plan.configure;
    if (needed == Configure::fresh) configure.push_back("--fresh");
    if (run_step({configure, project.root, true, json_lines}, env) != 0) {
      throw Failure{fmt::format("{}: CMake configuration failed (see its output above)", project.manifest.string())};
    }
    const base::Fd state = base::open_directory(state_dir);
    base::replace_file_at(state.get(), kConfigureStamp, plan.stamp, 0644, state_dir / kConfigureStamp);
  }
  const PostProcess post = plan_post_processing(*plan.profile, built.toolchain, env);
  forget_outputs_of_other_settings(state_dir, built.build_dir, post);
  Step build = build_step(project, built.build_dir, flags, env);
  build.json_lines = json_lines;
  if (run_step(build, env) != 0) {
    throw Failure{fmt::format("{}: the build failed (see the compiler output above)", project.manifest.string())};
  }
  write_clangd_config(project.root, built.build_dir);
  built.executables = linked_modules(state_dir, built.build_dir);
  built.tests = linked_modules(state_dir, built.build_dir, true);
  built.notes = post_process(built.executables, state_dir, built.build_dir, post, env);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void list_outputs(const BuiltProject& built, const Env& env) {
  for (const auto& wasm : built.executables) {
    *env.out << fmt::format("  {} ({}{})\n", wasm.lexically_relative(env.working_directory).string(),
                            base::size_text(fs::file_size(wasm)), built.notes.at(wasm));
  }
}

void report_artifacts(const BuiltProject& built, JsonMessages& json) {
  for (const auto& wasm : built.executables) {
    const bool is_test = std::find(built.tests.begin(), built.tests.end(), wasm) != built.tests.end();
    json.artifact(wasm, fs::file_size(wasm), is_test);
  }
}

}  // namespace

BuiltProject build_project(const BuildFlags& flags, Env& env, bool list_outputs_too) {
  const auto start = std::chrono::steady_clock::now();
  BuiltProject built{load_project(env), {}, {}, {}, {}, {}};
  built.toolchain = resolve_for_build(flags, env);
  const BuildPlan plan = plan_build(flags, built.project, &built.toolchain, env);
  const std::string& profile = plan.profile->name;
  const std::string& target = plan.target;
  const auto& targets = built.toolchain.capabilities.targets;
  if (!targets.empty() && std::find(targets.begin(), targets.end(), target) == targets.end()) {
    throw Failure{fmt::format("toolchain '{}' has no libc for target '{}'", built.toolchain.name, target),
                  {fmt::format("its targets: {}", fmt::join(targets, ", "))}};
  }
  if (!flags.json_messages) {
    configure_and_build(flags, plan, env, built, nullptr);
    if (list_outputs_too && env.verbosity != Verbosity::quiet) list_outputs(built, env);
    print_status(env, "Finished", fmt::format("{} in {:.1f} s", profile, seconds_since(start)));
    return built;
  }
  JsonMessages json(*env.out);
  const base::LineSink diagnostics = [&json](std::string_view line) {
    if (auto diagnostic = parse_diagnostic(line)) json.diagnostic(*diagnostic);
  };
  try {
    configure_and_build(flags, plan, env, built, &diagnostics);
  } catch (const Failure&) {
    json.build_finished(false, profile, target, seconds_since(start));
    throw;
  }
  report_artifacts(built, json);
  json.build_finished(true, profile, target, seconds_since(start));
  return built;
}

}  // namespace wasibuild::driver
