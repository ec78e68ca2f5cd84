// `wasibuild build [--release | --profile P] [--target T] [-j N] [--message-format json]`.
#include "command.hpp"
#include "commands.hpp"
#include "project_build.hpp"

namespace wasibuild::driver {

namespace {

class BuildCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    bind_build_flags(app, flags_);
    bind_message_format(app, flags_);
    app.footer("Builds into build/<target>/<profile>/ with CMake and Ninja, then lists the .wasm files.\n"
               "Examples:\n  wasibuild build\n  wasibuild build --release\n  wasibuild build --profile bench -j 2");
  }
  int run(Env& env) override {
    const BuiltProject built = build_project(flags_, env, true);
    if (built.executables.empty() && !flags_.json_messages && env.verbosity != Verbosity::quiet) {
      *env.out << "  (no .wasm files)\n";
    }
    return 0;
  }

 private:
  BuildFlags flags_;
};

}  // namespace

std::unique_ptr<Command> make_build_command() { return std::make_unique<BuildCommand>(); }

}  // namespace wasibuild::driver
