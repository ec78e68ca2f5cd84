// `wasibuild compile FILE -o OUT.cwasm`: ahead-of-time compilation.
#include "command.hpp"
#include "commands.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::driver {

namespace {

class CompileCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_option("file", input_, "The module to compile (.wasm or .wat)")->required()->type_name("FILE");
    app.add_option("-o,--output", output_, "Where to write the artifact (default: FILE with .cwasm)")
        ->type_name("OUT");
    app.add_flag("--with-timeout", options_.timeout_support, "Let `exec --timeout` stop it (epoch interruption)");
    app.add_flag("--with-fuel", options_.fuel_support, "Let `exec --fuel` meter it (fuel accounting)");
    app.footer("Example:\n  wasibuild compile app.wasm -o app.cwasm\n  wasibuild exec --allow-precompiled app.cwasm\n"
               "A .cwasm is native code for this host and this wasibuild; it runs only with --allow-precompiled.\n"
               "--timeout and --fuel need support compiled in: --with-timeout, --with-fuel (each slows the code "
               "a little).");
  }

  int run(Env& env) override {
    const auto input = env.working_directory / input_;
    auto output = output_.empty() ? std::filesystem::path(input).replace_extension(".cwasm")
                                  : env.working_directory / output_;
    if (auto error = runner::precompile(input, output, options_)) throw Failure{error->message(), {}, kExitFailure};
    *env.out << "compiled " << output.string() << "\n";
    return 0;
  }

 private:
  std::string input_;
  std::string output_;
  runner::PrecompileOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_compile_command() { return std::make_unique<CompileCommand>(); }

}  // namespace wasibuild::driver
