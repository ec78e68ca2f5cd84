// wasibuild.toml: what it may say, and one clear line for what it may not.
#include <doctest/doctest.h>

#include <sstream>

#include "process.hpp"
#include "wasibuild/failure.hpp"
#include "wasibuild/project.hpp"

using namespace wasibuild::project;
using wasibuild::base::Failure;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;
namespace fs = std::filesystem;

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

std::string load_failure(const fs::path& where) {
  try {
    (void)load_project(where, [](const std::string&) {});
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

TEST_CASE("[toolchain] takes a name or a version, not both") {
  CHECK(parse_project("[toolchain]\nversion = 33\n", "/p/wasibuild.toml").toolchain == "33");
  CHECK(parse_project("[toolchain]\nname = \"mine\"\n", "/p/wasibuild.toml").toolchain == "mine");
  CHECK(failure_of("[toolchain]\nname = \"mine\"\nversion = 33\n") ==
        "/p/wasibuild.toml:3:11: give [toolchain] name or version, not both\n"
        "help: version = 33 is short for name = \"wasi-sdk-33\"");
}

TEST_CASE("[toolchain] threads = true asks for the threads target, and conflicts with another") {
  CHECK(parse_project("[toolchain]\nthreads = true\n", "/p/wasibuild.toml").target == "wasm32-wasip1-threads");
  CHECK(parse_project("[toolchain]\nthreads = false\n", "/p/wasibuild.toml").target == std::nullopt);
  CHECK(parse_project("[toolchain]\ntarget = \"wasm32-wasi-threads\"\nthreads = true\n", "/p/wasibuild.toml").target ==
        "wasm32-wasi-threads");
  CHECK(failure_of("[toolchain]\ntarget = \"wasm32-wasip2\"\nthreads = true\n") ==
        "/p/wasibuild.toml:3:11: threads = true asks for wasm32-wasip1-threads, but target is \"wasm32-wasip2\"\n"
        "help: drop one of them");
  CHECK(failure_of("[toolchain]\nthreads = \"yes\"\n").starts_with("/p/wasibuild.toml:2:11: "));
  // The cap on threads is a run and test setting.
  CHECK(parse_project("[run]\nmax-threads = 8\n", "/p/wasibuild.toml").run.max_threads == "8");
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

TEST_CASE("[run] and [test] values are checked when the file is loaded, where they are") {
  const std::string durations = R"(must be a positive duration, such as "250ms", "30s" or "2m")"
                                "\nhelp: units: ms, s, m, h; a bare number is seconds";
  CHECK(failure_of("[test]\ntimeout = \"abc\"\n") == "/p/wasibuild.toml:2:11: 'test.timeout' " + durations);
  CHECK(failure_of("[run]\ntimeout = \"0s\"\n") == "/p/wasibuild.toml:2:11: 'run.timeout' " + durations);
  CHECK(failure_of("[test]\ntimeout = 5\n") ==
        R"(/p/wasibuild.toml:2:11: 'test.timeout' must be a duration string, such as "250ms", "30s" or "2m")");
  const std::string sizes = R"(must be a positive size, such as "64MiB" or "1GiB")"
                            "\nhelp: units: B, KiB, MiB, GiB, TiB (K, M, G, T) and KB, MB, GB, TB";
  CHECK(failure_of("[run]\nmax-memory = \"64 lots\"\n") == "/p/wasibuild.toml:2:14: 'run.max-memory' " + sizes);
  CHECK(failure_of("[test]\nmax-memory = \"0\"\n") == "/p/wasibuild.toml:2:14: 'test.max-memory' " + sizes);
  CHECK(failure_of("[test]\nmax-memory = 64\n") ==
        R"(/p/wasibuild.toml:2:14: 'test.max-memory' must be a size string, such as "64MiB" or "1GiB")");
  CHECK(failure_of("[run]\nfuel = -1\n") == "/p/wasibuild.toml:2:8: 'run.fuel' must be 0 or more");
  CHECK(failure_of("[test]\nfuel = 1.5\n") == "/p/wasibuild.toml:2:8: 'test.fuel' must be an integer");
  CHECK(failure_of("[test]\njobs = 0\n") == "/p/wasibuild.toml:2:8: 'test.jobs' must be from 1 to 1024");
  CHECK(failure_of("[test]\njobs = 4294967297\n") == "/p/wasibuild.toml:2:8: 'test.jobs' must be from 1 to 1024");
  CHECK(failure_of("[test]\ndirs-ro = [\"data\", \"::/g\"]\n") ==
        "/p/wasibuild.toml:2:20: 'test.dirs-ro' entry \"::/g\" must be HOST or HOST::GUEST, with neither part empty"
        "\nhelp: for example: dirs-ro = [\"data::/data\"]");
  CHECK(failure_of("[run]\ndirs = [\"data::\"]\n") ==
        "/p/wasibuild.toml:2:9: 'run.dirs' entry \"data::\" must be HOST or HOST::GUEST, with neither part empty"
        "\nhelp: for example: dirs = [\"data::/data\"]");
  CHECK(failure_of("[run]\ndirs = [\"\"]\n").starts_with("/p/wasibuild.toml:2:9: 'run.dirs' entry \"\" must be"));
  const std::string env_help =
      "\nhelp: for example: env = [\"LANG=C\", \"HOME\"] (NAME=VALUE, or NAME to copy the host's)";
  CHECK(failure_of("[run]\nenv = [\"=x\"]\n") == "/p/wasibuild.toml:2:8: 'run.env' entry \"=x\" has no variable name" +
                                                      env_help);
  CHECK(failure_of("[test]\nenv = [\"LANG=C\", \"\"]\n") ==
        "/p/wasibuild.toml:2:18: 'test.env' entry \"\" has no variable name" + env_help);
  // [test] reaches the tests as a CMake list; [run] does not.
  CHECK(failure_of("[test]\nenv = [\"PATHS=a;b\"]\n") ==
        "/p/wasibuild.toml:2:8: 'test.env' entry \"PATHS=a;b\" contains ';', which CMake would split");
  CHECK(parse_project("[run]\nenv = [\"PATHS=a;b\"]\n", "/p/wasibuild.toml").run.env ==
        std::vector<std::string>{"PATHS=a;b"});
  CHECK(failure_of("[run]\nallow-tcp-connect = [\"example.com:80\"]\n") ==
        "/p/wasibuild.toml:2:22: 'run.allow-tcp-connect' entry \"example.com:80\": `example.com` is not a numeric "
        "address: grants name addresses (IPv4, [IPv6], a CIDR block, localhost or *), because a name cannot be "
        "matched once the guest has resolved it\nhelp: for example: allow-tcp-connect = [\"127.0.0.1:8080\"]");
  CHECK(failure_of("[test]\nallow-udp = [\"127.0.0.1:99999\"]\n").find("is not a port") != std::string::npos);
  CHECK(failure_of("[test]\nallow-dns = \"yes\"\n") == "/p/wasibuild.toml:2:13: 'test.allow-dns' must be true or false");
  CHECK(failure_of("[test]\ntimout = \"1s\"\n") ==
        "/p/wasibuild.toml:2:1: unknown key 'test.timout'\nhelp: did you mean 'timeout'?");
}

TEST_CASE("[test] becomes exec flags for every test, host paths relative to the project root") {
  const Project project = parse_project(R"(
[test]
dirs = ["out", "/abs::/x", "../up::u"]
dirs-ro = ["fixtures::/fixtures"]
env = ["LANG=C", "HOME"]
inherit-env = true
max-memory = "64MiB"
timeout = "1s"
fuel = 5
jobs = 3
allow-tcp-connect = ["127.0.0.1:8080", "[::1]:*"]
allow-tcp-listen = ["127.0.0.1:9000-9009"]
allow-udp = ["127.0.0.1:53"]
allow-dns = true
trace-denials = true
)",
                                        "/p/wasibuild.toml");
  CHECK(test_grants(project) ==
        std::vector<std::string>{"--dir=/p/out::out", "--dir=/abs::/x", "--dir=/up::u",
                                 "--dir-ro=/p/fixtures::/fixtures", "--env=LANG=C", "--env=HOME", "--inherit-env",
                                 "--allow-tcp-connect=127.0.0.1:8080", "--allow-tcp-connect=[::1]:*",
                                 "--allow-tcp-listen=127.0.0.1:9000-9009", "--allow-udp=127.0.0.1:53", "--allow-dns",
                                 "--trace-denials", "--max-memory=64MiB", "--timeout=1s", "--fuel=5"});
  CHECK(project.test_jobs == 3);
  CHECK(test_grants(parse_project("[test]\n", "/p/wasibuild.toml")).empty());
}

TEST_CASE("an error quotes at most 100 bytes of what the file says") {
  const std::string huge(10'000'000, 'k');
  const std::string unknown = failure_of("[package]\n" + huge + " = 1\n");
  CHECK(unknown == "/p/wasibuild.toml:2:1: unknown key 'package." + std::string(92, 'k') + "...'");
  const std::string long_text(100'000, 'k');
  CHECK(failure_of("[run]\nenv = [\"=" + long_text + "\"]\n")
            .starts_with("/p/wasibuild.toml:2:8: 'run.env' entry \"=" + std::string(99, 'k') +
                         "...\" has no variable name\n"));
  CHECK(failure_of("[profile." + long_text + "]\nstrip = 1\n") ==
        "/p/wasibuild.toml:2:9: 'profile." + std::string(92, 'k') + "...' must be true or false");
  // Never inside a UTF-8 sequence.
  CHECK(capped(std::string(99, 'a') + "\u00e9tude") == std::string(99, 'a') + "...");
  CHECK(capped("short") == "short");
}

TEST_CASE("attack: a wasibuild.toml inside a build tree is passed over for the project above" * doctest::test_suite("attack")) {
  TempDir dir;
  const fs::path project = dir / "app";
  const fs::path build = project / "build/wasm32-wasi/debug";
  fs::create_directories(build / "tests");
  write_file(project / "wasibuild.toml", "[package]\nname = \"app\"\n");
  write_file(build / "CMakeCache.txt", "");
  write_file(build / "wasibuild.toml", "[package]\nname = \"planted\"\n");
  write_file(build / "tests/wasibuild.toml", "[package]\nname = \"planted too\"\n");

  const ProjectSearch search = find_project_file(build / "tests");
  REQUIRE(search.manifest);
  CHECK(*search.manifest == project / "wasibuild.toml");
  REQUIRE(search.skipped.size() == 2);
  CHECK(search.skipped[0].manifest == build / "tests/wasibuild.toml");
  CHECK(search.skipped[0].build_tree == build);
  CHECK(search.skipped[1].manifest == build / "wasibuild.toml");

  std::vector<std::string> warnings;
  const Project loaded = load_project(build / "tests", [&](const std::string& line) { warnings.push_back(line); });
  CHECK(loaded.name == "app");
  CHECK(loaded.root == project);
  CHECK(warnings == std::vector<std::string>{
                        "ignoring " + (build / "tests/wasibuild.toml").string() +
                            ": it is inside the CMake build tree " + build.string() + ", where tests run; using " +
                            (project / "wasibuild.toml").string(),
                        "ignoring " + (build / "wasibuild.toml").string() + ": it is inside the CMake build tree " +
                            build.string() + ", where tests run; using " + (project / "wasibuild.toml").string()});

  // With no project above, a clear refusal.
  fs::remove(project / "wasibuild.toml");
  CHECK(load_failure(build) == (build / "wasibuild.toml").string() + " is not a project: it is inside the CMake build "
                                                                      "tree " + build.string() + ", where tests run"
                               "\nhelp: a test may have written it; wasibuild never takes a project from inside a "
                               "build tree\nhelp: run wasibuild in the project's own directory, above its build/ "
                               "directory (wasibuild builds in build/<target>/<profile>, never in-source)");
}

TEST_CASE("an in-source CMake build is no wasibuild project; a directory named wasibuild.toml is no file") {
  TempDir dir;
  write_file(dir / "wasibuild.toml", "");
  write_file(dir / "CMakeCache.txt", "");
  CHECK(load_failure(dir.path()).starts_with((dir / "wasibuild.toml").string() +
                                             " is not a project: it is inside the CMake build tree " +
                                             dir.path().string() + ", where tests run\n"));

  fs::create_directories(dir / "sub/wasibuild.toml");
  fs::remove(dir / "CMakeCache.txt");
  const ProjectSearch search = find_project_file(dir / "sub");
  CHECK(search.manifest == dir / "wasibuild.toml");
  CHECK(search.skipped.empty());
}
