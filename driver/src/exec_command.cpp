// `wasibuild exec [OPTIONS] FILE [--] [ARGS...]`: run one module in the
// embedded runner. CTest uses it as the cross-compiling emulator.
#include "exec_command.hpp"

#include <iostream>
#include <optional>

#include "commands.hpp"
#include "paths.hpp"

namespace wasibuild::driver {

void ExecCommand::setup(CLI::App& app) {
  app.add_option("FILE", options_.file, "The module: .wasm, .wat, or (with --allow-precompiled) .cwasm")
      ->required()
      ->type_name("");
  bind_sandbox_flags(app, options_.sandbox);
  app.add_flag("--allow-precompiled", options_.allow_precompiled,
               "Accept a .cwasm from `wasibuild compile` (native code, outside the sandbox)");
  app.add_flag("--no-cache", options_.no_cache, "Compile without reading or writing the compiled-code cache");
  app.footer(
      "Everything after FILE goes to the guest, even flags such as --help; `--` before FILE ends wasibuild's\n"
      "options too (CTest's emulator form: wasibuild exec [OPTIONS] -- FILE ARGS...).\n"
      "Examples:\n"
      "  wasibuild exec hello.wasm world\n"
      "  wasibuild exec --dir-ro ./assets::/assets --dir ./out::/out --env LANG=C tool.wasm -- --verbose\n"
      "  wasibuild exec --timeout 2s --max-memory 64MiB --fuel 100000000 untrusted.wasm\n"
      "Exit status: the guest's own; 134 on a trap, 124 on a timeout, 125 on a runner error.");
}

int ExecCommand::run(Env& env) {
  runner::Program program{env.working_directory / options_.file, options_.arguments, options_.allow_precompiled};
  runner::Policy policy = policy_from(options_.sandbox, env);
  const runner::Limits limits = limits_from(options_.sandbox);
  std::optional<runner::CacheOptions> cache;
  if (!options_.no_cache) cache = module_cache(env);
  return run_guest(program, policy, limits, cache, env);
}

}  // namespace wasibuild::driver

namespace wasibuild::driver {
std::unique_ptr<Command> make_exec_command() { return std::make_unique<ExecCommand>(); }
}  // namespace wasibuild::driver
