// The command line, run in-process with a prepared Env.
#include <doctest/doctest.h>

#include <sstream>

#include "paths.hpp"
#include "process.hpp"
#include "in_process.hpp"
#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"

using namespace wasibuild::driver;
using wasibuild::testing::run;
using wasibuild::testing::TempDir;

TEST_CASE("--version names wasibuild and the linked Wasmtime") {
  const auto result = run({"--version"});
  CHECK(result.status == 0);
  CHECK(result.out == "wasibuild 0.1.0 (Wasmtime " + wasibuild::runner::engine_version() + ")\n");
}

TEST_CASE("no command and unknown commands are usage errors (exit 2)") {
  const auto none = run({});
  CHECK(none.status == 2);
  CHECK(none.err == "wasibuild: error: A subcommand is required\nhelp: run 'wasibuild --help' to see the usage\n");
  const auto unknown = run({"frobnicate"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "wasibuild: error: unknown command 'frobnicate'\nhelp: run 'wasibuild --help' to see the commands\n");
  const auto typo = run({"exce", "x.wasm"});
  CHECK(typo.status == 2);
  CHECK(typo.err == "wasibuild: error: unknown command 'exce'\nhelp: did you mean 'exec'?\n"
                    "help: run 'wasibuild --help' to see the commands\n");
}

TEST_CASE("directories follow XDG, and WASIBUILD_HOME overrides all three") {
  Env env;
  env.working_directory = "/work";
  env.variables = {{"HOME", "/home/u"}};
  CHECK(directories(env).data == "/home/u/.local/share/wasibuild");
  CHECK(directories(env).cache == "/home/u/.cache/wasibuild");
  CHECK(directories(env).config == "/home/u/.config/wasibuild");
  env.variables["XDG_CACHE_HOME"] = "/var/cache/u";
  env.variables["XDG_DATA_HOME"] = "relative/is/ignored";
  CHECK(directories(env).cache == "/var/cache/u/wasibuild");
  CHECK(directories(env).data == "/home/u/.local/share/wasibuild");
  env.variables["WASIBUILD_HOME"] = "/opt/wb";
  CHECK(directories(env).data == "/opt/wb/data");
  CHECK(directories(env).cache == "/opt/wb/cache");
  CHECK(directories(env).config == "/opt/wb/config");
  CHECK(module_cache(env).directory == "/opt/wb/cache/modules");
  env.variables["WASIBUILD_CACHE_DIR"] = "/tmp/modules";
  CHECK(module_cache(env).directory == "/tmp/modules");
  CHECK(module_cache(env).max_bytes == std::uint64_t{1} << 30);
  env.variables["WASIBUILD_CACHE_MAX_SIZE"] = "256MiB";
  CHECK(module_cache(env).max_bytes == std::uint64_t{256} << 20);
}

TEST_CASE("cache dir prints the compiled-code cache directory") {
  TempDir home;
  const auto result = run({"cache", "dir"}, {{"WASIBUILD_HOME", home.path().string()}});
  CHECK(result.status == 0);
  CHECK(result.out == (home.path() / "cache/modules").string() + "\n");
}

TEST_CASE("compile reports a module it cannot read") {
  TempDir temp;
  const auto result = run({"compile", (temp / "missing.wasm").string()});
  CHECK(result.status == 1);
  CHECK(result.err ==
        "wasibuild: error: " + (temp / "missing.wasm").string() + ": cannot read it: No such file or directory\n");
}

TEST_CASE("-V is --version") {
  const auto short_form = run({"-V"});
  CHECK(short_form.status == 0);
  CHECK(short_form.out == run({"--version"}).out);
}

TEST_CASE("help [COMMAND...] prints the help of wasibuild or of a command, as --help does") {
  const auto top = run({"help"});
  CHECK(top.status == 0);
  CHECK(top.out == run({"--help"}).out);
  CHECK(top.out.find("completions") != std::string::npos);
  const auto build = run({"help", "build"});
  CHECK(build.status == 0);
  CHECK(build.out == run({"build", "--help"}).out);
  CHECK(build.out.find("--release") != std::string::npos);
  CHECK(run({"help", "toolchain", "install"}).out == run({"toolchain", "install", "--help"}).out);
  const auto unknown = run({"help", "biuld"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "wasibuild: error: unknown command 'biuld'\nhelp: did you mean 'build'?\n"
                       "help: run 'wasibuild --help' to see the commands\n");
}

TEST_CASE("a mistyped flag gets the closest flag of its command") {
  const auto typo = run({"build", "--relase"});
  CHECK(typo.status == 2);
  CHECK(typo.err == "wasibuild: error: The following argument was not expected: --relase\n"
                    "help: did you mean '--release'?\nhelp: run 'wasibuild build --help' to see the usage\n");
  const auto with_value = run({"toolchain", "install", "--sha265=abc"});
  CHECK(with_value.err.find("help: did you mean '--sha256'?\n") != std::string::npos);
  const auto far = run({"build", "--frobnicate-everything"});
  CHECK(far.status == 2);
  CHECK(far.err.find("did you mean") == std::string::npos);
}

namespace {

// Sources the bash script and asks it, as bash does at a <TAB>.
std::string bash_complete(const std::string& script, const std::string& words) {
  TempDir dir;
  wasibuild::testing::write_file(dir / "completions.bash", script);
  const std::string program = "source '" + (dir / "completions.bash").string() +
                              "'; COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _wasibuild; "
                              "echo \"${COMPREPLY[*]}\"";
  const auto result = wasibuild::testing::run_process({"/bin/bash", "-c", program}, {{{"PATH", "/usr/bin:/bin"}}, {}, {}});
  REQUIRE(result.exit_status == 0);
  return result.out;
}

}  // namespace

TEST_CASE("completions bash completes commands, subcommands and each command's own flags") {
  const auto script = run({"completions", "bash"});
  REQUIRE(script.status == 0);
  CHECK(bash_complete(script.out, "wasibuild bu") == "build\n");
  CHECK(bash_complete(script.out, "wasibuild build --rel") == "--release\n");
  CHECK(bash_complete(script.out, "wasibuild toolchain ins") == "install\n");
  CHECK(bash_complete(script.out, "wasibuild toolchain install --sha") == "--sha256\n");
  CHECK(bash_complete(script.out, "wasibuild exec --dir-r") == "--dir-ro\n");
  CHECK(bash_complete(script.out, "wasibuild help tes") == "test\n");
  // A flag's value does not hide the command it belongs to.
  CHECK(bash_complete(script.out, "wasibuild run --profile dev --rel") == "--release\n");
}

TEST_CASE("completions zsh and fish, and an unknown shell") {
  const auto zsh = run({"completions", "zsh"});
  CHECK(zsh.status == 0);
  CHECK(zsh.out.find("bashcompinit") != std::string::npos);
  CHECK(zsh.out.find("complete -o default -F _wasibuild wasibuild") != std::string::npos);
  const auto fish = run({"completions", "fish"});
  CHECK(fish.status == 0);
  CHECK(fish.out.find("complete -c wasibuild -n '__fish_use_subcommand' -a build -d 'Build the project") !=
        std::string::npos);
  CHECK(fish.out.find("complete -c wasibuild -n '__fish_seen_subcommand_from build' -l release") != std::string::npos);
  CHECK(fish.out.find("complete -c wasibuild -n '__fish_seen_subcommand_from toolchain' -a install") !=
        std::string::npos);
  const auto tcsh = run({"completions", "tcsh"});
  CHECK(tcsh.status == 2);
  CHECK(tcsh.err.find("tcsh not in {bash,zsh,fish}") != std::string::npos);
}
