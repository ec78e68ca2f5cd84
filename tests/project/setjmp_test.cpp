// setjmp/longjmp through the drop-in toolchain file (cmake-modules/WasiSetjmp.cmake),
// end to end with real CMake: lowered with Debian's clang 19 + npm's
// binaryen, native flags for a toolchain that reports setjmp (a WASI SDK 26+),
// the native and lowered forms with a real clang 22 toolchain, and the
// messages when neither is possible.
#include <filesystem>
#include <iostream>

#include "../support/cmake_project.hpp"
#include "archive_builder.hpp"
#include "http_server.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// npm's binaryen (scripts/setup.sh installs it; WASIBUILD_TEST_WASM_OPT is
// set by tests/CMakeLists.txt). CTest marks a test that prints the line as
// skipped, never as passed.
bool have_wasm_opt() {
  if (fs::exists(WASIBUILD_TEST_WASM_OPT)) return true;
  std::cout << "SKIPPED: no binaryen wasm-opt at " << WASIBUILD_TEST_WASM_OPT
            << " (scripts/setup.sh installs npm's binaryen there)\n";
  return false;
}

// clang 22 for WASI: LLVM 22.1.8 from PyPI's ziglang wheel with Debian
// trixie's wasi-libc, in a WASI SDK's layout (scripts/common.sh,
// install_clang22_wasi). No official WASI SDK can be downloaded here; this
// is a real toolchain of the same kind, with setjmp.h and libsetjmp.a.
const fs::path kClang22 = WASIBUILD_TEST_CLANG22_TOOLCHAIN;

bool have_clang22() { return have_toolchain_dir(kClang22, "clang 22 WASI toolchain"); }

// The toolchain given with explicit variables instead of an installed name.
std::vector<std::string> clang22_variables() { return toolchain_dir_definitions(kClang22); }

// Wasmtime runs only the standard exception-handling form, so the runner
// accepting a module already proves it. When npm's binaryen is there, its
// wasm-dis shows it directly: try_table, and none of the legacy try,
// delegate or rethrow.
void check_standard_eh(const fs::path& module) {
  const fs::path wasm_dis = fs::path(WASIBUILD_TEST_WASM_OPT).parent_path() / "wasm-dis";
  if (!fs::exists(wasm_dis)) return;
  const auto text = run_process({wasm_dis.string(), module.string()}, {{{"PATH", "/usr/local/bin:/usr/bin:/bin"}}, {}, {}});
  REQUIRE(text.exit_status == 0);
  CHECK(text.out.find("(try_table") != std::string::npos);
  bool legacy_try = false;
  for (auto at = text.out.find("(try"); at != std::string::npos; at = text.out.find("(try", at + 1)) {
    legacy_try = legacy_try || text.out.compare(at, 10, "(try_table") != 0;
  }
  CHECK_FALSE(legacy_try);
  CHECK(text.out.find("(delegate") == std::string::npos);
  CHECK(text.out.find("(rethrow") == std::string::npos);
}

using Project = CMakeProject;

// Nested setjmp, longjmp across many frames, longjmp(env, 0), the _ and sig
// spellings, and longjmp through a function pointer.
constexpr const char* kProgram = R"(#include <setjmp.h>
#include <stdio.h>

static jmp_buf outer;
static jmp_buf inner;
static sigjmp_buf signal_env;

static void unwind_from(int depth, int value) {
  if (depth == 0) longjmp(outer, value);
  unwind_from(depth - 1, value);
  puts("not reached: unwind_from returned");
}

static int nested(void) {
  volatile int rounds = 0;
  int got = setjmp(inner);
  printf("inner %d\n", got);
  if (++rounds < 3) _longjmp(inner, 10 * rounds);
  return rounds;
}

int main(void) {
  volatile int step = 0;
  volatile long sum = 0;  /* changed between setjmp and longjmp: kept */
  int got = setjmp(outer);
  sum += got;
  printf("outer %d\n", got);
  switch (step++) {
    case 0: unwind_from(50, 0);  /* setjmp returns 1, never 0 */
    case 1: unwind_from(3, 42);
    case 2: {
      printf("nested %d\n", nested());
      if (sigsetjmp(signal_env, 1) == 0) siglongjmp(signal_env, 5);
      puts("sigsetjmp 5");
      void (*jump)(jmp_buf, int) = longjmp;
      jump(outer, 7);
    }
  }
  printf("sum %ld\n", (long)sum);
  puts(got == 7 && sum == 50 ? "done" : "wrong value");
  return got == 7 && sum == 50 ? 0 : 1;
}
)";

constexpr const char* kExpected = "outer 0\nouter 1\nouter 42\ninner 0\ninner 10\ninner 20\nnested 3\nsigsetjmp 5\n"
                                  "outer 7\nsum 50\ndone\n";

// Configure checks compile, link and run (through the emulator) with the
// project's setjmp mode too.
constexpr const char* kCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(sjlj C)
include(CheckSymbolExists)
include(CheckCSourceRuns)
check_symbol_exists(setjmp setjmp.h HAVE_SETJMP)
check_c_source_runs("#include <setjmp.h>
int main(void) { static jmp_buf env; volatile int n = 0; if (setjmp(env) < 3) longjmp(env, ++n); return n == 3 ? 0 : 1; }"
  SETJMP_RUNS)
message(STATUS "setjmp mode ${WASIBUILD_SETJMP_MODE}, found ${HAVE_SETJMP}, runs ${SETJMP_RUNS}")
enable_testing()
add_executable(sjlj sjlj.c)
add_executable(plain plain.c)
add_test(NAME sjlj COMMAND sjlj)
set_tests_properties(sjlj PROPERTIES PASS_REGULAR_EXPRESSION "outer 7\nsum 50\ndone")
)";

void write_sjlj_project(const Project& project) {
  write_file(project.source / "CMakeLists.txt", kCMakeLists);
  write_file(project.source / "sjlj.c", kProgram);
  write_file(project.source / "plain.c", "#include <stdio.h>\nint main(void) { puts(\"plain\"); return 0; }\n");
}

// Builds the project, runs sjlj.wasm and plain.wasm with `wasibuild exec`
// and the project's CTest test, and checks the module's exception form.
void build_and_run(const Project& project, const std::string& expected = kExpected) {
  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  const auto ran = project.wasibuild.exec({(project.build / "sjlj.wasm").string()});
  CHECK(ran.err == "");
  CHECK(ran.out == expected);
  CHECK(ran.exit_status == 0);
  CHECK(project.wasibuild.exec({(project.build / "plain.wasm").string()}).out == "plain\n");
  const auto tests = project.run({"/usr/bin/ctest", "--test-dir", project.build.string(), "--output-on-failure"});
  INFO(tests.out);
  CHECK(tests.exit_status == 0);
  CHECK(tests.out.find("100% tests passed, 0 tests failed out of 1") != std::string::npos);
  check_standard_eh(project.build / "sjlj.wasm");
}

// CMake word-wraps and indents error messages: compare them with every run
// of white space made one space.
std::string squeezed(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n';
    if (!space) out += c;
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  return out;
}

// A wasm-opt that records its arguments, then runs npm's.
void write_recording_wasm_opt(const fs::path& path, const fs::path& log) {
  write_file(path, "#!/bin/sh\necho \"$*\" >> '" + log.string() + "'\nexec '" + WASIBUILD_TEST_WASM_OPT + "' \"$@\"\n");
  fs::permissions(path, fs::perms::owner_all);
}

}  // namespace

TEST_CASE("setjmp/longjmp in C, with Debian's clang 19, through the toolchain file and wasm-opt") {
  if (!have_wasm_opt()) return;
  Project project;
  write_file(project.source / "CMakeLists.txt", kCMakeLists);
  write_file(project.source / "sjlj.c", kProgram);
  write_file(project.source / "plain.c", "#include <stdio.h>\nint main(void) { puts(\"plain\"); return 0; }\n");
  const fs::path log = project.dir / "wasm-opt.log";
  write_recording_wasm_opt(project.dir / "wasm-opt", log);

  const auto configured = project.configure({"-DWASIBUILD_WASM_OPT=" + (project.dir / "wasm-opt").string()});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: setjmp/longjmp lowered (wasibuild's runtime, modules translated by " +
                            (project.dir / "wasm-opt").string() + ")\n") != std::string::npos);
  CHECK(configured.out.find("-- setjmp mode lowered, found 1, runs 1\n") != std::string::npos);

  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  const auto ran = project.wasibuild.exec({(project.build / "sjlj.wasm").string()});
  CHECK(ran.err == "");
  CHECK(ran.out == kExpected);
  CHECK(ran.exit_status == 0);
  CHECK(project.wasibuild.exec({(project.build / "plain.wasm").string()}).out == "plain\n");

  // Only modules with exception tags pay for wasm-opt: the check of its
  // --help at configure time, the try_run program, then sjlj.wasm.
  const std::string calls = read_file(log);
  CHECK(calls.find("--help") != std::string::npos);
  CHECK(calls.find("--translate-to-exnref --debuginfo sjlj.wasm -o sjlj.wasm.exnref.tmp\n") != std::string::npos);
  CHECK(calls.find("plain.wasm") == std::string::npos);

  const auto tests = project.run({"/usr/bin/ctest", "--test-dir", project.build.string(), "--output-on-failure"});
  INFO(tests.out);
  CHECK(tests.exit_status == 0);
  CHECK(tests.out.find("100% tests passed, 0 tests failed out of 1") != std::string::npos);
}

TEST_CASE("without a wasm-opt that translates to exnref, <setjmp.h> names the fix and ON stops with the remedy") {
  Project project;
  write_file(project.source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.25)\nproject(off C)\ninclude(CheckIncludeFile)\n"
             "check_include_file(setjmp.h HAVE_SETJMP_H)\nmessage(STATUS \"have setjmp.h: '${HAVE_SETJMP_H}'\")\n"
             "add_executable(uses uses.c)\nadd_executable(plain plain.c)\n");
  write_file(project.source / "uses.c", "#include <setjmp.h>\nint main(void) { return 0; }\n");
  write_file(project.source / "plain.c", "int main(void) { return 0; }\n");
  // What Debian's binaryen 108 answers: no --translate-to-exnref. Found on PATH.
  const fs::path old = project.dir / "bin/wasm-opt";
  fs::create_directories(old.parent_path());
  write_file(old, "#!/bin/sh\necho 'wasm-opt INFILE [options]'\necho '  --translate-to-new-eh  not this one'\n");
  fs::permissions(old, fs::perms::owner_all);
  project.wasibuild.options.environment["PATH"] = old.parent_path().string() + ":/usr/bin:/bin";
  const std::string rejected = old.string() + " has no --translate-to-exnref (binaryen too old, or node missing for "
                                              "npm's)";

  const auto automatic = project.configure();
  INFO(automatic.out << automatic.err);
  REQUIRE(automatic.exit_status == 0);
  CHECK(automatic.out.find("-- wasibuild: setjmp/longjmp off (the toolchain has none and " + rejected +
                           "; <setjmp.h> names the fix: wasibuild toolchain install binaryen)\n") != std::string::npos);
  CHECK(automatic.out.find("-- have setjmp.h: ''\n") != std::string::npos);
  // Only the file that includes <setjmp.h> fails, with the one command that fixes it.
  const auto plain = project.run({"/usr/bin/cmake", "--build", project.build.string(), "--target", "plain"});
  CHECK(plain.exit_status == 0);
  const auto built = project.build_all();
  CHECK(built.exit_status != 0);
  CHECK(built.out.find("error: \"setjmp/longjmp: this WASI toolchain has none and no binaryen wasm-opt with "
                       "--translate-to-exnref was found; fix: run `wasibuild toolchain install binaryen` (its wasm-opt "
                       "runs under node), then configure a new build directory\"") != std::string::npos);
  CHECK(built.out.find("file not found") == std::string::npos);

  // An explicit OFF is the user's choice: no header at all, as without setjmp support.
  fs::remove_all(project.build);
  REQUIRE(project.configure({"-DWASIBUILD_SETJMP=OFF"}).exit_status == 0);
  CHECK(project.build_all().out.find("'setjmp.h' file not found") != std::string::npos);

  fs::remove_all(project.build);
  const auto required = project.configure({"-DWASIBUILD_WASM_OPT=" + old.string(), "-DWASIBUILD_SETJMP=ON"});
  CHECK(required.exit_status != 0);
  CHECK(squeezed(required.err).find("wasi.cmake: WASIBUILD_SETJMP=ON, but this toolchain has no setjmp of its own and " +
                                    rejected + ". Run `wasibuild toolchain install binaryen` (its wasm-opt runs under "
                                    "node), use a WASI SDK 26 or newer (wasibuild toolchain install), or set "
                                    "WASIBUILD_SETJMP=OFF") != std::string::npos);

  fs::remove_all(project.build);
  const auto wrong = project.configure({"-DWASIBUILD_SETJMP=maybe"});
  CHECK(wrong.exit_status != 0);
  CHECK(squeezed(wrong.err).find("wasi.cmake: WASIBUILD_SETJMP=maybe is not AUTO, ON or OFF") != std::string::npos);
}

// `wasibuild toolchain install binaryen` from a loopback registry serving
// the real npm tarball (scripts/setup.sh keeps it), into this project's
// WASIBUILD_HOME.
bool have_binaryen_tarball() {
  if (fs::exists(WASIBUILD_TEST_BINARYEN_TGZ)) return true;
  std::cout << "SKIPPED: no binaryen tarball at " << WASIBUILD_TEST_BINARYEN_TGZ
            << " (scripts/setup.sh keeps npm's there)\n";
  return false;
}

TEST_CASE("toolchain install binaryen: pinned download from the registry, then setjmp works with no variable") {
  if (!have_binaryen_tarball()) return;
  LoopbackServer registry;
  registry.serve_file("/binaryen/-/binaryen-132.0.0.tgz", WASIBUILD_TEST_BINARYEN_TGZ);
  Project project;
  write_sjlj_project(project);
  project.wasibuild.options.environment["WASIBUILD_NPM_REGISTRY"] = registry.url("");
  // PATH has Debian's binaryen 108 (no --translate-to-exnref) and node.
  const auto installed = project.wasibuild({"toolchain", "install", "binaryen", "--quiet"});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_status == 0);
  const fs::path tool = project.wasibuild.home.path() / "data/tools/binaryen";
  CHECK(installed.out.empty());  // --quiet
  CHECK(registry.requests("/binaryen/-/binaryen-132.0.0.tgz") == 1);
  CHECK(fs::exists(tool / "bin/wasm-opt"));
  CHECK(project.wasibuild({"toolchain", "install", "binaryen"}).out.find("already installed") != std::string::npos);
  const auto which = project.wasibuild({"toolchain", "which", "--cmake"});
  CHECK(which.out.find("set(WASIBUILD_TOOLCHAIN_WASM_OPT [=[" + (tool / "bin/wasm-opt").string() + "]=])\n") !=
        std::string::npos);
  const auto doctor = project.wasibuild({"doctor"});
  CHECK(doctor.out.find("  ok      binaryen for setjmp/longjmp (" + (tool / "bin/wasm-opt").string() +
                        "), run by node (") != std::string::npos);

  // No WASIBUILD_WASM_OPT anywhere: the toolchain file finds the installed one.
  CHECK(project.wasibuild.options.environment.count("WASIBUILD_WASM_OPT") == 0);
  const auto configured = project.configure();
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: setjmp/longjmp lowered (wasibuild's runtime, modules translated by " +
                            (tool / "bin/wasm-opt").string() + ")\n") != std::string::npos);
  CHECK(configured.out.find("-- setjmp mode lowered, found 1, runs 1\n") != std::string::npos);
  build_and_run(project);
}

TEST_CASE("toolchain install binaryen refuses a tarball whose SHA-256 is not the pinned one, installing nothing") {
  Project project;
  LoopbackServer registry;
  // Same name, other bytes: what a tampered mirror would serve.
  registry.serve("/binaryen/-/binaryen-132.0.0.tgz", "not binaryen's tarball");
  project.wasibuild.options.environment["WASIBUILD_NPM_REGISTRY"] = registry.url("");
  const auto refused = project.wasibuild({"toolchain", "install", "binaryen", "--quiet"});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err.starts_with("wasibuild: error: " + registry.url("/binaryen/-/binaryen-132.0.0.tgz") +
                                ": SHA-256 mismatch: expected "
                                "6543555fb29bb92548f325c7dc18e9ab7dbb1215edda25993d1e3f71d85b8618, got "));
  std::size_t errors = 0;
  for (auto at = refused.err.find("error:"); at != std::string::npos; at = refused.err.find("error:", at + 1)) ++errors;
  CHECK(errors == 1);
  const fs::path tools = project.wasibuild.home.path() / "data/tools";
  CHECK_FALSE(fs::exists(tools / "binaryen"));
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(tools, ignored)) CHECK(entry.path().filename() == ".lock");
  CHECK(project.wasibuild({"toolchain", "which", "--cmake"}).out.find("WASM_OPT") == std::string::npos);
  // Offline with nothing cached: one line, nothing fetched.
  project.wasibuild.options.environment["WASIBUILD_OFFLINE"] = "1";
  const auto offline = project.wasibuild({"toolchain", "install", "binaryen"});
  CHECK(offline.exit_status == 1);
  CHECK(offline.err.starts_with("wasibuild: error: offline: " + registry.url("/binaryen/-/binaryen-132.0.0.tgz") +
                                " would have to be downloaded\n"));
}

TEST_CASE("a toolchain that reports setjmp (WASI SDK 26+) gets the standard-EH flags and -lsetjmp, no wasm-opt") {
  Project project;
  // An installed toolchain whose metadata says setjmp = true, as the probe
  // finds for WASI SDK 26+. Its clang records each command line and stands
  // in Debian's clang 19, which knows neither -wasm-use-legacy-eh nor a
  // libsetjmp: it swaps the first for an option it has and drops the second.
  const fs::path root = project.wasibuild.home.path() / "data/toolchains/sdk-like";
  const fs::path log = project.dir / "clang.log";
  fs::create_directories(root / "bin");
  for (const char* name : {"clang", "clang++"}) {
    write_file(root / "bin" / name,
               "#!/bin/sh\necho \"$*\" >> '" + log.string() +
                   "'\nfor arg do\n  shift\n  case $arg in\n    -wasm-use-legacy-eh=false) set -- \"$@\" "
                   "-wasm-enable-eh=false ;;\n    -lsetjmp) ;;\n    *) set -- \"$@\" \"$arg\" ;;\n  esac\ndone\n"
                   "exec /usr/bin/" + name + "-19 \"$@\"\n");
    fs::permissions(root / "bin" / name, fs::perms::owner_all);
  }
  write_file(root / "wasibuild-toolchain.toml",
             "name = \"sdk-like\"\nprovider = \"custom\"\nversion = \"26\"\ndefault_target = \"wasm32-wasi\"\n"
             "[paths]\nclang = \"bin/clang\"\nclangxx = \"bin/clang++\"\nar = \"/usr/bin/llvm-ar-19\"\n"
             "ranlib = \"/usr/bin/llvm-ranlib-19\"\nsysroot = \"/usr\"\n"
             "[capabilities]\ntargets = [\"wasm32-wasi\"]\nsetjmp = true\n");
  project.wasibuild.options.environment["WASIBUILD_TOOLCHAIN"] = "sdk-like";
  const auto which = project.wasibuild({"toolchain", "which", "--cmake"});
  REQUIRE(which.exit_status == 0);
  CHECK(which.out.find("set(WASIBUILD_HAS_SETJMP ON)\n") != std::string::npos);

  write_file(project.source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.25)\nproject(native C)\nadd_executable(hello hello.c)\n");
  write_file(project.source / "hello.c", "#include <stdio.h>\nint main(void) { puts(\"native\"); return 0; }\n");
  const auto configured = project.configure({"-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: setjmp/longjmp native (the toolchain's wasi-libc)\n") != std::string::npos);
  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);

  CHECK(read_file(project.build / "compile_commands.json").find("-mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false")
        != std::string::npos);
  const std::string commands = read_file(log);
  CHECK(commands.find("-lsetjmp") != std::string::npos);
  CHECK(commands.find("wasibuild-setjmp") == std::string::npos);  // no runtime of wasibuild's
  CHECK(read_file(project.build / "build.ninja").find("exnref.cmake") == std::string::npos);
  CHECK(project.wasibuild.exec({(project.build / "hello.wasm").string()}).out == "native\n");
}

TEST_CASE("native setjmp with a real clang 22: installed from an archive, probed, built and run by CTest") {
  if (!have_clang22()) return;
  Project project;
  // The toolchain directory holds only wrappers (naming the cached zig by
  // absolute path), the sysroot and clang's resource directory: ~5 MB.
  const fs::path archive = project.dir / "clang22-wasi.tar.gz";
  write_tree_tar_gz(archive, kClang22, "clang22-wasi");
  const auto installed =
      project.wasibuild({"toolchain", "install", "--from", archive.string(), "--name", "clang22", "--allow-unpinned"});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_status == 0);
  // The installer's probe found setjmp (standard EH flags and -lsetjmp).
  project.wasibuild.options.environment["WASIBUILD_TOOLCHAIN"] = "clang22";
  const auto which = project.wasibuild({"toolchain", "which", "--cmake"});
  REQUIRE(which.exit_status == 0);
  CHECK(which.out.find("set(WASIBUILD_HAS_SETJMP ON)\n") != std::string::npos);
  // Not clang 22's deprecated wasm32-wasi spelling, which -Werror rejects.
  CHECK(which.out.find("set(WASIBUILD_TARGET [=[wasm32-wasip1]=])\n") != std::string::npos);

  write_sjlj_project(project);
  const auto configured = project.configure({"-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: setjmp/longjmp native (the toolchain's wasi-libc)\n") != std::string::npos);
  CHECK(configured.out.find("-- The C compiler identification is Clang 22.") != std::string::npos);
  CHECK(configured.out.find("-- setjmp mode native, found 1, runs 1\n") != std::string::npos);
  build_and_run(project, kExpected);

  CHECK(read_file(project.build / "compile_commands.json").find("-mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false")
        != std::string::npos);
  const std::string ninja = read_file(project.build / "build.ninja");
  CHECK(ninja.find("-lsetjmp") != std::string::npos);
  CHECK(ninja.find("wasibuild-setjmp") == std::string::npos);  // no runtime of wasibuild's
  CHECK(ninja.find("exnref.cmake") == std::string::npos);      // and no wasm-opt step
}

TEST_CASE("with explicit variables, the toolchain file detects clang 22's setjmp, not clang 19's with the same sysroot") {
  if (!have_clang22()) return;
  Project project;
  write_sjlj_project(project);
  const std::vector<std::string> variables = clang22_variables();
  const auto configured = project.configure(variables);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: setjmp/longjmp native (the toolchain's wasi-libc, detected: clang 20+, "
                            "setjmp.h and libsetjmp.a)\n") != std::string::npos);
  CHECK(configured.out.find("-- setjmp mode native, found 1, runs 1\n") != std::string::npos);
  build_and_run(project, kExpected);

  // The same wasi-libc with Debian's clang 19, which cannot emit the
  // standard form: not native. (No wasm-opt either, so off.)
  Project with_clang19;
  write_sjlj_project(with_clang19);
  const auto old_clang = with_clang19.configure({"-DWASIBUILD_CLANG=/usr/bin/clang-19",
                                                 "-DWASIBUILD_SYSROOT=" + (kClang22 / "share/wasi-sysroot").string(),
                                                 "-DWASIBUILD_WASM_OPT=/nonexistent/wasm-opt"});
  INFO(old_clang.out << old_clang.err);
  CHECK(old_clang.out.find("-- wasibuild: setjmp/longjmp off (the toolchain has none and /nonexistent/wasm-opt does "
                           "not exist;") != std::string::npos);
}

TEST_CASE("the lowered form also works with clang 22 (WASIBUILD_HAS_SETJMP=OFF, wasibuild's runtime, wasm-opt)") {
  if (!have_clang22() || !have_wasm_opt()) return;
  Project project;
  write_sjlj_project(project);
  std::vector<std::string> variables = clang22_variables();
  variables.push_back("-DWASIBUILD_HAS_SETJMP=OFF");
  variables.push_back("-DWASIBUILD_WASM_OPT=" + std::string(WASIBUILD_TEST_WASM_OPT));
  const auto configured = project.configure(variables);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: setjmp/longjmp lowered (wasibuild's runtime, modules translated by ") !=
        std::string::npos);
  CHECK(configured.out.find("-- setjmp mode lowered, found 1, runs 1\n") != std::string::npos);
  build_and_run(project);
  CHECK(read_file(project.build / "build.ninja").find("-lsetjmp") == std::string::npos);
}

TEST_CASE("an input from the environment is kept: ninja's re-run of cmake in another shell keeps setjmp") {
  // Configured once with WASIBUILD_WASM_OPT in the environment; then a
  // CMakeLists.txt changes and ninja re-runs cmake from a shell without it,
  // as CMake users expect of CC. The lowered mode (and <setjmp.h>) must stay.
  if (!have_wasm_opt()) return;
  Project project;
  write_file(project.source / "CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(kept C)\n"
                                                "add_executable(sjlj sjlj.c)\n");
  write_file(project.source / "sjlj.c", kProgram);
  project.wasibuild.options.environment["WASIBUILD_WASM_OPT"] = WASIBUILD_TEST_WASM_OPT;
  const auto configured = project.configure();
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("setjmp/longjmp lowered") != std::string::npos);

  project.wasibuild.options.environment.erase("WASIBUILD_WASM_OPT");
  write_file(project.source / "CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(kept C)\n"
                                                "add_executable(sjlj sjlj.c)\n# edited\n");
  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(built.out.find("Re-running CMake") != std::string::npos);
  // Lowered through the kept wasm-opt, not one found on PATH.
  const std::string rules = read_file(project.build / "CMakeFiles/rules.ninja");
  CHECK(rules.find(std::string("-DWASM_OPT=") + WASIBUILD_TEST_WASM_OPT) != std::string::npos);
  const auto ran = project.wasibuild.exec({(project.build / "sjlj.wasm").string()});
  CHECK(ran.out == kExpected);
  CHECK(ran.exit_status == 0);

  // A new value in the environment replaces the kept one.
  const fs::path moved = project.dir / "moved-wasm-opt";
  fs::create_symlink(WASIBUILD_TEST_WASM_OPT, moved);
  project.wasibuild.options.environment["WASIBUILD_WASM_OPT"] = moved.string();
  const auto reconfigured = project.run({"/usr/bin/cmake", project.build.string()});
  INFO(reconfigured.out << reconfigured.err);
  REQUIRE(reconfigured.exit_status == 0);
  CHECK(reconfigured.out.find("modules translated by " + moved.string()) != std::string::npos);
}
