// The command line, run in-process with a prepared Env.
#include <doctest/doctest.h>

#include <sstream>

#include "paths.hpp"
#include "process.hpp"
#include "wasibuild/driver.hpp"
#include "wasibuild/runner.hpp"

using namespace wasibuild::driver;
using wasibuild::testing::TempDir;

namespace {

struct Captured {
  int status;
  std::string out;
  std::string err;
};

Captured run(std::vector<std::string> arguments, std::map<std::string, std::string, std::less<>> variables = {}) {
  std::ostringstream out, err;
  Env env;
  env.variables = std::move(variables);
  env.working_directory = "/work";
  env.out = &out;
  env.err = &err;
  const int status = run_command_line(arguments, env);
  return {status, out.str(), err.str()};
}

}  // namespace

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
