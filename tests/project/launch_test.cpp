// Tests that run as written and paths as a native test sees them
// (docs/testing.md): a project that calls the emulator with a launcher's
// name or a target's name without its suffix, add_test() with a module's
// path, `../` from the working directory into the source tree, a file
// written next to the module, getcwd(); binfmt_misc; and the attacks these
// could open: a planted launcher, `..` out of every grant, a directly
// executed module's grants.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "../exec/exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

std::string toolchain_file() {
  return fs::path(WASIBUILD_BINARY).parent_path().parent_path() / "share/wasibuild/cmake/wasi.cmake";
}

const fs::path kClang22 = WASIBUILD_TEST_CLANG22_TOOLCHAIN;

ProcessOptions options_in(const fs::path& dir) {
  fs::create_directories(dir / "tmp");
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", (dir / "home").string()},
                         {"TMPDIR", (dir / "tmp").string()}};
  return options;
}

void configure_and_build(const fs::path& source, const fs::path& build, const ProcessOptions& options,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> configure{"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + toolchain_file(),
                                     "-DWASIBUILD_EXECUTABLE=" + std::string(WASIBUILD_BINARY)};
  configure.insert(configure.end(), extra.begin(), extra.end());
  configure.insert(configure.end(), {"-S", source.string(), "-B", build.string()});
  const auto configured = run_process(configure, options);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = run_process({"/usr/bin/cmake", "--build", build.string()}, options);
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
}

// One program for every case: `paths MODE [PATH]`.
const char* const kProgram = R"c(#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "hello")) { printf("hello from the module\n"); return 0; }
  if (!strcmp(mode, "env")) { const char* value = getenv(argv[2]); printf("%s=%s\n", argv[2], value ? value : "(unset)"); return 0; }
  if (!strcmp(mode, "cwd")) { char buf[4096]; printf("cwd=%s\n", getcwd(buf, sizeof buf) ? buf : "(error)"); return 0; }
  if (!strcmp(mode, "read")) {
    FILE* file = fopen(argv[2], "r");
    char line[200] = "";
    if (!file || !fgets(line, sizeof line, file)) { printf("cannot open %s\n", argv[2]); return 1; }
    printf("read: %s", line);
    fclose(file);
    return 0;
  }
  if (!strcmp(mode, "write")) {
    FILE* file = fopen(argv[2], "w");
    if (!file || fputs("written\n", file) < 0 || fclose(file) != 0) { printf("cannot write %s\n", argv[2]); return 1; }
    file = fopen(argv[2], "r");
    char line[200] = "";
    if (!file || !fgets(line, sizeof line, file)) { printf("cannot read back %s\n", argv[2]); return 1; }
    fclose(file);
    printf("wrote and read back: %s", line);
    return 0;
  }
  if (!strcmp(mode, "list")) {
    struct stat status;
    if (stat(argv[2], &status) != 0 || !S_ISDIR(status.st_mode) || access(argv[2], R_OK) != 0) { printf("cannot stat %s\n", argv[2]); return 1; }
    DIR* directory = opendir(argv[2]);
    if (!directory) { printf("cannot list %s\n", argv[2]); return 1; }
    for (struct dirent* entry; (entry = readdir(directory));) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[2], entry->d_name);
      if (entry->d_name[0] != '.' && stat(path, &status) == 0) printf("%s %lld bytes\n", entry->d_name, (long long)status.st_size);
    }
    closedir(directory);
    return 0;
  }
  printf("usage: paths hello|cwd|read PATH|write PATH|list DIR\n");
  return 2;
}
)c";

void write_project(const fs::path& dir) {
  fs::create_directories(dir / "src/sub");
  fs::create_directories(dir / "src/data");
  write_file(dir / "src/CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.5)
project(launch C)
enable_testing()
add_executable(paths paths.c)
add_executable(clash paths.c)
# A build directory named like the target: no launcher `clash` is written.
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/clash)
add_test(NAME emulator_launcher COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE_DIR:paths>/paths hello)
add_test(NAME emulator_no_suffix COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} ${CMAKE_BINARY_DIR}/clash hello)
add_test(NAME module_path COMMAND ${CMAKE_BINARY_DIR}/paths.wasm hello)
add_test(NAME target_file COMMAND $<TARGET_FILE:paths> hello)
add_test(old_module_path ${CMAKE_BINARY_DIR}/paths.wasm hello)
set_tests_properties(emulator_launcher emulator_no_suffix module_path target_file old_module_path
  PROPERTIES PASS_REGULAR_EXPRESSION "hello from the module")
add_test(NAME dotdot COMMAND paths read ../src/data/input.txt)
set_tests_properties(dotdot PROPERTIES PASS_REGULAR_EXPRESSION "read: source data")
add_test(NAME cwd COMMAND paths cwd)
set_tests_properties(cwd PROPERTIES PASS_REGULAR_EXPRESSION "cwd=${CMAKE_BINARY_DIR}\n")
add_test(NAME beside_module COMMAND paths write $<TARGET_FILE_DIR:paths>/paths.wasm.tmp)
set_tests_properties(beside_module PROPERTIES PASS_REGULAR_EXPRESSION "wrote and read back: written")
add_test(NAME relative_write COMMAND paths write out.txt)
set_tests_properties(relative_write PROPERTIES PASS_REGULAR_EXPRESSION "wrote and read back: written")
add_test(NAME outside_every_grant COMMAND paths read ../outside.txt)
add_test(NAME above_the_root COMMAND paths read ../../../../../../../../../../${OUTSIDE})
add_test(NAME dotdot_then_outside COMMAND paths read ../src/../outside.txt)
set_tests_properties(outside_every_grant above_the_root dotdot_then_outside PROPERTIES WILL_FAIL TRUE)
# Links CMake writes from the build tree into the source tree (absolute, or
# climbing out of the build tree), and the attacks they could open.
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/data ${CMAKE_BINARY_DIR}/linked_data SYMBOLIC)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/data/input.txt ${CMAKE_BINARY_DIR}/linked_input.txt SYMBOLIC)
file(CREATE_LINK ../src/data ${CMAKE_BINARY_DIR}/relative_data SYMBOLIC)
file(CREATE_LINK ${CMAKE_BINARY_DIR}/linked_data ${CMAKE_BINARY_DIR}/chained SYMBOLIC)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/../outside.txt ${CMAKE_BINARY_DIR}/linked_outside SYMBOLIC)
file(CREATE_LINK ${CMAKE_BINARY_DIR}/loop_b ${CMAKE_BINARY_DIR}/loop_a SYMBOLIC)
file(CREATE_LINK ${CMAKE_BINARY_DIR}/loop_a ${CMAKE_BINARY_DIR}/loop_b SYMBOLIC)
add_test(NAME link_absolute_dir COMMAND paths read linked_data/input.txt)
add_test(NAME link_absolute_file COMMAND paths read linked_input.txt)
add_test(NAME link_relative_out COMMAND paths read relative_data/input.txt)
add_test(NAME link_chain COMMAND paths read chained/../data/input.txt)
add_test(NAME link_by_absolute_path COMMAND paths read ${CMAKE_BINARY_DIR}/linked_data/input.txt)
add_test(NAME link_stat_and_list COMMAND paths list linked_data)
set_tests_properties(link_absolute_dir link_absolute_file link_relative_out link_chain link_by_absolute_path
  PROPERTIES PASS_REGULAR_EXPRESSION "read: source data")
set_tests_properties(link_stat_and_list PROPERTIES PASS_REGULAR_EXPRESSION "input.txt 12 bytes")
add_test(NAME link_outside_every_grant COMMAND paths read linked_outside)
add_test(NAME link_write_into_source COMMAND paths write linked_data/planted.txt)
add_test(NAME link_loop COMMAND paths read loop_a)
set_tests_properties(link_outside_every_grant link_write_into_source link_loop PROPERTIES WILL_FAIL TRUE TIMEOUT 60)
add_subdirectory(sub)
)cm");
  write_file(dir / "src/sub/CMakeLists.txt", R"cm(add_test(NAME sub_dotdot COMMAND paths read ../../src/data/input.txt)
set_tests_properties(sub_dotdot PROPERTIES PASS_REGULAR_EXPRESSION "read: source data")
add_test(NAME sub_write_build_files COMMAND paths write ../build.ninja)
add_test(NAME sub_plant_above COMMAND paths write ${CMAKE_BINARY_DIR}/planted.sh)
set_tests_properties(sub_write_build_files sub_plant_above PROPERTIES WILL_FAIL TRUE)
)cm");
  write_file(dir / "src/paths.c", kProgram);
  write_file(dir / "src/data/input.txt", "source data\n");
  write_file(dir / "outside.txt", "host secret\n");
}

}  // namespace

TEST_CASE("a project's own tests run as written: launcher names and module paths, and paths as on the host") {
  TempDir dir;
  write_project(dir.path());
  const ProcessOptions options = options_in(dir.path());
  const fs::path build = dir / "build";
  configure_and_build(dir / "src", build, options, {"-DOUTSIDE=" + (dir / "outside.txt").relative_path().string()});

  const auto tested = run_process({"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure"}, options);
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed") != std::string::npos);
  // The host's file is untouched: nothing escaped into it.
  CHECK(read_file(dir / "outside.txt") == "host secret\n");
  CHECK(read_file(build / "paths.wasm.tmp") == "written\n");
  CHECK_FALSE(fs::exists(build / "planted.sh"));
  CHECK_FALSE(fs::exists(dir / "src/data/planted.txt"));
}

// The toolchain file's add_test() runs under the project's policies: before
// CMake 3.1 (CMP0054 unset, as in libyaml, cjson, json-c, libogg) a quoted
// "COMMAND" in its if() was the keyword, and configuring stopped with
// "if given arguments: ... Unknown arguments specified"; a quoted "NAME" was
// the project's variable of that name, so the command went unwrapped.
TEST_CASE("add_test with a module's target file under the policies of cmake_minimum_required 3.0") {
  TempDir dir;
  fs::create_directories(dir / "src");
  write_file(dir / "src/CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.0)
project(old C)
enable_testing()
add_executable(paths paths.c)
set(NAME COMMAND)
add_test(NAME target_file COMMAND $<TARGET_FILE:paths> hello)
add_test(NAME launcher_name COMMAND paths hello)
set_tests_properties(target_file launcher_name PROPERTIES PASS_REGULAR_EXPRESSION "hello from the module"
  ENVIRONMENT "GREETING=1")
)cm");
  write_file(dir / "src/paths.c", kProgram);
  const ProcessOptions options = options_in(dir.path());
  const fs::path build = dir / "build";
  configure_and_build(dir / "src", build, options, {"-Wno-dev"});

  const auto tested = run_process({"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure"}, options);
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);
}

TEST_CASE("the working directory and `..` with clang 22's wasi-libc") {
  if (kClang22.empty() || !fs::exists(kClang22 / "bin/clang")) {
    std::cout << "SKIPPED: no clang 22 WASI toolchain at '" << kClang22.string()
              << "' (scripts/setup.sh assembles it into ~/.cache/wasibuild-dev/clang22-wasi)\n";
    return;
  }
  TempDir dir;
  write_project(dir.path());
  const ProcessOptions options = options_in(dir.path());
  const fs::path build = dir / "build";
  configure_and_build(dir / "src", build, options,
                      {"-DWASIBUILD_CLANG=" + (kClang22 / "bin/clang").string(),
                       "-DWASIBUILD_SYSROOT=" + (kClang22 / "share/wasi-sysroot").string(),
                       "-DWASIBUILD_AR=" + (kClang22 / "bin/llvm-ar").string(),
                       "-DWASIBUILD_RANLIB=" + (kClang22 / "bin/llvm-ranlib").string(),
                       "-DOUTSIDE=" + (dir / "outside.txt").relative_path().string()});
  const auto tested = run_process({"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure", "-R",
                                   "dotdot|cwd|beside|relative|outside|above|sub_|link_"},
                                  options);
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(read_file(dir / "outside.txt") == "host secret\n");
}

TEST_CASE("attack: a planted launcher cannot make exec run a module outside its own directory" *
          doctest::test_suite("attack")) {
  TempDir dir;
  write_project(dir.path());
  const ProcessOptions options = options_in(dir.path());
  const fs::path build = dir / "build";
  configure_and_build(dir / "src", build, options);
  // The real launcher's header, as the toolchain file writes it.
  CHECK(read_file(build / "paths").starts_with("#!/bin/sh\n# wasibuild-launcher: paths.wasm\n"));

  const fs::path cwd = dir / "cwd";
  fs::create_directories(cwd);
  fs::copy_file(build / "paths.wasm", dir / "elsewhere.wasm");
  auto plant = [&](const std::string& name, const std::string& module, fs::perms perms) {
    write_file(cwd / name, "#!/bin/sh\n# wasibuild-launcher: " + module + "\nexit 0\n");
    fs::permissions(cwd / name, perms);
  };
  constexpr auto kExecutable = fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read;
  auto exec = [&](const std::string& name) {
    return run_process({WASIBUILD_BINARY, "exec", "--", (cwd / name).string(), "hello"}, options);
  };

  SUBCASE("a name with a slash or `..`") {
    plant("up", "../elsewhere.wasm", kExecutable);
    plant("absolute", (dir / "elsewhere.wasm").string(), kExecutable);
    plant("dots", "..", kExecutable);
    for (const char* name : {"up", "absolute", "dots"}) {
      const auto ran = exec(name);
      CHECK(ran.exit_status == 125);
      CHECK(ran.err == "wasibuild: error: " + (cwd / name).string() +
                           ": a wasibuild launcher whose module is not a file name in its own directory\n");
      CHECK(ran.out.empty());
    }
  }
  SUBCASE("a sibling that is a link to a module elsewhere") {
    fs::create_symlink(dir / "elsewhere.wasm", cwd / "link.wasm");
    plant("linked", "link.wasm", kExecutable);
    const auto ran = exec("linked");
    CHECK(ran.exit_status == 125);
    CHECK(ran.err.find("the launcher's module " + (cwd / "link.wasm").string() +
                       " is not an executable WebAssembly binary") != std::string::npos);
    CHECK(ran.out.empty());
  }
  SUBCASE("files a guest could write: no execute bit") {
    // WASI cannot set an execute bit: a launcher or module a test wrote has none.
    fs::copy_file(build / "paths.wasm", cwd / "planted.wasm");
    fs::permissions(cwd / "planted.wasm", fs::perms::owner_read | fs::perms::owner_write);
    plant("guest_launcher", "paths.wasm", fs::perms::owner_read | fs::perms::owner_write);
    const auto launcher = exec("guest_launcher");
    CHECK(launcher.exit_status == 125);
    CHECK(launcher.err.find("not a WebAssembly module") != std::string::npos);
    plant("to_guest_module", "planted.wasm", kExecutable);
    const auto module = exec("to_guest_module");
    CHECK(module.exit_status == 125);
    CHECK(module.err.find("is not an executable WebAssembly binary") != std::string::npos);
    CHECK(module.out.empty());
  }
  SUBCASE("a launcher reached through a link is not read as one") {
    fs::create_symlink(build / "paths", cwd / "via_link");
    const auto ran = exec("via_link");
    CHECK(ran.exit_status == 125);
    CHECK(ran.err.find("not a WebAssembly module") != std::string::npos);
  }
}

namespace {

// binfmt_misc is tried in a user and mount namespace of the test's own, with
// a binfmt_misc instance private to it (Linux 6.7+): the host's registrations
// are never touched.
bool private_binfmt_possible(const ProcessOptions& options) {
  const auto probe = run_process({"/usr/bin/unshare", "--user", "--map-root-user", "--mount", "/bin/sh", "-c",
                                  "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && "
                                  "test -e /proc/sys/fs/binfmt_misc/register"},
                                 options);
  if (probe.exit_status == 0) return true;
  std::cout << "SKIPPED: cannot mount a private binfmt_misc in a user namespace here (Linux 6.7+ allows it): "
            << probe.err << "\n";
  return false;
}

}  // namespace

TEST_CASE("binfmt: install lets the kernel run a module with a test's default grants and remove undoes it") {
  TempDir dir;
  write_project(dir.path());
  const ProcessOptions options = options_in(dir.path());
  if (!private_binfmt_possible(options)) return;
  const fs::path build = dir / "build";
  configure_and_build(dir / "src", build, options);
  const fs::path run_dir = dir / "run";
  fs::create_directories(run_dir);
  const std::string wasibuild = WASIBUILD_BINARY;
  const std::string module = (build / "paths.wasm").string();
  const std::string script =
      "set -e; mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; cd '" + run_dir.string() + "'\n"
      "'" + wasibuild + "' binfmt status\n"
      "'" + wasibuild + "' binfmt install\n"
      "'" + wasibuild + "' binfmt install\n"
      "'" + wasibuild + "' binfmt status\n"
      "'" + module + "' hello\n"
      "'" + module + "' write out.txt\n"
      "'" + module + "' cwd\n"
      "if '" + module + "' read '" + (dir / "outside.txt").string() + "'; then echo ESCAPED; fi\n"
      "if '" + module + "' read '" + (dir / "src/data/input.txt").string() + "'; then echo SOURCE; fi\n"
      "'" + wasibuild + "' binfmt remove\n"
      "'" + wasibuild + "' binfmt remove\n"
      "'" + wasibuild + "' binfmt status\n"
      // Not through a shell: on ENOEXEC a shell would read the file as a script.
      "if python3 -c 'import os, sys; os.execv(sys.argv[1], sys.argv[1:])' '" + module +
      "' hello 2>/dev/null; then echo STILL; else echo 'exec refused'; fi\n";
  const auto ran =
      run_process({"/usr/bin/unshare", "--user", "--map-root-user", "--mount", "/bin/sh", "-c", script}, options);
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  const std::string expected = "not registered\n"
                               "registered: " + wasibuild + " runs .wasm modules\n"
                               "already registered: " + wasibuild + " runs .wasm modules\n"
                               "registered: " + wasibuild + " runs .wasm modules (/proc/sys/fs/binfmt_misc/wasibuild)\n"
                               "hello from the module\n"
                               "wrote and read back: written\n"
                               "cwd=" + run_dir.string() + "\n"
                               "cannot open " + (dir / "outside.txt").string() + "\n"
                               "cannot open " + (dir / "src/data/input.txt").string() + "\n"
                               "removed the binfmt_misc entry for .wasm modules\n"
                               "not registered; nothing to remove\n"
                               "not registered\n"
                               "exec refused\n";
  CHECK(ran.out == expected);
  CHECK(read_file(run_dir / "out.txt") == "written\n");
}

TEST_CASE("binfmt: one-line errors without root or without binfmt_misc") {
  TempDir dir;
  const ProcessOptions options = options_in(dir.path());
  SUBCASE("not root") {
    const auto ran = run_process({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  WASIBUILD_BINARY, "binfmt", "install"},
                                 options);
    CHECK(ran.exit_status == 1);
    CHECK(ran.err ==
          "wasibuild: error: binfmt install: changing binfmt_misc needs root\n"
          "help: run it with sudo (or as root in a user namespace with its own binfmt_misc mount)\n");
  }
  SUBCASE("binfmt_misc not mounted") {
    if (fs::exists("/proc/sys/fs/binfmt_misc/register")) {
      std::cout << "SKIPPED: binfmt_misc is mounted on this host\n";
      return;
    }
    for (const char* action : {"status", "remove"}) {
      const auto ran = run_process({WASIBUILD_BINARY, "binfmt", action}, options);
      CHECK(ran.exit_status == 1);
      CHECK(ran.err ==
            "wasibuild: error: /proc/sys/fs/binfmt_misc: binfmt_misc is not mounted\n"
            "help: mount it (as root) with: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc\n");
    }
  }
}

namespace {

// A project whose tests run the program file from host scripts, as real
// projects' suites do: `cmake -P`, `sh`, a script run by its path, python3.
// Under the policies of CMake 3.0 (CMP0054 unset), as old projects have.
void write_script_project(const fs::path& dir, bool python) {
  fs::create_directories(dir / "src/data");
  write_file(dir / "src/CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.0)
project(scripts C)
add_executable(paths paths.c)
enable_testing()
add_test(NAME cmake_script COMMAND ${CMAKE_COMMAND} -DTEST_PROGRAM=$<TARGET_FILE:paths>
         -DDATA=${CMAKE_SOURCE_DIR}/data/input.txt -P ${CMAKE_SOURCE_DIR}/run.cmake)
add_test(NAME sh_script COMMAND sh ${CMAKE_SOURCE_DIR}/run.sh ${CMAKE_SOURCE_DIR}/data/input.txt)
add_test(sh_old_signature sh ${CMAKE_SOURCE_DIR}/run.sh ${CMAKE_SOURCE_DIR}/data/input.txt)
add_test(NAME script_by_path COMMAND ${CMAKE_SOURCE_DIR}/run.sh ${CMAKE_SOURCE_DIR}/data/input.txt)
add_test(NAME escape COMMAND sh ${CMAKE_SOURCE_DIR}/escape.sh ${CMAKE_SOURCE_DIR}/../outside.txt)
# What the test's own script sets reaches the program; the user's
# environment, which the harness started with, does not.
add_test(NAME script_env COMMAND ${CMAKE_COMMAND} -E env GREETING=from-the-script ./paths.wasm env GREETING)
set_tests_properties(script_env PROPERTIES PASS_REGULAR_EXPRESSION "GREETING=from-the-script")
add_test(NAME user_env_stays_out COMMAND ${CMAKE_COMMAND} -E env GREETING=x ./paths.wasm env USER_SECRET)
set_tests_properties(user_env_stays_out PROPERTIES PASS_REGULAR_EXPRESSION "USER_SECRET=\\(unset\\)")
if(WITH_PYTHON)
  add_test(NAME python_runner COMMAND python3 ${CMAKE_SOURCE_DIR}/run.py $<TARGET_FILE:paths>
           ${CMAKE_SOURCE_DIR}/data/input.txt)
endif()
)cm");
  write_file(dir / "src/run.cmake", R"cm(execute_process(COMMAND ${TEST_PROGRAM} read ${DATA} RESULT_VARIABLE status
                OUTPUT_VARIABLE out)
if(NOT status EQUAL 0 OR NOT out STREQUAL "read: source data\n")
  message(FATAL_ERROR "got ${status}: ${out}")
endif()
)cm");
  write_file(dir / "src/run.sh", "set -e\nout=$(./paths.wasm read \"$1\")\n"
                                 "test \"$out\" = 'read: source data' || { echo \"got: $out\"; exit 1; }\n");
  fs::permissions(dir / "src/run.sh", fs::perms::owner_exec, fs::perm_options::add);
  write_file(dir / "src/escape.sh",
             "if ./paths.wasm read /etc/hostname; then echo ESCAPED; exit 1; fi\n"
             "if ./paths.wasm read \"$1\"; then echo ESCAPED; exit 1; fi\n"
             "echo confined\n");
  if (python) {
    write_file(dir / "src/run.py", "import subprocess, sys\n"
                                   "ran = subprocess.run([sys.argv[1], 'read', sys.argv[2]], capture_output=True, text=True)\n"
                                   "print(ran.stdout, ran.stderr)\n"
                                   "sys.exit(0 if ran.stdout == 'read: source data\\n' else 1)\n");
  }
  write_file(dir / "src/paths.c", kProgram);
  write_file(dir / "src/data/input.txt", "source data\n");
  write_file(dir / "outside.txt", "outside every grant\n");
}

// `binfmt run` needs a user namespace with its own binfmt_misc (Linux 6.7+);
// with -v it says when it cannot make one.
bool binfmt_run_possible(const ProcessOptions& options) {
  const auto probe = run_process({WASIBUILD_BINARY, "binfmt", "run", "-v", "--", "/bin/true"}, options);
  if (probe.exit_status == 0 && probe.err.empty()) return true;
  std::cout << "SKIPPED: `wasibuild binfmt run` cannot make its namespace here: " << probe.err << "\n";
  return false;
}

}  // namespace

TEST_CASE("binfmt run: host-script tests run the program file with the test's grants under plain ctest") {
  TempDir dir;
  const bool python = fs::exists("/usr/bin/python3");
  write_script_project(dir.path(), python);
  const ProcessOptions options = options_in(dir.path());
  if (!binfmt_run_possible(options)) return;
  const fs::path build = dir / "build";
  configure_and_build(dir / "src", build, options, {python ? "-DWITH_PYTHON=ON" : "-DWITH_PYTHON=OFF"});
  const auto ran = run_process({"/usr/bin/ctest", "--output-on-failure"}, [&] {
    ProcessOptions in_build = options;
    in_build.working_directory = build;
    in_build.environment["USER_SECRET"] = "hunter2";
    return in_build;
  }());
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out.find(python ? "100% tests passed, 0 tests failed out of 8" : "100% tests passed, 0 tests failed out of 7") !=
        std::string::npos);
  // The escape test's own output: both reads refused.
  const auto verbose = run_process({"/usr/bin/ctest", "-V", "-R", "^escape$"}, [&] {
    ProcessOptions in_build = options;
    in_build.working_directory = build;
    return in_build;
  }());
  CHECK(verbose.out.find("cannot open /etc/hostname") != std::string::npos);
  CHECK(verbose.out.find("confined") != std::string::npos);
  CHECK(verbose.out.find("ESCAPED") == std::string::npos);
}

TEST_CASE("attack: WASIBUILD_BINFMT_GRANTS holding a flag that is no grant is refused" *
          doctest::test_suite("attack")) {
  TempDir dir;
  write_project(dir.path());
  const ProcessOptions options = options_in(dir.path());
  SUBCASE("binfmt run refuses it") {
    for (const std::vector<std::string>& grants :
         {std::vector<std::string>{"--allow-precompiled"}, {"--dir", "--allow-precompiled"}, {"prog.wasm"}}) {
      std::vector<std::string> command{WASIBUILD_BINARY, "binfmt", "run"};
      command.insert(command.end(), grants.begin(), grants.end());
      command.insert(command.end(), {"--", "/bin/echo", "RAN"});
      const auto ran = run_process(command, options);
      CHECK(ran.exit_status == 1);
      CHECK(ran.out.empty());
      CHECK(ran.err.starts_with("wasibuild: error: binfmt run: "));
    }
    const auto ran = run_process({WASIBUILD_BINARY, "binfmt", "run", "--allow-precompiled", "--", "/bin/echo"}, options);
    CHECK(ran.err ==
          "wasibuild: error: binfmt run: --allow-precompiled is not a grant or limit flag (only --dir, --dir-ro, "
          "--dir-build, --build-root, --host-cwd, --env, --env-file, --inherit-env, --env-names-from, --env-changed-since, "
          "--private-tmp, --allow-tcp-connect, --allow-tcp-listen, --allow-udp, --allow-dns, --trace-denials, "
                     "--max-memory, --max-wasm-stack, --timeout, --fuel, --max-threads)\n");
  }
  SUBCASE("the module's start refuses it") {
    if (!binfmt_run_possible(options)) return;
    const fs::path build = dir / "build";
    configure_and_build(dir / "src", build, options);
    const std::string module = (build / "paths.wasm").string();
    const auto ran = run_process(
        {WASIBUILD_BINARY, "binfmt", "run", "--", "/bin/sh", "-c",
         "'" + module + "' hello; echo \"status $?\"; WASIBUILD_BINFMT_GRANTS='--dir\n--allow-precompiled' '" + module +
             "' hello; echo \"status $?\""},
        options);
    INFO(ran.out << ran.err);
    CHECK(ran.out == "hello from the module\nstatus 0\nstatus 125\n");
    CHECK(ran.err == "wasibuild: error: WASIBUILD_BINFMT_GRANTS: --dir needs a value, not --allow-precompiled\n");
  }
}

TEST_CASE("binfmt run: where the namespace cannot be made the command runs unchanged and silent") {
  TempDir dir;
  const ProcessOptions options = options_in(dir.path());
  // binfmt_misc cannot register an interpreter whose path holds ':'.
  const fs::path copy = dir / "a:b" / "wasibuild";
  fs::create_directories(copy.parent_path());
  fs::copy_file(WASIBUILD_BINARY, copy);
  const auto quiet = run_process({copy.string(), "binfmt", "run", "--", "/bin/sh", "-c", "echo ran \"$@\"", "sh", "x"},
                                 options);
  CHECK(quiet.exit_status == 0);
  CHECK(quiet.out == "ran x\n");
  CHECK(quiet.err.empty());
  const auto noted = run_process({copy.string(), "binfmt", "run", "-v", "--", "/bin/sh", "-c", "exit 3"}, options);
  CHECK(noted.exit_status == 3);
  CHECK(noted.err == "wasibuild: note: " + copy.string() +
                         ": not a path binfmt_misc can register; running /bin/sh without it\n");
  const auto missing = run_process({WASIBUILD_BINARY, "binfmt", "run", "--", "/nonexistent/cmd"}, options);
  CHECK(missing.exit_status == 127);
  CHECK(missing.err == "wasibuild: error: /nonexistent/cmd: cannot run it: No such file or directory\n");
}
