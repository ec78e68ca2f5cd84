// `wasibuild run [--bin NAME] [build and sandbox flags] [-- ARGS...]`: build,
// then run one executable in the embedded runner with [run] capabilities.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "command.hpp"
#include "commands.hpp"
#include "paths.hpp"
#include "project_build.hpp"
#include "terminal.hpp"
#include "sandbox_flags.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

class RunCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    bind_build_flags(app, build_);
    app.add_option("--bin", bin_, "The executable to run, when the project has several");
    bind_sandbox_flags(app, sandbox_);
    // Like cargo: words that cannot be wasibuild's flags go to the program
    // (`wasibuild run input.txt`); one that starts with '-' needs `--`.
    app.add_option("args", positional_, "Arguments for the program (after -- when one starts with '-')")
        ->type_name("ARGS");
    app.footer("Arguments go to the program; after --, also those that start with '-'.\nExamples:\n"
               "  wasibuild run input.txt\n  wasibuild run --dir-ro ./data::/data -- --verbose input.txt");
  }
  [[nodiscard]] bool takes_trailing_arguments() const override { return true; }
  void set_trailing_arguments(std::vector<std::string> arguments) override { arguments_ = std::move(arguments); }

  int run(Env& env) override {
    const BuiltProject built = build_project(build_, env, false);
    const fs::path program = choose(built);
    print_status(env, "Running", "`" + program.lexically_relative(env.working_directory).string() + "`");
    // Relative grants in wasibuild.toml are relative to the project root.
    Env project_env = env;
    project_env.working_directory = built.project.root;
    runner::Policy policy = policy_from(built.project.run, project_env);
    const runner::Policy extra = policy_from(sandbox_, env);
    policy.directories.insert(policy.directories.end(), extra.directories.begin(), extra.directories.end());
    for (const auto& pair : extra.environment) policy.environment.push_back(pair);
    policy.build_graph = extra.build_graph;
    policy.private_tmp_in = extra.private_tmp_in;
    policy.network = network_from(merged(built.project.run, sandbox_));
    const runner::Limits limits = limits_from(merged(built.project.run, sandbox_));
    std::vector<std::string> arguments = positional_;
    arguments.insert(arguments.end(), arguments_.begin(), arguments_.end());
    return run_guest({program, arguments, false}, policy, limits, module_cache(env), env);
  }

 private:
  fs::path choose(const BuiltProject& built) const {
    if (!bin_.empty()) return named_program(built);
    // Like cargo: test programs (those an add_test() runs) are not candidates,
    std::vector<fs::path> programs;
    std::ranges::copy_if(built.executables, std::back_inserter(programs), [&](const fs::path& program) {
      return std::ranges::find(built.tests, program) == built.tests.end();
    });
    const std::string manifest = built.project.manifest.string();
    // When tests run every executable, the one named after the package is
    // still the program (a smoke test that runs it, as `new`'s template has).
    if (programs.empty()) {
      for (const auto& program : built.executables) {
        if (program.stem() == built.project.name) return program;
      }
    }
    if (programs.empty() && !built.tests.empty()) {
      throw Failure{manifest + ": the project has no program to run, only test programs",
                    {"run its tests with: wasibuild test", "or run one by name: wasibuild run --bin NAME"}};
    }
    if (programs.empty()) throw Failure{manifest + ": the build produced no .wasm executable"};
    if (programs.size() == 1) return programs.front();
    // Like cargo: the executable named after the package, when there is one.
    for (const auto& program : programs) {
      if (program.stem() == built.project.name) return program;
    }
    std::vector<std::string> names;
    for (const auto& program : programs) names.push_back(program.stem().string());
    throw Failure{"the project has several executables; choose one with --bin",
                  {fmt::format("executables: {}", fmt::join(names, ", "))}, kExitUsage};
  }

  // --bin may name any executable, a test program too.
  fs::path named_program(const BuiltProject& built) const {
    std::vector<std::string> names;
    for (const auto& program : built.executables) {
      if (program.stem() == bin_) return program;
      names.push_back(program.stem().string());
    }
    Failure failure{fmt::format("no executable named '{}'", bin_), {}, kExitUsage};
    if (auto guess = base::did_you_mean(bin_, names)) failure.help.push_back(*guess);
    failure.help.push_back(fmt::format("executables: {}", fmt::join(names, ", ")));
    throw failure;
  }

  BuildFlags build_;
  SandboxFlags sandbox_;
  std::string bin_;
  std::vector<std::string> positional_;  // before `--`
  std::vector<std::string> arguments_;   // after `--`
};

}  // namespace

std::unique_ptr<Command> make_run_command() { return std::make_unique<RunCommand>(); }

}  // namespace wasibuild::driver
