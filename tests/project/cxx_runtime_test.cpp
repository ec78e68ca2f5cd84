// The C++ runtime real projects expect, end to end with real CMake builds
// run by CTest in the runner:
// - <fstream> on a libc++ built without filesystem support (Debian's wasm32
//   libc++ 19 and 22; cmake-modules/support/cxx), with configure checks that
//   see file streams but still no std::filesystem;
// - C++ exceptions with the toolchain scripts/setup.sh assembles from
//   Debian's LLVM 23 runtimes (debian-llvm23), installed from its archive
//   into the test's own WASIBUILD_HOME through `toolchain install --from`,
//   chosen by name, as a user would;
// - with that toolchain's libc++ (built with filesystem and threads on),
//   std::filesystem, the locking primitives, and find_package(Threads).
#include <filesystem>

#include "../support/cmake_project.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kClang22 = WASIBUILD_TEST_CLANG22_TOOLCHAIN;
const fs::path kLlvm23Archive = WASIBUILD_TEST_LLVM23_ARCHIVE;

// Writes, appends, reads back as text, binary and wide text, and fails to
// open what does not exist; every result checked by the program.
constexpr const char* kStreams = R"(#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <version>

static int failures;
#define EXPECT(what) do { if (!(what)) { std::printf("FAILED line %d: %s\n", __LINE__, #what); ++failures; } } while (0)

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "streams.txt";
  {
    std::ofstream out(path);
    out << "first " << 42 << "\n";
    EXPECT(out.good());
  }
  {
    std::fstream both(path, std::ios::in | std::ios::out | std::ios::ate);
    EXPECT(both.is_open());
    both << "second\n";
  }
  std::ifstream in(path);
  std::string line;
  EXPECT(std::getline(in, line) && line == "first 42");
  EXPECT(std::getline(in, line) && line == "second");
  std::ifstream binary(path, std::ios::binary);
  std::stringstream all;
  all << binary.rdbuf();
  EXPECT(all.str() == "first 42\nsecond\n");
  std::wifstream wide(path);
  std::wstring wide_line;
  EXPECT(std::getline(wide, wide_line) && wide_line == L"first 42");
  std::ifstream missing("no/such/file");
  EXPECT(!missing.is_open() && missing.fail());
#if defined(__cpp_lib_filesystem) != defined(EXPECT_FILESYSTEM)
  EXPECT(!"std::filesystem announced where its operations are missing, or the reverse");
#endif
  std::printf(failures ? "streams: %d failed\n" : "streams: all passed\n", failures);
  return failures != 0;
}
)";

constexpr const char* kStreamsCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(streams CXX)
include(CheckIncludeFileCXX)
include(CheckCXXSourceCompiles)
check_include_file_cxx(fstream HAVE_FSTREAM)
check_cxx_source_compiles("#include <fstream>
int main() { std::ofstream out(\"x\"); return out.good() ? 0 : 1; }" LINKS_OFSTREAM)
check_cxx_source_compiles("#include <filesystem>
int main() { return std::filesystem::exists(\"x\") ? 0 : 1; }" LINKS_FILESYSTEM)
message(STATUS "fstream=${HAVE_FSTREAM} ofstream=${LINKS_OFSTREAM} filesystem=${LINKS_FILESYSTEM}")
enable_testing()
add_executable(streams streams.cpp)
target_compile_options(streams PRIVATE -Wall -Wextra -Werror)
if(EXPECT_FILESYSTEM)
  target_compile_definitions(streams PRIVATE EXPECT_FILESYSTEM)
endif()
add_test(NAME streams COMMAND streams)
set_tests_properties(streams PROPERTIES PASS_REGULAR_EXPRESSION "streams: all passed")
)";

enum class Filesystem { absent, present };

// Returns the configure's output.
std::string check_streams(const CMakeProject& project, std::vector<std::string> definitions,
                          Filesystem filesystem = Filesystem::absent) {
  write_file(project.source / "CMakeLists.txt", kStreamsCMakeLists);
  write_file(project.source / "streams.cpp", kStreams);
  const bool present = filesystem == Filesystem::present;
  definitions.push_back(present ? "-DEXPECT_FILESYSTEM=ON" : "-DEXPECT_FILESYSTEM=OFF");
  const auto configured = configure_build_and_ctest(project, definitions, 1);
  CHECK(configured.out.find(present ? "-- fstream=1 ofstream=1 filesystem=1\n" : "-- fstream=1 ofstream=1 filesystem=\n") !=
        std::string::npos);
  return configured.out;
}

}  // namespace

TEST_CASE("<fstream> works with Debian's clang 19 and libc++ 19, and std::filesystem stays absent") {
  CMakeProject project;
  const std::string configured = check_streams(project, {});
  // Said once, with the remedy, instead of clang's error at each `try`.
  CHECK(configured.find("-- wasibuild: C++ exceptions off: the toolchain's libc++ has none") != std::string::npos);
  // The same module outside CTest: the file lands in the granted directory.
  TempDir data;
  const auto ran = project.wasibuild.exec(
      {"--dir", data.path().string() + "::/data", (project.build / "streams.wasm").string(), "/data/out.txt"});
  CHECK(ran.out == "streams: all passed\n");
  CHECK(ran.exit_status == 0);
  CHECK(read_file(data / "out.txt") == "first 42\nsecond\n");
}

TEST_CASE("<fstream> works with clang 22 and libc++ 22") {
  if (!have_toolchain_dir(kClang22, "clang 22 WASI toolchain")) return;
  CMakeProject project;
  check_streams(project, toolchain_dir_definitions(kClang22));
}

// clang 22 reports __COUNTER__ as a C2y extension, which a project's
// -pedantic-errors (doctest) makes an error that -Wno-error leaves alone;
// -Wno-error=pedantic turns it back into a warning. (clang 19 cannot
// downgrade what -pedantic-errors raises: docs/toolchains.md.)
TEST_CASE("with clang 22, a project's -pedantic-errors does not stop its build unless WASIBUILD_KEEP_WERROR is on") {
  if (!have_toolchain_dir(kClang22, "clang 22 WASI toolchain")) return;
  CMakeProject project;
  write_file(project.source / "CMakeLists.txt", R"(cmake_minimum_required(VERSION 3.25)
project(strict CXX)
add_compile_options(-Werror -pedantic-errors)
add_executable(strict strict.cpp)
)");
  write_file(project.source / "strict.cpp", "static int first = __COUNTER__;\nint main() { return first; }\n");
  std::vector<std::string> definitions = toolchain_dir_definitions(kClang22);
  definitions.push_back("-DWASIBUILD_KEEP_WERROR=OFF");
  REQUIRE(project.configure(definitions).exit_status == 0);
  const auto built = project.build_all();
  INFO(built.out << built.err);
  CHECK(built.exit_status == 0);
  CHECK(built.out.find("warning: '__COUNTER__' is a C2y extension") != std::string::npos);

  definitions.back() = "-DWASIBUILD_KEEP_WERROR=ON";
  REQUIRE(project.configure(definitions).exit_status == 0);
  const auto kept = project.build_all();
  CHECK(kept.exit_status != 0);
  CHECK(kept.out.find("error: '__COUNTER__' is a C2y extension") != std::string::npos);
}

namespace {

// Throws across frames (destructors run on the way), catches by base class,
// rethrows, catches libc++'s own exceptions, nests try in catch, and mixes
// exceptions with setjmp/longjmp; an uncaught exception ends the program.
constexpr const char* kExceptions = R"(#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

static int failures;
#define EXPECT(what) do { if (!(what)) { std::printf("FAILED line %d: %s\n", __LINE__, #what); ++failures; } } while (0)

static int destroyed;
struct Guard { ~Guard() { ++destroyed; } };
struct Custom : std::runtime_error { int code; Custom(int c) : std::runtime_error("custom"), code(c) {} };

static void deepest(int depth) {
  Guard guard;
  if (depth == 0) throw Custom(7);
  deepest(depth - 1);
}

static std::jmp_buf env;

int main(int argc, char**) {
  try { deepest(5); } catch (const std::exception& e) {
    EXPECT(std::strcmp(e.what(), "custom") == 0);
    EXPECT(dynamic_cast<const Custom*>(&e) && dynamic_cast<const Custom&>(e).code == 7);
  }
  EXPECT(destroyed == 6);
  try {
    try { throw std::string("inner"); } catch (std::string& s) { s += "+"; throw; }
  } catch (const std::string& s) { EXPECT(s == "inner+"); }
  try { (void)std::vector<int>(3).at(5); EXPECT(false); } catch (const std::out_of_range&) {}
  try { (void)std::map<int, int>().at(1); EXPECT(false); } catch (const std::out_of_range&) {}
  try { throw 1; } catch (int) { try { throw 2.0; } catch (double d) { EXPECT(d == 2.0); } }
  bool caught_all = false;
  try { throw Guard(); } catch (...) { caught_all = true; }
  EXPECT(caught_all);
  volatile int jumps = 0;
  if (setjmp(env) == 0) { ++jumps; std::longjmp(env, 1); }
  EXPECT(jumps == 1);
  std::printf(failures ? "exceptions: %d failed\n" : "exceptions: all passed\n", failures);
  if (argc > 1) throw std::logic_error("nobody catches this");
  return failures != 0;
}
)";

constexpr const char* kExceptionsCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(exceptions CXX)
include(CheckCXXSourceCompiles)
check_cxx_source_compiles("int main() { try { throw 1; } catch (int) {} return 0; }" LINKS_TRY)
message(STATUS "try=${LINKS_TRY}")
enable_testing()
add_executable(exceptions exceptions.cpp)
target_compile_options(exceptions PRIVATE -Wall -Wextra -Werror)
add_test(NAME exceptions COMMAND exceptions)
set_tests_properties(exceptions PROPERTIES PASS_REGULAR_EXPRESSION "exceptions: all passed")
add_test(NAME uncaught COMMAND exceptions uncaught)
set_tests_properties(uncaught PROPERTIES WILL_FAIL TRUE)
)";

}  // namespace

namespace {

bool use_llvm23(CMakeProject& project) { return use_llvm23_archive(project, kLlvm23Archive); }

}  // namespace

TEST_CASE("C++ exceptions and <fstream> with the assembled debian-llvm23 toolchain, installed --from its archive") {
  CMakeProject project;
  if (!use_llvm23(project)) return;
  const auto listed = project.wasibuild({"toolchain", "list"});
  CHECK(listed.out.find("exceptions yes, <filesystem> yes, threads yes, setjmp yes") != std::string::npos);

  write_file(project.source / "CMakeLists.txt", kExceptionsCMakeLists);
  write_file(project.source / "exceptions.cpp", kExceptions);
  const auto configured = configure_build_and_ctest(project, {}, 2);
  CHECK(configured.out.find("-- try=1\n") != std::string::npos);  // configure checks see exceptions too
  // Uncaught: no handler in wasm, so the throw traps in the engine (exit
  // 134, as abort()), and the backtrace names where it was thrown.
  const auto uncaught = project.wasibuild.exec({(project.build / "exceptions.wasm").string(), "uncaught"});
  CHECK(uncaught.out == "exceptions: all passed\n");
  CHECK(uncaught.err.find("thrown Wasm exception") != std::string::npos);
  CHECK(uncaught.err.find("__cxa_throw") != std::string::npos);
  CHECK(uncaught.exit_status == 134);

  // The driver's own build (`wasibuild new`, then `run`): it hands the
  // toolchain's probed exception support to the toolchain file.
  const auto created = project.run({WASIBUILD_BINARY, "new", "thrower"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_status == 0);
  write_file(project.dir / "thrower/src/main.cpp",
             "#include <cstdio>\n#include <stdexcept>\nint main() {\n"
             "  try { throw std::runtime_error(\"from the driver\"); }\n"
             "  catch (const std::exception& e) { std::printf(\"caught %s\\n\", e.what()); }\n}\n");
  ProcessOptions in_project = project.wasibuild.options;
  in_project.working_directory = project.dir / "thrower";
  const auto driven = run_process({WASIBUILD_BINARY, "run"}, in_project);
  INFO(driven.out << driven.err);
  CHECK(driven.exit_status == 0);
  CHECK(driven.out.ends_with("\ncaught from the driver\n"));  // after the build's own output
  // `test --no-build` finds that build: the toolchain's default target here
  // is wasm32-wasip1, which it must take as `build` did.
  const auto no_build = run_process({WASIBUILD_BINARY, "test", "--no-build", "greeting"}, in_project);
  INFO(no_build.out << no_build.err);
  CHECK(no_build.exit_status == 0);
  CHECK(no_build.out.find("build/wasm32-wasip1/debug") != std::string::npos);

  CMakeProject streams;
  streams.wasibuild.options.environment["WASIBUILD_HOME"] = project.wasibuild.home.path().string();
  streams.wasibuild.options.environment["WASIBUILD_TOOLCHAIN"] = "debian-llvm23";
  CHECK(check_streams(streams, {}, Filesystem::present).find("C++ exceptions off") == std::string::npos);
}

namespace {

// What test frameworks and libraries take for granted of a hosted C++: the
// file-system library, and the locking primitives even on a target with one
// thread. Starting a std::thread there throws std::system_error, which a
// program can catch (wasm32-wasip1 has no threads; issue: threads target).
constexpr const char* kHosted = R"(#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <system_error>
#include <thread>

static int failures;
#define EXPECT(what) do { if (!(what)) { std::printf("FAILED line %d: %s\n", __LINE__, #what); ++failures; } } while (0)

namespace fs = std::filesystem;

static void files(const fs::path& root) {
  EXPECT(fs::create_directories(root / "a/b"));
  { std::ofstream(root / "a/b/data.txt") << "12345"; }
  EXPECT(fs::file_size(root / "a/b/data.txt") == 5);
  EXPECT(fs::copy_file(root / "a/b/data.txt", root / "a/copy.txt"));
  fs::rename(root / "a/b/data.txt", root / "a/moved.txt");
  int entries = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) entries += entry.is_regular_file() ? 1 : 0;
  EXPECT(entries == 2);
  std::error_code error;
  (void)fs::file_size(root / "missing", error);
  EXPECT(error == std::errc::no_such_file_or_directory);
  EXPECT(fs::remove_all(root) == 5);
  EXPECT(!fs::exists(root));
}

static void locks() {
  std::mutex mutex;
  { std::lock_guard lock(mutex); }
  std::recursive_mutex recursive;
  recursive.lock(); recursive.lock(); recursive.unlock(); recursive.unlock();
  std::shared_mutex shared;
  { std::shared_lock reading(shared); }
  std::once_flag once;
  int calls = 0;
  std::call_once(once, [&] { ++calls; });
  std::call_once(once, [&] { ++calls; });
  EXPECT(calls == 1);
  std::condition_variable ready;
  std::unique_lock lock(mutex);
  EXPECT(ready.wait_for(lock, std::chrono::milliseconds(5)) == std::cv_status::timeout);
  EXPECT(std::async(std::launch::deferred, [] { return 6 * 7; }).get() == 42);
  thread_local int per_thread = 3;
  EXPECT(per_thread == 3);
}

int* legacy_new();

int main(int argc, char** argv) {
  files(argc > 1 ? argv[1] : "tree");
  int* one = legacy_new();
  EXPECT(one && *one == 1);
  delete one;
  locks();
  bool refused = false;
  try { std::thread([] {}).join(); } catch (const std::system_error&) { refused = true; }
  EXPECT(refused);
  std::printf(failures ? "hosted: %d failed\n" : "hosted: all passed\n", failures);
  return failures != 0;
}
)";

// Written against headers that bring <new> along (libstdc++, libc++ before
// 23): the toolchain file keeps libc++ 23's transitive includes.
constexpr const char* kLegacyIncludes = R"(#include <string>
#include <vector>
int* legacy_new() { return new (std::nothrow) int(static_cast<int>(std::vector<std::string>{"a"}.size())); }
)";

constexpr const char* kHostedCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(hosted CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(Threads REQUIRED)
include(CheckCXXSourceCompiles)
check_cxx_source_compiles("#include <thread>
int main() { std::thread t([] {}); t.join(); }" LINKS_THREAD)
message(STATUS "threads=${Threads_FOUND} pthreads=${CMAKE_USE_PTHREADS_INIT} thread=${LINKS_THREAD}")
enable_testing()
add_executable(hosted hosted.cpp legacy_includes.cpp)
target_link_libraries(hosted PRIVATE Threads::Threads)
target_compile_options(hosted PRIVATE -Wall -Wextra -Werror)
add_test(NAME hosted COMMAND hosted)
set_tests_properties(hosted PROPERTIES PASS_REGULAR_EXPRESSION "hosted: all passed")
)";

}  // namespace

TEST_CASE("std::filesystem, std::mutex and a std::thread that cannot start, with debian-llvm23") {
  CMakeProject project;
  if (!use_llvm23(project)) return;
  write_file(project.source / "CMakeLists.txt", kHostedCMakeLists);
  write_file(project.source / "hosted.cpp", kHosted);
  write_file(project.source / "legacy_includes.cpp", kLegacyIncludes);
  const auto configured = configure_build_and_ctest(project, {}, 1);
  CHECK(configured.out.find("-- threads=TRUE pthreads=1 thread=1\n") != std::string::npos);
  // Outside CTest too, in a granted directory, where nothing is left behind.
  TempDir data;
  const auto ran =
      project.wasibuild.exec({"--dir", data.path().string() + "::/data", (project.build / "hosted.wasm").string(), "/data/t"});
  CHECK(ran.out == "hosted: all passed\n");
  CHECK(ran.exit_status == 0);
  CHECK(fs::is_empty(data.path()));
}
