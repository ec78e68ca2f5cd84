// What the drop-in toolchain file does for unmodified projects
// (cmake-modules/WasiTests.cmake, WasiSupport.cmake, the emulation block of
// wasi.cmake), on a plain CMake project with old policies, as many real
// projects have: host launchers for old-style and script tests, CTest's
// ENVIRONMENT reaching the guest and nothing else, a private /tmp per run,
// wasi-libc's emulated pieces, -fstack-protector, and a SHARED library that
// shares its output name with a STATIC one.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../exec/exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

std::string share_dir() { return fs::path(WASIBUILD_BINARY).parent_path().parent_path() / "share/wasibuild"; }

// Configures `source` into `build` with the toolchain file (and `extra`
// cache options), then builds it; both must succeed.
void configure_and_build(const fs::path& source, const fs::path& build, const ProcessOptions& options,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> configure{"/usr/bin/cmake", "-G", "Ninja",
                                     "-DCMAKE_TOOLCHAIN_FILE=" + share_dir() + "/cmake/wasi.cmake",
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

void write_project(const fs::path& dir) {
  write_file(dir / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.5)
project(probe C)
enable_testing()
add_library(shape SHARED shape.c)
add_library(shape_static STATIC shape.c)
set_target_properties(shape_static PROPERTIES OUTPUT_NAME shape)
add_executable(libc_pieces libc_pieces.c)
target_link_libraries(libc_pieces shape)
add_executable(smash smash.c)
target_compile_options(smash PRIVATE -fstack-protector-all)
add_executable(envtmp envtmp.c)
add_test(old_signature libc_pieces)
set_tests_properties(old_signature PROPERTIES PASS_REGULAR_EXPRESSION "signal ok clock ok mmap ok pid ok sides 4")
add_test(NAME script COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/script.sh ${CMAKE_CURRENT_BINARY_DIR}/libc_pieces)
set_tests_properties(script PROPERTIES PASS_REGULAR_EXPRESSION "script saw: signal ok")
add_test(NAME environment COMMAND envtmp ${CMAKE_CURRENT_BINARY_DIR}/libc_pieces
  ${CMAKE_BINARY_DIR}/build.ninja ${CMAKE_BINARY_DIR}/CMakeCache.txt ${CMAKE_BINARY_DIR}/CMakeFiles/planted.sh
  ${CMAKE_BINARY_DIR}/../probe-build-sibling
  CTestTestfile.cmake build.ninja libc_pieces CTestCustom.cmake CMakeFiles/planted.cmake)
set_tests_properties(environment PROPERTIES ENVIRONMENT "GREETING=hello;SECOND=2"
  PASS_REGULAR_EXPRESSION "GREETING=hello SECOND=2 SECRET=\\(unset\\) tmp fresh own file written launcher protected")
add_test(NAME tmp_again COMMAND envtmp ${CMAKE_CURRENT_BINARY_DIR}/libc_pieces)
set_tests_properties(tmp_again PROPERTIES PASS_REGULAR_EXPRESSION "GREETING=\\(unset\\) SECOND=\\(unset\\) SECRET=\\(unset\\) tmp fresh")
)cm");
  write_file(dir / "shape.c", "int shape_sides(void) { return 4; }\n");
  write_file(dir / "libc_pieces.c", R"c(#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
int shape_sides(void);
static volatile int caught;
static void on_signal(int number) { caught = number; }
int main(void) {
  signal(SIGUSR1, on_signal);
  raise(SIGUSR1);
  clock_t used = clock();
  char* page = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int mapped = page != MAP_FAILED;
  if (mapped) { memset(page, 7, 65536); munmap(page, 65536); }
  printf("signal %s clock %s mmap %s pid %s sides %d\n", caught == SIGUSR1 ? "ok" : "missed",
         used >= 0 ? "ok" : "bad", mapped ? "ok" : "failed", getpid() > 0 ? "ok" : "bad", shape_sides());
  return 0;
}
)c");
  write_file(dir / "smash.c", R"c(#include <stdio.h>
#include <string.h>
__attribute__((noinline)) static void overflow(const char* text) {
  char small[8];
  strcpy(small, text);
  printf("%s\n", small);
}
int main(void) { overflow("this string is far longer than eight bytes"); return 0; }
)c");
  write_file(dir / "envtmp.c", R"c(#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static const char* show(const char* name) { const char* v = getenv(name); return v ? v : "(unset)"; }
int main(int argc, char** argv) {
  printf("GREETING=%s SECOND=%s SECRET=%s", show("GREETING"), show("SECOND"), show("SECRET"));
  // O_EXCL: a /tmp shared between runs would already hold the file.
  int fd = open("/tmp/probe.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
  printf(" tmp %s", fd >= 0 && write(fd, "x", 1) == 1 ? "fresh" : "shared or missing");
  if (fd >= 0) close(fd);
  // Its working directory (the build tree's top) is its own to write in...
  FILE* own = fopen("envtmp-output.txt", "w");
  printf(" own file %s", own && fputs("output", own) >= 0 && fclose(own) == 0 ? "written" : "REFUSED");
  // ...but the host runs these later (a launcher, build.ninja, CMakeCache.txt,
  // CTestCustom.cmake), by absolute or relative name: a test must not be able
  // to rewrite any, nor plant one.
  int writable = 0;
  for (int i = 1; i < argc; ++i) {
    FILE* file = fopen(argv[i], "a");
    if (file) { writable = 1; printf(" WRITABLE %s", argv[i]); fclose(file); }
  }
  printf(" launcher %s\n", writable ? "WRITABLE" : "protected");
  return 0;
}
)c");
  write_file(dir / "script.sh", "out=$(\"$1\") || exit 1\necho \"script saw: $out\"\n");
}

}  // namespace

TEST_CASE("the toolchain file runs an unmodified project's old-style, script and environment tests") {
  TempDir dir;
  const fs::path source = dir / "src";
  const fs::path build = dir / "build";
  const fs::path tmp = dir / "tmp";
  fs::create_directories(tmp);
  fs::create_directories(source);
  write_project(source);
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", (dir / "home").string()},
                         {"TMPDIR", tmp.string()}, {"SECRET", "host-only"}};
  configure_and_build(source, build, options);

  SUBCASE("a SHARED library does not clash with the STATIC one of the same name") {
    CHECK(fs::exists(build / "libshape.a"));
    CHECK(fs::exists(build / "libshape-shape_static.a"));
  }
  SUBCASE("launchers run the .wasm in the runner; emulated libc and the stack protector work") {
    REQUIRE(fs::exists(build / "libc_pieces"));
    CHECK((fs::status(build / "libc_pieces").permissions() & fs::perms::owner_exec) != fs::perms::none);
    const auto pieces = run_process({(build / "libc_pieces").string()}, options);
    CHECK(pieces.exit_status == 0);
    CHECK(pieces.out == "signal ok clock ok mmap ok pid ok sides 4\n");
    const auto smashed = run_process({(build / "smash").string()}, options);
    CHECK(smashed.exit_status == 134);
    CHECK(smashed.err.find("*** stack smashing detected ***") != std::string::npos);
  }
  SUBCASE("ctest: old add_test signature, a script test, ENVIRONMENT and a private /tmp per run") {
    const auto tested = run_process({"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure"}, options);
    INFO(tested.out << tested.err);
    CHECK(tested.exit_status == 0);
    CHECK(tested.out.find("100% tests passed, 0 tests failed out of 4") != std::string::npos);
    // Every private /tmp was removed after its run.
    CHECK(fs::is_empty(tmp));
    CHECK(read_file(build / "envtmp-output.txt") == "output");
    CHECK(read_file(build / "CTestCustom.cmake").starts_with("# Written by wasibuild's toolchain file"));
    // After the guarded runs, the host still owns its build tree.
    const auto rebuilt = run_process({"/usr/bin/cmake", "--build", build.string(), "--target", "rebuild_cache"}, options);
    CHECK(rebuilt.exit_status == 0);
  }
}

TEST_CASE("explicit toolchain variables: a WASI SDK-style bin/clang gets its bin/clang++") {
  TempDir dir;
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/bin:/bin"}, {"HOME", (dir / "home").string()}};
  // The sysroot the system toolchain presents, as `toolchain which` names it.
  const auto which = run_process({WASIBUILD_BINARY, "toolchain", "which", "--cmake"}, options);
  REQUIRE(which.exit_status == 0);
  const std::string marker = "set(WASIBUILD_SYSROOT [=[";
  const auto at = which.out.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string sysroot = which.out.substr(at + marker.size(), which.out.find("]=]", at) - at - marker.size());
  // An SDK layout: bin/clang, bin/clang++ and bin/llvm-ar without a version suffix.
  const fs::path bin = dir / "sdk/bin";
  fs::create_directories(bin);
  fs::create_symlink("/usr/bin/clang-19", bin / "clang");
  fs::create_symlink("/usr/bin/clang++-19", bin / "clang++");
  fs::create_symlink("/usr/bin/llvm-ar-19", bin / "llvm-ar");
  const fs::path source = dir / "src";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.20)\nproject(sdk CXX)\nenable_testing()\n"
             "add_executable(hi hi.cpp)\nadd_test(NAME hi COMMAND hi)\n"
             "set_tests_properties(hi PROPERTIES PASS_REGULAR_EXPRESSION \"hi from clang\\\\+\\\\+\")\n");
  write_file(source / "hi.cpp", "#include <cstdio>\nint main() { std::puts(\"hi from clang++\"); }\n");
  const fs::path build = dir / "build";
  const auto configured =
      run_process({"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + share_dir() + "/cmake/wasi.cmake",
                   "-DWASIBUILD_EXECUTABLE=" + std::string(WASIBUILD_BINARY), "-DWASIBUILD_CLANG=" + (bin / "clang").string(),
                   "-DWASIBUILD_AR=" + (bin / "llvm-ar").string(), "-DWASIBUILD_SYSROOT=" + sysroot, "-S",
                   source.string(), "-B", build.string()},
                  options);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("Check for working CXX compiler: " + (bin / "clang++").string()) != std::string::npos);
  REQUIRE(run_process({"/usr/bin/cmake", "--build", build.string()}, options).exit_status == 0);
  const auto tested = run_process({"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure"}, options);
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
}

TEST_CASE("WASIBUILD_TARGET=wasm32-wasip1 builds with a sysroot that has only the old name, wasm32-wasi") {
  TempDir dir;
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/bin:/bin"}, {"HOME", (dir / "home").string()}};
  const fs::path source = dir / "src";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.20)\nproject(p1 C)\nenable_testing()\n"
             "add_executable(hi hi.c)\nadd_test(NAME hi COMMAND hi)\n"
             "set_tests_properties(hi PROPERTIES PASS_REGULAR_EXPRESSION \"hi from p1\")\n");
  write_file(source / "hi.c", "#include <stdio.h>\nint main(void) { puts(\"hi from p1\"); return 0; }\n");
  // The system toolchain is Debian 12's: lib/wasm32-wasi only.
  configure_and_build(source, dir / "build", options, {"-DWASIBUILD_TARGET=wasm32-wasip1"});
  const auto tested = run_process({"/usr/bin/ctest", "--test-dir", (dir / "build").string(), "--output-on-failure"},
                                  options);
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
}

namespace {

// How many times `instruction` occurs in the disassembly of `module`.
std::size_t count_instruction(const fs::path& module, const std::string& instruction) {
  const auto disassembled = run_process({WASIBUILD_TEST_OBJDUMP, "-d", module.string()});
  REQUIRE(disassembled.exit_status == 0);
  std::size_t count = 0;
  for (auto at = disassembled.out.find(instruction); at != std::string::npos;
       at = disassembled.out.find(instruction, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("Release builds vectorize with wasm SIMD and interleave vectorized loops") {
  // One loop that clang vectorizes into f64x2 operations. Interleaved, its
  // body holds several f64x2.mul; LLVM's WebAssembly default (a maximum
  // interleave of 1, wasi.cmake) leaves one, and a build without -msimd128
  // none at all.
  TempDir dir;
  const fs::path source = dir / "src";
  const fs::path build = dir / "build";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.20)\nproject(axpy C)\nadd_executable(axpy axpy.c)\n");
  write_file(source / "axpy.c", R"c(#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) void axpy(double* restrict y, const double* restrict x, double a, int n) {
  for (int i = 0; i < n; ++i) y[i] += a * x[i];
}
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  double* x = malloc(sizeof(double) * n);
  double* y = malloc(sizeof(double) * n);
  for (int i = 0; i < n; ++i) { x[i] = i; y[i] = 1; }
  axpy(y, x, 0.5, n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += y[i];
  printf("sum %.1f\n", sum);
  return 0;
}
)c");
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/bin:/bin"}, {"HOME", (dir / "home").string()}};
  configure_and_build(source, build, options, {"-DCMAKE_BUILD_TYPE=Release"});

  CHECK(count_instruction(build / "axpy.wasm", "f64x2.mul") >= 2);
  // Interleaving keeps the results: sum over i of (1 + i / 2) for i < 1001.
  const auto ran = run_process({WASIBUILD_BINARY, "exec", (build / "axpy.wasm").string(), "1001"}, options);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "sum 251251.0\n");
}
