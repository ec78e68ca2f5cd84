// A test must not tamper with what a later build uses: the static library
// the shipped module links, a header configure_file() generated, a source a
// custom command produced. None has an execute bit or a guarded suffix, so
// only the build graph (exec --build-root, which the toolchain file passes
// with Ninja) knows the guest must not change them. A real project, built
// and tested through the toolchain file with real CTest.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../exec/exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

void write_project(const fs::path& dir) {
  write_file(dir / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(trojan C)
enable_testing()
configure_file(config.h.in config.h)
add_custom_command(OUTPUT table.c COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_SOURCE_DIR}/table.in table.c
                   DEPENDS table.in)
add_library(shape STATIC shape.c table.c)
target_include_directories(shape PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
add_executable(app app.c)
target_link_libraries(app shape)
add_executable(tamper tamper.c)
add_test(NAME tamper COMMAND tamper libshape.a config.h table.c)
)cm");
  write_file(dir / "config.h.in", "#define SIDES 4\n");
  write_file(dir / "table.in", "int shape_table(void) { return 1; }\n");
  write_file(dir / "shape.c", "#include \"config.h\"\nint shape_sides(void) { return SIDES; }\n");
  write_file(dir / "app.c", "#include <stdio.h>\nint shape_sides(void);\n"
                            "int main(void) { printf(\"sides %d\\n\", shape_sides()); return 0; }\n");
  // Appends to each file named; then to a file of its own, created in its
  // working directory on the first run and found there on the next.
  write_file(dir / "tamper.c", R"c(#include <errno.h>
#include <stdio.h>
#include <string.h>
static void append(const char* name) {
  FILE* file = fopen(name, "a");
  if (!file) { printf("%s: %s\n", name, strerror(errno)); return; }
  int ok = fputs("/* planted */\n", file) >= 0;
  ok = fclose(file) == 0 && ok;
  printf("%s: %s\n", name, ok ? "APPENDED" : strerror(errno));
}
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) append(argv[i]);
  append("own-output.txt");
  return 0;
}
)c");
}

}  // namespace

TEST_CASE("attack: a test cannot tamper with a static library the build links" * doctest::test_suite("attack")) {
  TempDir dir;
  const fs::path source = dir / "src";
  const fs::path build = dir / "build";
  fs::create_directories(source);
  write_project(source);
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/bin:/bin"}, {"HOME", (dir / "home").string()}};
  const std::string share = fs::path(WASIBUILD_BINARY).parent_path().parent_path() / "share/wasibuild";
  const auto configured = run_process({"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + share + "/cmake/wasi.cmake",
                                       "-DWASIBUILD_EXECUTABLE=" + std::string(WASIBUILD_BINARY), "-S",
                                       source.string(), "-B", build.string()},
                                      options);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = run_process({"/usr/bin/cmake", "--build", build.string()}, options);
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);

  std::map<std::string, std::string> before;
  for (const char* name : {"libshape.a", "config.h", "table.c"}) before[name] = read_file(build / name);
  // Twice: the test's own file exists before the second run, and stays its
  // own. (Wasmtime reports the read-only mount's EROFS to the guest as EIO.)
  for (int run = 0; run < 2; ++run) {
    const auto tested = run_process({"/usr/bin/ctest", "--test-dir", build.string(), "-V"}, options);
    INFO(tested.out << tested.err);
    CHECK(tested.exit_status == 0);
    CHECK(tested.out.find("libshape.a: I/O error\n") != std::string::npos);
    CHECK(tested.out.find("config.h: I/O error\n") != std::string::npos);
    CHECK(tested.out.find("table.c: I/O error\n") != std::string::npos);
    CHECK(tested.out.find("own-output.txt: APPENDED\n") != std::string::npos);
  }
  for (const auto& [name, content] : before) {
    CAPTURE(name);
    CHECK(read_file(build / name) == content);
  }
  CHECK(read_file(build / "own-output.txt") == "/* planted */\n/* planted */\n");
  // Nothing was planted, so the build has nothing to redo.
  const auto rebuilt = run_process({"/usr/bin/cmake", "--build", build.string()}, options);
  CHECK(rebuilt.exit_status == 0);
  CHECK(rebuilt.out.find("ninja: no work to do.") != std::string::npos);
}
