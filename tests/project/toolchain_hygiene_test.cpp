// The toolchain file leaves a project's own settings alone (docs/compatibility.md):
// CMAKE_FIND_ROOT_PATH is appended to, and a dependency cross-built into its
// own prefix is found through <Pkg>_ROOT, CMAKE_PREFIX_PATH or
// CMAKE_FIND_ROOT_PATH; compile-only flags stay off the link line (so
// -Werror release builds pass); find_package(Threads REQUIRED) finds the
// single-threaded pthreads of WASI preview 1; `wasibuild env` gives the
// same emulation flags as the toolchain file. Real CMake, the real toolchain
// file, programs run by the real runner.
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../exec/exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

std::string toolchain_file() {
  return fs::path(WASIBUILD_BINARY).parent_path().parent_path() / "share/wasibuild/cmake/wasi.cmake";
}

struct Sandbox {
  TempDir dir;
  ProcessOptions options;
  Sandbox() { options.environment = {{"PATH", "/usr/bin:/bin"}, {"WASIBUILD_HOME", (dir / "home").string()}}; }
  ProcessResult run(const std::vector<std::string>& argv) const { return run_process(argv, options); }
  ProcessResult configure(const fs::path& source, const fs::path& build, std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv{"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + toolchain_file(),
                                  "-DWASIBUILD_EXECUTABLE=" + std::string(WASIBUILD_BINARY),
                                  "-DWASIBUILD_KEEP_WERROR=ON"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"-S", source.string(), "-B", build.string()});
    return run(argv);
  }
  ProcessResult build(const fs::path& build, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv{"/usr/bin/cmake", "--build", build.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  }
};

}  // namespace

TEST_CASE("a dependency cross-built into its own prefix is found by <Pkg>_ROOT and CMAKE_PREFIX_PATH and CMAKE_FIND_ROOT_PATH") {
  Sandbox box;
  const fs::path dep = box.dir / "dep";
  const fs::path prefix = box.dir / "prefix";
  fs::create_directories(dep);
  write_file(dep / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(Dep C)
add_library(dep STATIC dep.c)
target_include_directories(dep PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}> $<INSTALL_INTERFACE:include>)
install(TARGETS dep EXPORT DepTargets ARCHIVE DESTINATION lib)
install(FILES dep.h DESTINATION include)
install(EXPORT DepTargets NAMESPACE Dep:: DESTINATION lib/cmake/Dep FILE DepConfig.cmake)
)cm");
  write_file(dep / "dep.h", "int dep_answer(void);\n");
  write_file(dep / "dep.c", "#include \"dep.h\"\nint dep_answer(void) { return 42; }\n");
  {
    const auto configured = box.configure(dep, box.dir / "dep-build", {"-DCMAKE_INSTALL_PREFIX=" + prefix.string()});
    INFO(configured.out << configured.err);
    REQUIRE(configured.exit_status == 0);
    const auto installed = box.build(box.dir / "dep-build", {"--target", "install"});
    INFO(installed.out << installed.err);
    REQUIRE(installed.exit_status == 0);
  }
  REQUIRE(fs::exists(prefix / "lib/cmake/Dep/DepConfig.cmake"));

  const fs::path app = box.dir / "app";
  fs::create_directories(app);
  write_file(app / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(App C)
find_package(Dep REQUIRED CONFIG)
message(STATUS "find root path: ${CMAKE_FIND_ROOT_PATH}")
add_executable(app app.c)
target_link_libraries(app Dep::dep)
)cm");
  write_file(app / "app.c", "#include <stdio.h>\n#include <dep.h>\nint main(void) { printf(\"dep %d\\n\", dep_answer()); "
                            "return dep_answer() == 42 ? 0 : 1; }\n");
  const std::vector<std::vector<std::string>> routes = {{"-DDep_ROOT=" + prefix.string()},
                                                        {"-DCMAKE_PREFIX_PATH=" + prefix.string()},
                                                        {"-DCMAKE_FIND_ROOT_PATH=" + prefix.string()}};
  for (const auto& route : routes) {
    CAPTURE(route.front());
    const fs::path build = box.dir / "app-build";
    fs::remove_all(build);
    const auto configured = box.configure(app, build, route);
    INFO(configured.out << configured.err);
    REQUIRE(configured.exit_status == 0);
    // The user's root path is kept, not replaced by the sysroot.
    CHECK(configured.out.find(prefix.string()) != std::string::npos);
    const auto built = box.build(build);
    INFO(built.out << built.err);
    REQUIRE(built.exit_status == 0);
    const auto ran = box.run({WASIBUILD_BINARY, "exec", (build / "app.wasm").string()});
    CHECK(ran.out == "dep 42\n");
    CHECK(ran.exit_status == 0);
  }
}

TEST_CASE("a Release build with -Werror in compile and link options passes: compile-only flags stay off the link line") {
  Sandbox box;
  const fs::path source = box.dir / "src";
  const fs::path build = box.dir / "build";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(strict C CXX)
add_compile_options(-Werror)
add_link_options(-Werror)
add_executable(strict strict.c)
add_executable(strictxx strictxx.cpp)
)cm");
  write_file(source / "strict.c", "#include <stdio.h>\nint main(void) { puts(\"strict\"); return 0; }\n");
  write_file(source / "strictxx.cpp", "#include <cstdio>\nint main() { std::puts(\"strictxx\"); return 0; }\n");
  const auto configured = box.configure(source, build, {"-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_EXE_LINKER_FLAGS=-Werror"});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = box.build(build, {"--verbose"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(built.out.find("warning") == std::string::npos);
  CHECK(built.err.find("warning") == std::string::npos);
  int compiles = 0;
  int links = 0;
  std::istringstream lines(built.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" -c ") != std::string::npos) {
      ++compiles;
      CHECK(line.find("-mllvm -force-target-max-vector-interleave=4") != std::string::npos);
    } else if (line.find(" -o strict") != std::string::npos) {
      ++links;
      CHECK(line.find("-mllvm -force") == std::string::npos);
      CHECK(line.find("-Wl,-mllvm,-force-target-max-vector-interleave=4") != std::string::npos);
    }
  }
  CHECK(compiles == 2);
  CHECK(links == 2);
  CHECK(box.run({WASIBUILD_BINARY, "exec", (build / "strictxx.wasm").string()}).out == "strictxx\n");
}

TEST_CASE("find_package(Threads) finds the single-threaded pthreads of WASI preview 1 and Threads::Threads links") {
  Sandbox box;
  const fs::path source = box.dir / "src";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(threads C)
find_package(Threads REQUIRED)
if(DEFINED CMAKE_USE_PTHREADS_INIT)
  message(STATUS "pthreads init is defined")
endif()
message(STATUS "threads found: '${Threads_FOUND}'")
add_executable(single single.c)
target_link_libraries(single PRIVATE Threads::Threads)
)cm");
  write_file(source / "single.c", "#include <pthread.h>\nint main(void) { pthread_t t; "
                                  "return pthread_create(&t, 0, 0, 0) == 0; }\n");
  const auto configured = box.configure(source, box.dir / "build");
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- threads found: 'TRUE'\n") != std::string::npos);
  CHECK(configured.out.find("pthreads init is defined") != std::string::npos);
  CHECK(configured.err.find("CMake Warning") == std::string::npos);
  CHECK(box.build(box.dir / "build").exit_status == 0);
}

TEST_CASE("wasibuild env prints the emulation flags the toolchain file uses, and signal() and clock() build through it") {
  Sandbox box;
  const fs::path source = box.dir / "src";
  const fs::path build = box.dir / "build";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.20)\nproject(emul C)\nadd_executable(emul emul.c)\n");
  const std::string program = "#if !defined(__unix__) || !defined(__unix)\n#error POSIX code paths need __unix__\n#endif\n"
                              "#include <signal.h>\n#include <stdio.h>\n#include <time.h>\n"
                              "int main(void) { signal(SIGINT, SIG_IGN); printf(\"clock %d\\n\", clock() >= 0); "
                              "return 0; }\n";
  write_file(source / "emul.c", program);
  const auto configured = box.configure(source, build, {"-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  REQUIRE(box.build(build).exit_status == 0);
  const std::string commands = read_file(build / "compile_commands.json");

  ProcessOptions in_dir = box.options;
  in_dir.working_directory = box.dir.path();
  const auto printed = run_process({WASIBUILD_BINARY, "env"}, in_dir);
  REQUIRE(printed.exit_status == 0);
  int defines = 0;
  for (const char* define : {"-D__unix__=1", "-D__unix=1", "-D_WASI_EMULATED_SIGNAL",
                             "-D_WASI_EMULATED_PROCESS_CLOCKS", "-D_WASI_EMULATED_MMAN", "-D_WASI_EMULATED_GETPID"}) {
    const bool in_cmake = commands.find(define) != std::string::npos;
    CAPTURE(define);
    CHECK(in_cmake == (printed.out.find(define) != std::string::npos));
    defines += in_cmake ? 1 : 0;
  }
  CHECK(defines == 6);  // __unix__ and __unix, and Debian's wasi-libc ships all four emulations
  CHECK(printed.out.find("export LIBS='-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-mman "
                         "-lwasi-emulated-getpid'\n") != std::string::npos);
  write_file(box.dir / "env.sh", printed.out);
  write_file(box.dir / "emul.c", program);
  const auto compiled = run_process({"/bin/sh", "-c", ". ./env.sh && $CC $CFLAGS emul.c $LDFLAGS $LIBS -o emul.wasm"}, in_dir);
  INFO(compiled.err);
  REQUIRE(compiled.exit_status == 0);
  CHECK(box.run({WASIBUILD_BINARY, "exec", (box.dir / "emul.wasm").string()}).out == "clock 1\n");
}

TEST_CASE("a toolchain with C++ exceptions compiles C++ in the standard exception form and links -lunwind") {
  // An installed toolchain whose metadata says exceptions = true, as the
  // probe finds for WASI SDK 33+. No such libc++ exists on this machine (the
  // clang 22 test toolchain's libc++abi has no __cxa_throw): its clang records
  // each command line and stands in Debian's clang 19, which knows no
  // -wasm-use-legacy-eh (swapped for an option it has) and has no libunwind
  // (dropped). C++ with try/throw then compiles; it is not linked.
  Sandbox box;
  const fs::path root = box.dir / "home/data/toolchains/eh-like";
  const fs::path log = box.dir / "clang.log";
  fs::create_directories(root / "bin");
  for (const char* name : {"clang", "clang++"}) {
    write_file(root / "bin" / name,
               "#!/bin/sh\necho \"$*\" >> '" + log.string() +
                   "'\nfor arg do\n  shift\n  case $arg in\n    -wasm-use-legacy-eh=false) set -- \"$@\" "
                   "-time-passes=false ;;\n    -lunwind) ;;\n    *) set -- \"$@\" \"$arg\" ;;\n  esac\ndone\n"
                   "exec /usr/bin/" + name + "-19 \"$@\"\n");
    fs::permissions(root / "bin" / name, fs::perms::owner_all);
  }
  write_file(root / "wasibuild-toolchain.toml",
             "name = \"eh-like\"\nprovider = \"custom\"\nversion = \"33\"\ndefault_target = \"wasm32-wasi\"\n"
             "[paths]\nclang = \"bin/clang\"\nclangxx = \"bin/clang++\"\nar = \"/usr/bin/llvm-ar-19\"\n"
             "ranlib = \"/usr/bin/llvm-ranlib-19\"\nsysroot = \"/usr\"\n"
             "[capabilities]\ntargets = [\"wasm32-wasi\"]\nexceptions = true\n");
  box.options.environment["WASIBUILD_TOOLCHAIN"] = "eh-like";
  const fs::path source = box.dir / "src";
  const fs::path build = box.dir / "build";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(eh C CXX)
add_library(throwing OBJECT throwing.cpp)
add_executable(hello hello.cpp)
add_executable(plain plain.c)
)cm");
  write_file(source / "throwing.cpp",
             "int checked(int x) { try { if (x < 0) throw x; return x; } catch (int e) { return -e; } }\n");
  write_file(source / "hello.cpp", "#include <cstdio>\nint main() { std::puts(\"hello\"); return 0; }\n");
  write_file(source / "plain.c", "int main(void) { return 0; }\n");
  const auto configured = box.configure(source, build, {"-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = box.build(build);
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);

  const std::string commands = read_file(build / "compile_commands.json");
  std::istringstream lines(commands);
  int cxx = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"command\"") == std::string::npos) continue;
    const bool is_cxx = line.find(".cpp") != std::string::npos;
    cxx += is_cxx ? 1 : 0;
    CHECK((line.find("-fwasm-exceptions") != std::string::npos) == is_cxx);
    CHECK(line.find("-fno-exceptions") == std::string::npos);
    // Once: an -mllvm option given twice is an error.
    const auto first = line.find("-mllvm -wasm-use-legacy-eh=false");
    CHECK(first != std::string::npos);
    CHECK(line.find("-wasm-use-legacy-eh", first + 20) == std::string::npos);
  }
  CHECK(cxx == 2);
  const std::string calls = read_file(log);
  bool linked_unwind = false;
  std::istringstream call_lines(calls);
  for (std::string line; std::getline(call_lines, line);) {
    if (line.find("-o hello.wasm") != std::string::npos) linked_unwind = line.find("-lunwind") != std::string::npos;
  }
  CHECK(linked_unwind);

  ProcessOptions in_dir = box.options;
  in_dir.working_directory = box.dir.path();
  const auto printed = run_process({WASIBUILD_BINARY, "env"}, in_dir);
  CHECK(printed.out.find(" -fwasm-exceptions -mllvm -wasm-use-legacy-eh=false'\n") != std::string::npos);
  CHECK(printed.out.find(" -lunwind'\n") != std::string::npos);
}

TEST_CASE("a user's CMAKE_C_FLAGS and CMAKE_EXE_LINKER_FLAGS keep what the toolchain needs") {
  // Given on the command line, these replace the toolchain file's *_INIT
  // values: the emulation defines, the support headers, -fno-exceptions and
  // the 8 MiB stack must not live there.
  Sandbox box;
  const fs::path source = box.dir / "src";
  const fs::path build = box.dir / "build";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(userflags C CXX)
add_executable(userflags userflags.c)
add_executable(userflagsxx userflagsxx.cpp)
)cm");
  // signal() needs the emulation define, mkstemp() the support headers, and
  // a 1 MiB local array more than wasm-ld's 64 KiB default stack.
  write_file(source / "userflags.c", R"c(#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int use_stack(int n) { volatile char big[1 << 20]; memset((char*)big, n, sizeof big); return big[n]; }
int main(void) {
  signal(SIGINT, SIG_IGN);
  char name[] = "/tmp/userflags-XXXXXX";
  int fd = mkstemp(name);
  printf("FOO=%d mkstemp=%d stack=%d\n", FOO, fd >= 0, use_stack(3));
  return 0;
}
)c");
  write_file(source / "userflagsxx.cpp", "#include <cstdio>\nint main() { std::puts(\"xx\"); return 0; }\n");
  const auto configured = box.configure(
      source, build,
      {"-DCMAKE_C_FLAGS=-DFOO=7", "-DCMAKE_CXX_FLAGS=-DFOO=8", "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--no-demangle",
       "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = box.build(build, {"--verbose"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  const std::string commands = read_file(build / "compile_commands.json");
  CHECK(commands.find("-fno-exceptions") != std::string::npos);
  CHECK(built.out.find("-Wl,-z,stack-size=8388608") != std::string::npos);
  const auto ran = box.run({WASIBUILD_BINARY, "exec", "--private-tmp", (build / "userflags.wasm").string()});
  INFO(ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "FOO=7 mkstemp=1 stack=3\n");
}

namespace {

std::string cached(const fs::path& build, const std::string& name) {
  std::istringstream cache(read_file(build / "CMakeCache.txt"));
  const std::string prefix = name + ":";
  for (std::string line; std::getline(cache, line);) {
    if (line.starts_with(prefix)) return line.substr(line.find('=') + 1);
  }
  return "(not cached)";
}

// Rewrites one cache entry's value (nullopt: removes it), as an older
// wasibuild would have left it.
void set_cached(const fs::path& build, const std::string& name, const std::optional<std::string>& value) {
  std::istringstream cache(read_file(build / "CMakeCache.txt"));
  std::string rewritten;
  for (std::string line; std::getline(cache, line);) {
    if (line.starts_with(name + ":")) {
      if (!value) continue;
      line = line.substr(0, line.find('=') + 1) + *value;
    }
    rewritten += line + "\n";
  }
  write_file(build / "CMakeCache.txt", rewritten);
}

}  // namespace

// CMake caches the link line's libraries at the first configure: a tree an
// older wasibuild configured kept its old one, without the wraps the
// support library relies on (here: writes to /dev/null).
TEST_CASE("reconfiguring a tree an older wasibuild configured brings its link line up to date, a user's own stays") {
  Sandbox box;
  const fs::path source = box.dir / "src";
  const fs::path build = box.dir / "build";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(stale C)\n"
                                        "add_executable(stale stale.c)\n");
  write_file(source / "stale.c", R"c(#include <stdio.h>
int main(void) {
  FILE *null = fopen("/dev/null", "w");
  const int ok = null != NULL && fputs("gone\n", null) >= 0 && fclose(null) == 0;
  printf("dev/null %s\n", ok ? "ok" : "failed");
  return !ok;
}
)c");
  REQUIRE(box.configure(source, build).exit_status == 0);
  const std::string current = cached(build, "CMAKE_C_STANDARD_LIBRARIES");
  REQUIRE(current.find("--wrap=__wasi_fd_write") != std::string::npos);
  std::string older = current;
  older.erase(older.find(" -Wl,--wrap=__wasi_fd_write"), std::string(" -Wl,--wrap=__wasi_fd_write").size());
  // A tree from before the record, and one recorded by an older wasibuild.
  for (const std::optional<std::string>& record : {std::optional<std::string>(), std::optional<std::string>(older)}) {
    set_cached(build, "CMAKE_C_STANDARD_LIBRARIES", older);
    set_cached(build, "_WASIBUILD_C_STANDARD_LIBRARIES", record);
    const auto reconfigured = box.configure(source, build);
    INFO(reconfigured.out << reconfigured.err);
    REQUIRE(reconfigured.exit_status == 0);
    CHECK(cached(build, "CMAKE_C_STANDARD_LIBRARIES") == current);
  }
  const auto built = box.build(build);
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  const auto ran = box.run({WASIBUILD_BINARY, "exec", (build / "stale.wasm").string()});
  CHECK(ran.out == "dev/null ok\n");
  // A value the user chose is theirs.
  REQUIRE(box.configure(source, build, {"-DCMAKE_C_STANDARD_LIBRARIES=-lm"}).exit_status == 0);
  REQUIRE(box.configure(source, build).exit_status == 0);
  CHECK(cached(build, "CMAKE_C_STANDARD_LIBRARIES") == "-lm");
}

TEST_CASE("a project that turns threads off sees no pthread.h: the stubs come only with find_package(Threads REQUIRED)") {
  // libxml2 2.9 with -DLIBXML2_WITH_THREADS=OFF still tests for <pthread.h>
  // and, finding it, compiles a threads code path that does not build.
  Sandbox box;
  const fs::path source = box.dir / "src";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(nothreads C)
include(CheckIncludeFiles)
include(CheckFunctionExists)
find_package(Threads)
check_include_files(pthread.h HAVE_PTHREAD_H)
check_function_exists(pthread_mutex_lock HAVE_PTHREAD_MUTEX_LOCK)
message(STATUS "threads found: '${Threads_FOUND}' pthread.h: '${HAVE_PTHREAD_H}' lock: '${HAVE_PTHREAD_MUTEX_LOCK}'")
)cm");
  const auto configured = box.configure(source, box.dir / "build");
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- threads found: 'FALSE' pthread.h: '' lock: ''\n") != std::string::npos);
}

// A project's -Werror meets warnings its authors' compilers never gave;
// by default they stay warnings, and WASIBUILD_KEEP_WERROR=ON keeps -Werror.
TEST_CASE("warnings do not stop an untuned -Werror project, unless WASIBUILD_KEEP_WERROR is on") {
  Sandbox box;
  const fs::path source = box.dir / "strict";
  fs::create_directories(source);
  write_file(source / "CMakeLists.txt", R"cm(cmake_minimum_required(VERSION 3.20)
project(Strict C)
add_compile_options(-Wall -Werror)
add_executable(strict strict.c)
)cm");
  write_file(source / "strict.c", "int main(void) { int unused; return 0; }\n");

  std::vector<std::string> argv{"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + toolchain_file(),
                                "-DWASIBUILD_EXECUTABLE=" + std::string(WASIBUILD_BINARY), "-S", source.string(),
                                "-B", (box.dir / "default").string()};
  const auto configured = box.run(argv);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  CHECK(configured.out.find("-- wasibuild: warnings never stop the build (-Wno-error;") != std::string::npos);
  const auto built = box.build(box.dir / "default");
  INFO(built.out << built.err);
  CHECK(built.exit_status == 0);
  CHECK(built.out.find("warning: unused variable 'unused'") != std::string::npos);

  const auto strict = box.configure(source, box.dir / "kept");  // the Sandbox keeps -Werror
  REQUIRE(strict.exit_status == 0);
  const auto failed = box.build(box.dir / "kept");
  CHECK(failed.exit_status != 0);
  CHECK(failed.out.find("error: unused variable 'unused' [-Werror,-Wunused-variable]") != std::string::npos);

}
