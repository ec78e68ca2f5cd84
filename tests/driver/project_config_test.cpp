// wasibuild.toml: what it may say, and one clear line for what it may not.
#include <doctest/doctest.h>

#include "command.hpp"
#include "project.hpp"

using namespace wasibuild::driver;

namespace {

std::string failure_of(const std::string& text) {
  try {
    (void)parse_project(text, "/p/wasibuild.toml");
  } catch (const Failure& failure) {
    std::string all = failure.message;
    for (const auto& help : failure.help) all += "\nhelp: " + help;
    return all;
  }
  return "no failure";
}

}  // namespace

TEST_CASE("a full wasibuild.toml") {
  const Project project = parse_project(R"(
[package]
name = "demo"
version = "1.2.3"

[toolchain]
version = 33
target = "wasm32-wasip1"

[build]
generator = "Ninja"
launcher = "ccache"
cmake-args = ["-Wno-dev"]
definitions = { BUILD_SHARED_LIBS = "OFF", WITH_X = "ON" }

[profile.release]
definitions = { WITH_X = "OFF" }

[profile.bench]
inherits = "release"
build-type = "RelWithDebInfo"
cmake-args = ["-DBENCH=1"]

[run]
dirs-ro = ["data::/data"]
env = ["LANG=C"]
max-memory = "64MiB"
timeout = "5s"
fuel = 1000

[test]
jobs = 2
)",
                                        "/p/wasibuild.toml");
  CHECK(project.name == "demo");
  CHECK(project.version == "1.2.3");
  CHECK(project.root == "/p");
  CHECK(project.toolchain == "33");
  CHECK(project.target == "wasm32-wasip1");
  CHECK(project.launcher == "ccache");
  CHECK(project.cmake_args == std::vector<std::string>{"-Wno-dev"});
  CHECK(project.definitions.at("WITH_X") == "ON");
  CHECK(project.profiles.at("debug").build_type == "Debug");
  CHECK(project.profiles.at("release").build_type == "Release");
  CHECK(project.profiles.at("release").definitions.at("WITH_X") == "OFF");
  const Profile& bench = project.profiles.at("bench");
  CHECK(bench.build_type == "RelWithDebInfo");
  CHECK(bench.definitions.at("WITH_X") == "OFF");  // inherited from release
  CHECK(bench.cmake_args == std::vector<std::string>{"-DBENCH=1"});
  CHECK(bench.strip);  // inherited from release
  CHECK_FALSE(project.profiles.at("debug").strip);
  CHECK(project.run.read_only_dirs == std::vector<std::string>{"data::/data"});
  CHECK(project.run.max_memory == "64MiB");
  CHECK(project.run.fuel == "1000");
  CHECK(project.test_jobs == 2);
}

TEST_CASE("an empty file is a project named after its directory") {
  const Project project = parse_project("", "/work/my-app/wasibuild.toml");
  CHECK(project.name == "my-app");
  CHECK(project.profiles.size() == 2);
}

TEST_CASE("unknown keys name file, line, column and the closest valid key") {
  CHECK(failure_of("[package]\nnmae = \"x\"\n") ==
        "/p/wasibuild.toml:2:1: unknown key 'package.nmae'\nhelp: did you mean 'name'?");
  CHECK(failure_of("[biuld]\n") == "/p/wasibuild.toml:1:2: unknown key 'biuld'\nhelp: did you mean 'build'?");
  CHECK(failure_of("[run]\ndirs_ro = []\n") ==
        "/p/wasibuild.toml:2:1: unknown key 'run.dirs_ro'\nhelp: did you mean 'dirs-ro'?");
  CHECK(failure_of("[profile.fast]\nbuildtype = \"Release\"\n") ==
        "/p/wasibuild.toml:2:1: unknown key 'profile.fast.buildtype'\nhelp: did you mean 'build-type'?");
}

TEST_CASE("wrong types and bad syntax are reported where they are") {
  CHECK(failure_of("[run]\ndirs = \"data\"\n") == "/p/wasibuild.toml:2:8: 'run.dirs' must be an array of strings");
  CHECK(failure_of("[test]\njobs = \"2\"\n") == "/p/wasibuild.toml:2:8: 'test.jobs' must be an integer");
  CHECK(failure_of("[build]\ndefinitions = { X = 1 }\n") ==
        "/p/wasibuild.toml:2:21: 'build.definitions.X' must be a string");
  CHECK(failure_of("package = 3\n") == "/p/wasibuild.toml:1:11: 'package' must be a table ([package])");
  CHECK(failure_of("[package\n").starts_with("/p/wasibuild.toml:1:"));
}

TEST_CASE("profile inheritance: unknown parents and cycles") {
  CHECK(failure_of("[profile.a]\ninherits = \"relase\"\n") ==
        "/p/wasibuild.toml:2:12: profile 'a' inherits from unknown profile 'relase'\nhelp: did you mean 'release'?");
  CHECK(failure_of("[profile.a]\ninherits = \"b\"\n[profile.b]\ninherits = \"a\"\n")
            .ends_with("profile 'a' inherits in a cycle"));
}

TEST_CASE("wasm-opt: release runs it when found, a level or true asks for it, false turns it off") {
  const Project project = parse_project(R"(
[profile.release]
wasm-opt = "O3"
[profile.small]
inherits = "release"
wasm-opt = true
[profile.plain]
inherits = "release"
wasm-opt = false
[profile.fast]
inherits = "debug"
wasm-opt = "Oz"
)",
                                        "/p/wasibuild.toml");
  CHECK(project.profiles.at("debug").wasm_opt.empty());
  CHECK(project.profiles.at("release").wasm_opt == "O3");
  CHECK(project.profiles.at("release").wasm_opt_requested);
  CHECK(project.profiles.at("small").wasm_opt == "Os");
  CHECK(project.profiles.at("small").wasm_opt_requested);
  CHECK(project.profiles.at("plain").wasm_opt.empty());
  CHECK(project.profiles.at("fast").wasm_opt == "Oz");

  // Unset: release and what inherits it use wasm-opt -Os when one is found.
  const Project defaults = parse_project("[profile.bench]\ninherits = \"release\"\n", "/p/wasibuild.toml");
  CHECK(defaults.profiles.at("release").wasm_opt == "Os");
  CHECK_FALSE(defaults.profiles.at("release").wasm_opt_requested);
  CHECK(defaults.profiles.at("bench").wasm_opt == "Os");
  CHECK_FALSE(defaults.profiles.at("bench").wasm_opt_requested);
  CHECK(defaults.profiles.at("debug").wasm_opt.empty());
}

TEST_CASE("a wasm-opt value that is no level is reported where it is") {
  const std::string levels = R"(must be true, false or a wasm-opt level: "O1", "O2", "O3", "O4", "Os", "Oz")";
  CHECK(failure_of("[profile.release]\nwasm-opt = \"O5\"\n") ==
        "/p/wasibuild.toml:2:12: 'profile.release.wasm-opt' " + levels);
  CHECK(failure_of("[profile.release]\nwasm-opt = \"-O3\"\n") ==
        "/p/wasibuild.toml:2:12: 'profile.release.wasm-opt' " + levels + "\nhelp: did you mean 'O3'?");
  CHECK(failure_of("[profile.release]\nwasm-opt = \"oz\"\n").ends_with("\nhelp: did you mean 'Oz'?"));
  CHECK(failure_of("[profile.x]\n  wasm-opt = 3\n") == "/p/wasibuild.toml:2:14: 'profile.x.wasm-opt' " + levels);
  CHECK(failure_of("[profile.release]\nwasmopt = \"Os\"\n") ==
        "/p/wasibuild.toml:2:1: unknown key 'profile.release.wasmopt'\nhelp: did you mean 'wasm-opt'?");
}

TEST_CASE("choosing an unknown profile suggests the closest") {
  const Project project = parse_project("[profile.bench]\n", "/p/wasibuild.toml");
  CHECK(choose_profile(project, "bench").build_type == "Debug");
  try {
    (void)choose_profile(project, "bnech");
    FAIL("no failure");
  } catch (const Failure& failure) {
    CHECK(failure.message == "unknown profile 'bnech'");
    CHECK(failure.help.front() == "did you mean 'bench'?");
  }
}
