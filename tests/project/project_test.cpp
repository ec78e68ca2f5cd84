// The daily loop, end to end: `new`, `build`, `run`, `test`, the drop-in
// toolchain file, with the real binary, real CMake and the system clang.
#include <unistd.h>

#include <filesystem>

#include "../exec/exec_helpers.hpp"
#include "http_server.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// A wasibuild with its own home, working in a temp directory.
struct Workspace {
  Wasibuild wasibuild;
  TempDir dir;
  Workspace() {
    wasibuild.options.working_directory = dir.path();
    wasibuild.options.environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  }
  ProcessResult in(const fs::path& where, std::vector<std::string> arguments) {
    wasibuild.options.working_directory = where;
    return wasibuild(std::move(arguments));
  }
  ProcessResult run(const fs::path& where, std::vector<std::string> argv) {
    ProcessOptions options = wasibuild.options;
    options.working_directory = where;
    return run_process(argv, options);
  }
};

std::string share_dir() { return fs::path(WASIBUILD_BINARY).parent_path().parent_path() / "share/wasibuild"; }

}  // namespace

TEST_CASE("new, build, run and test an application") {
  Workspace ws;
  const auto created = ws.in(ws.dir.path(), {"new", "hello"});
  REQUIRE(created.exit_status == 0);
  CHECK(created.out == "created application 'hello' in " + (ws.dir / "hello").string() +
                           "\nnext: cd hello && wasibuild run\n");
  const fs::path project = ws.dir / "hello";
  CHECK(fs::exists(project / "wasibuild.toml"));
  CHECK(fs::exists(project / ".gitignore"));

  const auto built = ws.in(project, {"build"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(built.out.find("  build/wasm32-wasi/debug/hello.wasm (") != std::string::npos);
  CHECK(fs::exists(project / "build/wasm32-wasi/debug/compile_commands.json"));
  CHECK(read_file(project / ".clangd").find("CompilationDatabase: build/wasm32-wasi/debug") != std::string::npos);

  // A second build neither configures nor compiles again.
  const auto again = ws.in(project, {"build"});
  CHECK(again.exit_status == 0);
  CHECK(again.out.find("Configuring") == std::string::npos);
  CHECK(again.out.find("Building") == std::string::npos);
  CHECK(again.err.find("    Finished debug in ") != std::string::npos);

  const auto ran = ws.in(project, {"run", "--", "WASI", "--help"});
  CHECK(ran.exit_status == 0);
  CHECK(ran.out.ends_with("Hello, WASI!\n"));

  const auto tested = ws.in(project, {"test"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);

  const auto release = ws.in(project, {"build", "--release"});
  CHECK(release.exit_status == 0);
  CHECK(release.out.find("build/wasm32-wasi/release/hello.wasm (") != std::string::npos);
  CHECK(release.out.find(", debug sections stripped, wasm-opt -Os)") != std::string::npos);
  // Release drops DWARF but keeps the name section; debug keeps DWARF.
  const std::string stripped = read_file(project / "build/wasm32-wasi/release/hello.wasm");
  CHECK(stripped.find(".debug_info") == std::string::npos);
  CHECK(stripped.find(std::string("\x04name", 5)) != std::string::npos);
  CHECK(read_file(project / "build/wasm32-wasi/debug/hello.wasm").find(".debug_info") != std::string::npos);
  CHECK(ws.in(project, {"run", "--release", "--", "again"}).out.ends_with("Hello, again!\n"));

  const auto cleaned = ws.in(project, {"clean"});
  CHECK(cleaned.exit_status == 0);
  CHECK_FALSE(fs::exists(project / "build"));
}

// CMake refuses a cache made for another source directory ("does not match
// the source ... used to generate cache"): a moved or copied project, build
// tree and all, configures afresh and builds.
TEST_CASE("a project copied or moved with its build tree builds and runs in its new place") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "hello"}).exit_status == 0);
  const fs::path original = ws.dir / "hello";
  REQUIRE(ws.in(original, {"build"}).exit_status == 0);
  const fs::path copy = ws.dir / "copy";
  fs::copy(original, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const auto built = ws.in(copy, {"build"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(ws.in(copy, {"run", "--", "copy"}).out.ends_with("Hello, copy!\n"));
  // The original's tree is untouched: its build has nothing to do.
  CHECK(ws.in(original, {"build", "-v"}).out.find("no work to do") != std::string::npos);
  const fs::path moved = ws.dir / "moved";
  fs::rename(original, moved);
  const auto rebuilt = ws.in(moved, {"build"});
  INFO(rebuilt.out << rebuilt.err);
  REQUIRE(rebuilt.exit_status == 0);
  CHECK(ws.in(moved, {"run", "--", "moved"}).out.ends_with("Hello, moved!\n"));
}

TEST_CASE("a new library passes its tests as wasm, and builds and passes natively too") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "mylib", "--lib"}).exit_status == 0);
  const fs::path project = ws.dir / "mylib";
  CHECK(fs::exists(project / "include/mylib/mylib.hpp"));
  const auto tested = ws.in(project, {"test"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed") != std::string::npos);

  // Plain modern CMake: no lock-in.
  const fs::path native = ws.dir / "native";
  REQUIRE(ws.run(project, {"/usr/bin/cmake", "-S", project.string(), "-B", native.string(), "-G", "Ninja"})
              .exit_status == 0);
  REQUIRE(ws.run(project, {"/usr/bin/cmake", "--build", native.string()}).exit_status == 0);
  const auto native_tests = ws.run(project, {"/usr/bin/ctest", "--test-dir", native.string()});
  CHECK(native_tests.exit_status == 0);
  CHECK(native_tests.out.find("100% tests passed") != std::string::npos);

  // A library has no program: `run` says so instead of running its tests.
  const auto ran = ws.in(project, {"run"});
  CHECK(ran.exit_status == 1);
  CHECK(ran.err.ends_with("wasibuild: error: " + (project / "wasibuild.toml").string() +
                       ": the project has no program to run, only test programs\n"
                       "help: run its tests with: wasibuild test\nhelp: or run one by name: wasibuild run --bin NAME\n"));
  // By name it still runs, as cargo's `run --bin`.
  CHECK(ws.in(project, {"run", "--bin", "mylib_test"}).exit_status == 0);
}

TEST_CASE("init adds only what an existing CMake project lacks, says what, and builds it") {
  Workspace ws;
  const fs::path project = ws.dir / "existing";
  fs::create_directories(project / "build");
  write_file(project / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.20)\nproject(existing CXX)\nadd_executable(existing main.cpp)\n");
  write_file(project / "main.cpp", "#include <cstdio>\nint main() { std::puts(\"existing runs\"); }\n");
  write_file(project / ".gitignore", "/out/\n");
  write_file(project / "build/CMakeCache.txt", "# the user's own build\n");

  const auto added = ws.in(project, {"init"});
  CHECK(added.exit_status == 0);
  CHECK(added.out == "added wasibuild.toml to the CMake project 'existing' in " + project.string() +
                         "\nnote: build/ already holds a CMake build of its own; wasibuild's go beside it in "
                         "build/<target>/<profile>, and `wasibuild clean` removes only those\nnext: wasibuild build\n");
  CHECK(read_file(project / ".gitignore") == "/out/\n");
  CHECK_FALSE(fs::exists(project / "src"));  // no empty template folders
  CHECK_FALSE(fs::exists(project / "tests"));
  CHECK(ws.in(project, {"run"}).out.ends_with("existing runs\n"));
  CHECK(read_file(project / "build/CMakeCache.txt") == "# the user's own build\n");

  const auto again = ws.in(project, {"init"});
  CHECK(again.exit_status == 1);
  CHECK(again.err == "wasibuild: error: " + (project / "wasibuild.toml").string() + ": already exists\n");

  // In an empty directory, init creates a whole project, as new does.
  const fs::path fresh = ws.dir / "fresh";
  fs::create_directories(fresh);
  CHECK(ws.in(fresh, {"init"}).out == "created application 'fresh' in " + fresh.string() + "\n");
  CHECK(fs::exists(fresh / "src/main.cpp"));
}

TEST_CASE("clean removes only what wasibuild built, one profile with --release") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "tidy"}).exit_status == 0);
  const fs::path project = ws.dir / "tidy";
  REQUIRE(ws.in(project, {"build"}).exit_status == 0);
  REQUIRE(ws.in(project, {"build", "--release"}).exit_status == 0);
  fs::create_directories(project / "build/native");
  write_file(project / "build/native/CMakeCache.txt", "# the user's own native build\n");

  const auto release = ws.in(project, {"clean", "--release"});
  CHECK(release.exit_status == 0);
  CHECK(release.out.starts_with("removed build/wasm32-wasi/release ("));
  CHECK_FALSE(fs::exists(project / "build/wasm32-wasi/release"));
  CHECK(fs::exists(project / "build/wasm32-wasi/debug/tidy.wasm"));

  const auto all = ws.in(project, {"clean"});
  CHECK(all.out.starts_with("removed build/wasm32-wasi/debug ("));
  CHECK_FALSE(fs::exists(project / "build/wasm32-wasi"));
  CHECK_FALSE(fs::exists(project / "build/.wasibuild"));
  CHECK(read_file(project / "build/native/CMakeCache.txt") == "# the user's own native build\n");
  CHECK(ws.in(project, {"clean"}).out.starts_with("nothing to clean: no build of wasibuild's matches in "));
}

TEST_CASE("attack: a link a test left in the build tree does not lead clean outside it" * doctest::test_suite("attack")) {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "victim"}).exit_status == 0);
  const fs::path project = ws.dir / "victim";
  REQUIRE(ws.in(project, {"build"}).exit_status == 0);
  TempDir precious;
  write_file(precious / "keep.txt", "mine\n");
  fs::create_directory_symlink(precious.path(), project / "build/wasm32-wasi/debug/escape");
  CHECK(ws.in(project, {"clean"}).exit_status == 0);
  CHECK_FALSE(fs::exists(project / "build"));
  CHECK(read_file(precious / "keep.txt") == "mine\n");
}

TEST_CASE("test passes what follows -- to CTest, and a filter that matches nothing fails") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "app"}).exit_status == 0);
  const fs::path project = ws.dir / "app";
  const auto listed = ws.in(project, {"test", "--", "-N"});
  INFO(listed.out << listed.err);
  CHECK(listed.exit_status == 0);
  CHECK(listed.out.find("Total Tests: 2") != std::string::npos);
  CHECK(listed.out.find("tests passed") == std::string::npos);  // -N lists, runs nothing
  const auto none = ws.in(project, {"test", "--no-build", "no-such-test"});
  CHECK(none.exit_status != 0);
  CHECK((none.out + none.err).find("No tests were found") != std::string::npos);
  CHECK(none.err.find("wasibuild: error: some tests failed or none matched") != std::string::npos);
  // The project's own program is still `run`'s choice though a test runs it too.
  CHECK(ws.in(project, {"run", "--", "again"}).out.ends_with("Hello, again!\n"));
  // Like cargo, words that cannot be flags need no `--`, even after a grant.
  CHECK(ws.in(project, {"run", "bare"}).out.ends_with("Hello, bare!\n"));
  const auto granted = ws.in(project, {"run", "--dir-ro", ".", "words", "--", "--flag-like"});
  INFO(granted.err);
  CHECK(granted.out.ends_with("Hello, words!\n"));
}

TEST_CASE("build and test speak as cargo does: a Finished line, -q and -v, and no tool chatter") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "talk"}).exit_status == 0);
  const fs::path project = ws.dir / "talk";
  const auto built = ws.in(project, {"build"});
  INFO(built.out << built.err);
  CHECK(built.exit_status == 0);
  CHECK(built.err.find("    Finished debug in ") != std::string::npos);
  const auto quiet = ws.in(project, {"-q", "build"});
  CHECK(quiet.exit_status == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  const auto noop = ws.in(project, {"build"});
  CHECK(noop.out.find("no work to do") == std::string::npos);  // ninja's chatter
  const auto verbose = ws.in(project, {"build", "-v"});
  CHECK(verbose.err.find("     Running `") != std::string::npos);
  CHECK(verbose.out.find("no work to do") != std::string::npos);  // -v shows all
  const auto tested = ws.in(project, {"test"});
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("tests passed") != std::string::npos);
  CHECK((tested.out + tested.err).find("Internal ctest changing into directory") == std::string::npos);
  const auto quiet_test = ws.in(project, {"test", "--quiet"});
  CHECK(quiet_test.exit_status == 0);
  CHECK(quiet_test.out.empty());
  CHECK(quiet_test.err.empty());
}

namespace {

// Every line of `out` is one JSON object of wasibuild's messages.
bool only_json_lines(const std::string& out) {
  std::istringstream lines(out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    if (!line.starts_with("{\"reason\":\"") || !line.ends_with("}")) return false;
  }
  return count > 0;
}

}  // namespace

TEST_CASE("--message-format json reports diagnostics, artifacts and test results on stdout, one object a line") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "tool"}).exit_status == 0);
  const fs::path project = ws.dir / "tool";
  write_file(project / "src/greeting.cpp",
             "#include \"greeting.hpp\"\n#warning \"look here\"\n"
             "std::string greeting(const std::string& who) { return \"Bye, \" + who; }\n");
  const auto tested = ws.in(project, {"test", "--message-format", "json"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 8);  // CTest's status: a test failed
  CHECK(only_json_lines(tested.out));
  const std::string source = (project / "src/greeting.cpp").string();
  CHECK(tested.out.find(R"({"reason":"compiler-message","level":"warning","message":"\"look here\" [-W#warnings]","file":")" +
                        source + R"(","line":2,"column":2})") != std::string::npos);
  CHECK(tested.out.find(R"({"reason":"build-artifact","path":")" + (project / "build/wasm32-wasi/debug/tool.wasm").string()) !=
        std::string::npos);
  CHECK(tested.out.find(R"("profile":"debug","target":"wasm32-wasi")") != std::string::npos);
  CHECK(tested.out.find(R"({"reason":"build-finished","success":true)") != std::string::npos);
  CHECK(tested.out.find(R"({"reason":"test","name":"greeting","status":"failed")") != std::string::npos);
  CHECK(tested.out.find(R"({"reason":"test-finished","success":false,"passed":)") != std::string::npos);
  CHECK(tested.err.find("warning: \"look here\"") != std::string::npos);  // the tools' own words, on stderr

  write_file(project / "src/greeting.cpp", "int broken( {\n");
  const auto failed = ws.in(project, {"build", "--message-format=json"});
  CHECK(failed.exit_status == 1);
  CHECK(only_json_lines(failed.out));
  CHECK(failed.out.find(R"({"reason":"compiler-message","level":"error")") != std::string::npos);
  CHECK(failed.out.find(R"({"reason":"build-finished","success":false)") != std::string::npos);
  CHECK(failed.err.find("wasibuild: error: ") != std::string::npos);
  CHECK(ws.in(project, {"build", "--message-format", "xml"}).exit_status == 2);
}

TEST_CASE("a failing test fails `wasibuild test`, shows its output, and --junit writes a report") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "broken"}).exit_status == 0);
  const fs::path project = ws.dir / "broken";
  write_file(project / "src/greeting.cpp",
             "#include \"greeting.hpp\"\nstd::string greeting(const std::string& who) { return \"Bye, \" + who; }\n");
  const auto tested = ws.in(project, {"test", "--junit", "report.xml"});
  CHECK(tested.exit_status != 0);
  CHECK(tested.out.find("FAILED: greeting(\"wasm\")") != std::string::npos);
  CHECK(tested.out.find("The following tests FAILED:") != std::string::npos);
  CHECK(tested.err.find("wasibuild: error: some tests failed") != std::string::npos);
  CHECK(read_file(project / "report.xml").find("<testsuite") != std::string::npos);

  const auto filtered = ws.in(project, {"test", "--no-build", "runs"});
  CHECK(filtered.out.find("1 tests failed out of 1") != std::string::npos);
}

TEST_CASE("[run] grants in wasibuild.toml are the program's only view of the disk") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "reader"}).exit_status == 0);
  const fs::path project = ws.dir / "reader";
  write_file(project / "src/main.cpp", R"(#include <cstdio>
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    FILE* file = std::fopen(argv[i], "r");
    char line[64] = {0};
    if (file && std::fgets(line, sizeof line, file)) std::printf("%s: %s", argv[i], line);
    else std::printf("%s: denied\n", argv[i]);
    if (file) std::fclose(file);
  }
}
)");
  fs::create_directories(project / "data");
  write_file(project / "data/in.txt", "granted\n");
  write_file(project / "secret.txt", "secret\n");
  write_file(project / "wasibuild.toml", "[package]\nname = \"reader\"\n[run]\ndirs-ro = [\"data::/data\"]\n");
  const auto ran = ws.in(project, {"run", "--", "/data/in.txt", (project / "secret.txt").string(), "secret.txt"});
  INFO(ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out.ends_with("/data/in.txt: granted\n" + (project / "secret.txt").string() +
                          ": denied\nsecret.txt: denied\n"));
  // A flag adds to the project's grants.
  const auto more = ws.in(project, {"run", "--dir-ro", ".::/p", "--", "/p/secret.txt"});
  CHECK(more.out.ends_with("/p/secret.txt: secret\n"));
}

TEST_CASE("wasibuild.toml mistakes stop the build with one clear line") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "typo"}).exit_status == 0);
  const fs::path project = ws.dir / "typo";
  write_file(project / "wasibuild.toml", "[package]\nname = \"typo\"\n[biuld]\n");
  const auto result = ws.in(project, {"build"});
  CHECK(result.exit_status == 1);
  CHECK(result.err == "wasibuild: error: " + (project / "wasibuild.toml").string() +
                          ":3:2: unknown key 'biuld'\nhelp: did you mean 'build'?\n");
  const auto outside = ws.in(ws.dir.path(), {"build"});
  CHECK(outside.exit_status == 1);
  CHECK(outside.err.starts_with("wasibuild: error: no wasibuild.toml in " + ws.dir.path().string()));
}

TEST_CASE("host headers do not leak into a wasm build") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "leaky"}).exit_status == 0);
  const fs::path project = ws.dir / "leaky";
  write_file(project / "src/main.cpp", "#include <linux/limits.h>\nint main() { return PATH_MAX > 0 ? 0 : 1; }\n");
  const auto built = ws.in(project, {"build"});
  CHECK(built.exit_status == 1);
  CHECK(built.out.find("'linux/limits.h' file not found") != std::string::npos);
}

TEST_CASE("the drop-in toolchain file works with plain cmake and ctest") {
  Workspace ws;
  const auto file = ws.in(ws.dir.path(), {"toolchain-file"});
  REQUIRE(file.exit_status == 0);
  CHECK(file.out == share_dir() + "/cmake/wasi.cmake\n");
  REQUIRE(ws.in(ws.dir.path(), {"new", "plain"}).exit_status == 0);
  const fs::path project = ws.dir / "plain";
  fs::remove(project / "wasibuild.toml");  // no driver, no project file
  const fs::path build = ws.dir / "b";
  const auto configured = ws.run(project, {"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + share_dir() +
                                                                              "/cmake/wasi.cmake",
                                           "-S", project.string(), "-B", build.string()});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  REQUIRE(ws.run(project, {"/usr/bin/cmake", "--build", build.string()}).exit_status == 0);
  CHECK(fs::exists(build / "plain.wasm"));
  const auto tests = ws.run(project, {"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure"});
  INFO(tests.out);
  CHECK(tests.exit_status == 0);
  CHECK(tests.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);
}

TEST_CASE("env prints a toolchain Make and autotools can use, and writes a Meson cross file") {
  Workspace ws;
  const auto printed = ws.in(ws.dir.path(), {"env", "--meson-cross", "wasi.ini"});
  REQUIRE(printed.exit_status == 0);
  write_file(ws.dir / "env.sh", printed.out);
  write_file(ws.dir / "prog.c", "#include <stdio.h>\nint main(void) { puts(\"built with wasibuild env\"); }\n");
  // What a Makefile would do with the variables.
  const auto compiled = ws.run(ws.dir.path(), {"/bin/sh", "-c", ". ./env.sh && $CC $CFLAGS prog.c $LDFLAGS -o prog.wasm"});
  INFO(compiled.err);
  REQUIRE(compiled.exit_status == 0);
  const auto ran = ws.wasibuild.exec({(ws.dir / "prog.wasm").string()});
  CHECK(ran.out == "built with wasibuild env\n");
  const std::string cross = read_file(ws.dir / "wasi.ini");
  CHECK(cross.find("exe_wrapper = ['" + std::string(WASIBUILD_BINARY) + "', 'exec', '--']") != std::string::npos);
  CHECK(cross.find("system = 'wasi'") != std::string::npos);
  CHECK(cross.find("c_args = ['--target=wasm32-wasi', '--sysroot=") != std::string::npos);
}

TEST_CASE("doctor says what is there and how to fix what is not") {
  Workspace ws;
  const auto healthy = ws.in(ws.dir.path(), {"doctor"});
  CHECK(healthy.exit_status == 0);
  CHECK(healthy.out.find("  ok      toolchain system (the system toolchain, as nothing is installed), clang 19.") !=
        std::string::npos);
  CHECK(healthy.out.find("\n          runs here: wasm32-wasi\n") != std::string::npos);  // Debian 12: wasm32-wasi only
  // Debian 12's wasi-libc has no threads: doctor names the toolchains that do.
  CHECK(healthy.out.find("\n          threads (std::thread, pthread_create) need a toolchain with "
                         "wasm32-wasip1-threads: a WASI SDK (wasibuild toolchain install) or scripts/setup.sh's "
                         "debian-llvm23\n") != std::string::npos);
  CHECK(healthy.out.ends_with("everything wasibuild needs is here\n"));
  CHECK(healthy.out.find("  ok      test sandbox: private mount namespaces") != std::string::npos);
  ws.wasibuild.options.environment["PATH"] = "/nonexistent";
  const auto broken = ws.in(ws.dir.path(), {"doctor"});
  CHECK(broken.exit_status == 1);
  CHECK(broken.out.find("  missing cmake\n          fix: apt-get install cmake\n") != std::string::npos);
  CHECK(broken.out.find("  missing a WASI toolchain\n") != std::string::npos);

  // A wasibuild.toml that does not load is reported with the rest, and does
  // not stop a command whose toolchain a flag names.
  ws.wasibuild.options.environment["PATH"] = "/usr/bin:/bin";
  write_file(ws.dir / "wasibuild.toml", "[run]\ntimeout = \"abc\"\n");
  const auto malformed = ws.in(ws.dir.path(), {"doctor"});
  CHECK(malformed.exit_status == 1);
  CHECK(malformed.out.find("  missing " + (ws.dir / "wasibuild.toml").string() + ":2:11: 'run.timeout' must be a "
                           "positive duration") != std::string::npos);
  CHECK(malformed.out.find("  ok      cmake (") != std::string::npos);
  const auto named = ws.in(ws.dir.path(), {"toolchain", "which", "--toolchain", "system"});
  CHECK(named.exit_status == 0);
  const auto unnamed = ws.in(ws.dir.path(), {"toolchain", "which"});
  CHECK(unnamed.exit_status == 1);
  CHECK(unnamed.err.find((ws.dir / "wasibuild.toml").string() + ":2:11: 'run.timeout'") != std::string::npos);
}

TEST_CASE("doctor reports a system where tests cannot guard their build files") {
  if (access("/usr/bin/unshare", X_OK) != 0) {
    MESSAGE("skipped: needs unshare(1)");
    return;
  }
  Workspace ws;
  // In a user namespace that maps no one, no nested namespace can be made.
  const auto confined = ws.run(ws.dir.path(), {"/usr/bin/unshare", "--user", WASIBUILD_BINARY, "doctor"});
  CHECK(confined.exit_status == 1);
  CHECK(confined.out.find("  missing test sandbox: no private mount namespace (unshare a mount namespace: "
                          "Operation not permitted)\n          fix: allow namespaces") != std::string::npos);
  CHECK(confined.out.find("-DWASIBUILD_TEST_CWD=writable") != std::string::npos);
}

TEST_CASE("a compiler launcher (ccache) serves a clean rebuild from its cache") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "cached"}).exit_status == 0);
  const fs::path project = ws.dir / "cached";
  write_file(project / "wasibuild.toml", "[package]\nname = \"cached\"\n[build]\nlauncher = \"ccache\"\n");
  ws.wasibuild.options.environment["CCACHE_DIR"] = (ws.dir / "ccache").string();
  REQUIRE(ws.in(project, {"build"}).exit_status == 0);
  REQUIRE(ws.in(project, {"clean"}).exit_status == 0);
  REQUIRE(ws.in(project, {"build"}).exit_status == 0);
  const auto stats = ws.run(project, {"/usr/bin/ccache", "--print-stats"});
  REQUIRE(stats.exit_status == 0);
  const auto hits_at = stats.out.find("direct_cache_hit\t");
  REQUIRE(hits_at != std::string::npos);
  CHECK(std::stoi(stats.out.substr(hits_at + 17)) >= 3);  // main, greeting, the test
}

TEST_CASE("wasibuild_add_test adds per-test grants to the defaults, and nothing else leaks") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "granted"}).exit_status == 0);
  const fs::path project = ws.dir / "granted";
  write_file(project / "tests/probe.cpp", R"src(#include <cstdio>
#include <cstdlib>
#include <cstring>
// probe FILE VARIABLE EXPECTED: prints what it could read and see.
int main(int argc, char** argv) {
  if (argc < 4) return 2;
  FILE* file = std::fopen(argv[1], "r");
  const char* value = std::getenv(argv[2]);
  std::printf("file %s, %s=%s\n", file ? "readable" : "denied", argv[2], value ? value : "(unset)");
  const bool ok = file != nullptr && value != nullptr && std::strcmp(value, argv[3]) == 0;
  if (file) std::fclose(file);
  return ok ? 0 : 1;
}
)src");
  fs::create_directories(project / "fixtures");
  write_file(project / "fixtures/in.txt", "data\n");
  std::string cmake = read_file(project / "CMakeLists.txt");
  cmake += R"cm(
include(WasiBuild)
add_executable(probe tests/probe.cpp)
wasibuild_add_test(NAME granted COMMAND probe /fixtures/in.txt GREETING hi
                   DIRS_RO ${CMAKE_SOURCE_DIR}/fixtures::/fixtures ENV GREETING=hi)
wasibuild_add_test(NAME ungranted COMMAND probe /fixtures/in.txt GREETING hi)
set_tests_properties(ungranted PROPERTIES PASS_REGULAR_EXPRESSION "file denied, GREETING=\\(unset\\)")
)cm";
  write_file(project / "CMakeLists.txt", cmake);
  const auto tested = ws.in(project, {"test", "granted"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);
}

TEST_CASE("with no toolchain at all, build installs the pinned default SDK, hash enforced, or says why not") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "bare"}).exit_status == 0);
  const fs::path project = ws.dir / "bare";
  LoopbackServer server;
  const std::string asset = "/wasi-sdk-33/wasi-sdk-33.0-" + std::string("x86_64-linux") + ".tar.gz";
  server.serve(asset, "not the real WASI SDK 33");
  ws.wasibuild.options.environment["NO_PROXY"] = "127.0.0.1,localhost";
  ws.wasibuild.options.environment["WASI_SYSROOT"] = (ws.dir / "no-sysroot").string();  // hides the system's
  ws.wasibuild.options.environment["WASIBUILD_MIRROR"] = "http://127.0.0.1:" + std::to_string(server.port());

  ws.wasibuild.options.environment["WASIBUILD_OFFLINE"] = "1";
  const auto offline = ws.in(project, {"build"});
  CHECK(offline.exit_status == 1);
  CHECK(offline.err.starts_with("wasibuild: error: no WASI toolchain is installed and none was found on this system\n"
                                "help: WASIBUILD_OFFLINE=1 forbids installing one now"));
  CHECK(server.requests(asset) == 0);

  ws.wasibuild.options.environment.erase("WASIBUILD_OFFLINE");
  const auto online = ws.in(project, {"build"});
  CHECK(online.exit_status == 1);
  CHECK(online.err.starts_with("  Installing the pinned default toolchain, WASI SDK 33 (no WASI toolchain was found)\n"));
  CHECK(online.err.find("SHA-256 mismatch: expected 0ba8b5bfaeb2adf3f29bab5841d76cf5318ab8e1642ea195f88baba1abd47bce") !=
        std::string::npos);
  CHECK(server.requests(asset) == 1);
  CHECK_FALSE(fs::exists(ws.wasibuild.home.path() / "data/toolchains/wasi-sdk-33"));
}

TEST_CASE("attack: a wasibuild.toml planted in the build tree is not a project" * doctest::test_suite("attack")) {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "app"}).exit_status == 0);
  const fs::path project = ws.dir / "app";
  REQUIRE(ws.in(project, {"build"}).exit_status == 0);
  // What a test could leave in its working directory: a project whose
  // configure runs host code.
  const fs::path planted = project / "build/wasm32-wasi/debug";
  const fs::path marker = ws.dir / "host-code-ran";
  write_file(planted / "wasibuild.toml", "[package]\nname = \"planted\"\n");
  write_file(planted / "CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(planted NONE)\n"
                                         "execute_process(COMMAND /usr/bin/touch \"" + marker.string() + "\")\n");
  fs::create_directories(planted / "deeper");
  write_file(planted / "deeper/wasibuild.toml", "[package]\nname = \"planted\"\n");
  write_file(planted / "deeper/CMakeLists.txt", read_file(planted / "CMakeLists.txt"));

  // Like cargo finding its workspace root: the project above is built.
  const auto built = ws.in(planted / "deeper", {"build"});
  INFO(built.out << built.err);
  CHECK(built.exit_status == 0);
  CHECK(built.out.find("  ../app.wasm (") != std::string::npos);
  CHECK(built.err.find("    Finished debug in ") != std::string::npos);
  const auto quietly = ws.in(planted / "deeper", {"build", "-q"});  // warnings only
  const std::string using_project = ", where tests run; using " + (project / "wasibuild.toml").string() + "\n";
  CHECK(quietly.err == "wasibuild: warning: ignoring " + (planted / "deeper/wasibuild.toml").string() +
                         ": it is inside the CMake build tree " + planted.string() + using_project +
                         "wasibuild: warning: ignoring " + (planted / "wasibuild.toml").string() +
                         ": it is inside the CMake build tree " + planted.string() + using_project);
  CHECK(ws.in(planted, {"run", "--", "again"}).out.ends_with("Hello, again!\n"));
  CHECK_FALSE(fs::exists(marker));

  // With no project above it, a refusal that says why.
  fs::remove(project / "wasibuild.toml");
  const auto refused = ws.in(planted, {"build"});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err == "wasibuild: error: " + (planted / "wasibuild.toml").string() +
                           " is not a project: it is inside the CMake build tree " + planted.string() +
                           ", where tests run\nhelp: a test may have written it; wasibuild never takes a project "
                           "from inside a build tree\nhelp: run wasibuild in the project's own directory, above its "
                           "build/ directory (wasibuild builds in build/<target>/<profile>, never in-source)\n");
  CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("[test] in wasibuild.toml applies to every test: timeout, dirs-ro, env and env-files") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "limited"}).exit_status == 0);
  const fs::path project = ws.dir / "limited";
  write_file(project / "tests/probe.cpp", R"src(#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
// probe sleep SECONDS | probe read FILE | probe env NAME VALUE
int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "sleep") == 0) {
    sleep(static_cast<unsigned>(std::atoi(argv[2])));
    std::puts("woke up");
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "read") == 0) {
    FILE* file = std::fopen(argv[2], "r");
    char line[64] = {0};
    const bool read = file != nullptr && std::fgets(line, sizeof line, file) != nullptr;
    std::printf("%s: %s\n", argv[2], read ? line : "denied");
    if (file) std::fclose(file);
    return read ? 0 : 1;
  }
  if (argc == 4 && std::strcmp(argv[1], "env") == 0) {
    const char* value = std::getenv(argv[2]);
    std::printf("%s=%s\n", argv[2], value ? value : "(unset)");
    return value != nullptr && std::strcmp(value, argv[3]) == 0 ? 0 : 1;
  }
  return 2;
}
)src");
  fs::create_directories(project / "fixtures");
  write_file(project / "fixtures/in.txt", "fixture");
  write_file(project / "CMakeLists.txt", read_file(project / "CMakeLists.txt") + R"cm(
add_executable(probe tests/probe.cpp)
add_test(NAME sleeps COMMAND probe sleep 6)
add_test(NAME reads COMMAND probe read /fixtures/in.txt)
add_test(NAME sees_env COMMAND probe env GREETING hi)
add_test(NAME sees_file_env COMMAND probe env FROM_FILE yes)
)cm");
  write_file(project / "test.env", "# for every test\nFROM_FILE=yes\n");
  const std::string package = "[package]\nname = \"limited\"\n";
  write_file(project / "wasibuild.toml",
             // The timeout covers compiling each test too: room for a
             // sanitizer build on a loaded machine, well short of the sleep.
             package + "[test]\ntimeout = \"4s\"\ndirs-ro = [\"fixtures::/fixtures\"]\nenv = [\"GREETING=hi\"]\n"
                       "env-files = [\"test.env\"]\n");
  const auto tested = ws.in(project, {"test"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status != 0);
  CHECK(tested.out.find("83% tests passed, 1 tests failed out of 6") != std::string::npos);
  CHECK(tested.out.find(" - sleeps (Failed)") != std::string::npos);
  CHECK(tested.out.find("woke up") == std::string::npos);
  CHECK(tested.out.find("probe.wasm: timed out after 4000 ms (--timeout)") != std::string::npos);

  // A plain ctest in the build wasibuild configured applies them too.
  const auto plain = ws.run(project, {"/usr/bin/ctest", "--test-dir", (project / "build/wasm32-wasi/debug").string(),
                                      "--output-on-failure", "-R", "reads|sees_env|sees_file_env"});
  INFO(plain.out);
  CHECK(plain.exit_status == 0);
  CHECK(plain.out.find("100% tests passed, 0 tests failed out of 3") != std::string::npos);

  // Without them, the configure drops them again.
  write_file(project / "wasibuild.toml", package);
  const auto unlimited = ws.in(project, {"test"});
  INFO(unlimited.out << unlimited.err);
  CHECK(unlimited.out.find("50% tests passed, 3 tests failed out of 6") != std::string::npos);
  CHECK(unlimited.out.find(" - sees_file_env (Failed)") != std::string::npos);
  CHECK(unlimited.out.find(" - reads (Failed)") != std::string::npos);
  CHECK(unlimited.out.find(" - sees_env (Failed)") != std::string::npos);
}

TEST_CASE("bad [run] and [test] values stop every command at load, naming file, line and column") {
  Workspace ws;
  REQUIRE(ws.in(ws.dir.path(), {"new", "bad"}).exit_status == 0);
  const fs::path project = ws.dir / "bad";
  const std::string manifest = (project / "wasibuild.toml").string();
  write_file(project / "wasibuild.toml", "[package]\nname = \"bad\"\n[test]\ntimeout = \"abc\"\n");
  const auto tested = ws.in(project, {"test"});
  CHECK(tested.exit_status == 1);
  CHECK(tested.err == "wasibuild: error: " + manifest +
                          ":4:11: 'test.timeout' must be a positive duration, such as \"250ms\", \"30s\" or \"2m\"\n"
                          "help: units: ms, s, m, h; a bare number is seconds\n");
  write_file(project / "wasibuild.toml", "[package]\nname = \"bad\"\n[run]\nmax-memory = \"lots\"\n");
  const auto ran = ws.in(project, {"run"});
  CHECK(ran.exit_status == 1);
  CHECK(ran.err == "wasibuild: error: " + manifest +
                       ":4:14: 'run.max-memory' must be a positive size, such as \"64MiB\" or \"1GiB\"\n"
                       "help: units: B, KiB, MiB, GiB, TiB (K, M, G, T) and KB, MB, GB, TB\n");
  CHECK_FALSE(fs::exists(project / "build"));  // reported before anything was built
}
