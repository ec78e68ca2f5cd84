// Release post-processing with binaryen's wasm-opt (Debian's binaryen), end
// to end: the real binary builds a generated project with real CMake, clang
// and wasm-opt, and runs the result.
#include <filesystem>

#include "../exec/exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

struct Project {
  Wasibuild wasibuild;
  TempDir dir;
  fs::path root;

  // A new application whose main traps in a named function when asked to.
  explicit Project(const std::string& name) : root(dir / name) {
    wasibuild.options.environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    wasibuild.options.working_directory = dir.path();
    REQUIRE(wasibuild({"new", name}).exit_status == 0);
    wasibuild.options.working_directory = root;
    write_file(root / "src/main.cpp", R"(#include <cstring>
#include <iostream>

#include "greeting.hpp"

__attribute__((noinline)) void deliberately_trap(int depth) {
  if (depth > 0) __builtin_trap();
}
// Called through a pointer, so that neither LLVM nor binaryen inlines it.
void (*volatile trap_through)(int) = deliberately_trap;

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "trap") == 0) trap_through(argc);
  std::cout << greeting(argc > 1 ? argv[1] : "") << '\n';
  return 0;
}
)");
  }
  void manifest(const std::string& release) {
    write_file(root / "wasibuild.toml", "[package]\nname = \"" + root.filename().string() + "\"\n" + release);
  }
  ProcessResult operator()(std::vector<std::string> arguments) { return wasibuild(std::move(arguments)); }
  [[nodiscard]] fs::path module() const { return root / "build/wasm32-wasi/release" / (root.filename().string() + ".wasm"); }
};

bool has_temp_files(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().string().ends_with(".tmp")) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a release build runs wasm-opt when one is found, and the module is smaller, keeps names and passes its tests") {
  Project project("opt");
  project.manifest("[profile.release]\nwasm-opt = false\n");
  const auto plain = project({"build", "--release"});
  INFO(plain.out << plain.err);
  REQUIRE(plain.exit_status == 0);
  CHECK(plain.out.find("build/wasm32-wasi/release/opt.wasm (") != std::string::npos);
  CHECK(plain.out.find(" KiB, debug sections stripped)\n") != std::string::npos);
  CHECK(plain.out.find(", wasm-opt -") == std::string::npos);
  const auto plain_size = fs::file_size(project.module());

  // The default: release optimizes with wasm-opt -Os, relinking what was
  // post-processed under other settings.
  project.manifest("");
  const auto optimized = project({"build", "--release"});
  INFO(optimized.out << optimized.err);
  REQUIRE(optimized.exit_status == 0);
  CHECK(optimized.out.find("Linking CXX executable opt.wasm") != std::string::npos);
  CHECK(optimized.out.find("/opt.wasm (") != std::string::npos);
  CHECK(optimized.out.find(" KiB, debug sections stripped, wasm-opt -Os)\n") != std::string::npos);
  CHECK(optimized.err.starts_with("    Finished release in "));  // no warning
  const auto optimized_size = fs::file_size(project.module());
  CHECK(optimized_size < plain_size);
  CHECK_FALSE(has_temp_files(project.root / "build"));

  // A second build neither links nor optimizes again.
  const std::string before = read_file(project.module());
  const auto again = project({"build", "--release", "-v"});
  CHECK(again.exit_status == 0);
  CHECK(again.out.find("no work to do") != std::string::npos);
  CHECK(again.out.find(", wasm-opt -Os)\n") != std::string::npos);
  CHECK(read_file(project.module()) == before);

  CHECK(project({"run", "--release", "--", "optimized"}).out.ends_with("Hello, optimized!\n"));
  const auto tested = project({"test", "--release"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);

  // -g kept the name section: a trap's backtrace still names the function.
  const auto trapped = project({"run", "--release", "--", "trap"});
  INFO(trapped.err);
  CHECK(trapped.exit_status == 134);
  CHECK(trapped.err.find("opt.wasm!deliberately_trap(int)\n") != std::string::npos);
  // wasm-opt inlines a function with one caller only while it is small:
  // main is not folded into _start, so the trap is seen to come from it.
  CHECK(trapped.err.find("opt.wasm!main\n") != std::string::npos);

  // An explicit level.
  project.manifest("[profile.release]\nwasm-opt = \"Oz\"\n");
  const auto small = project({"build", "--release"});
  CHECK(small.exit_status == 0);
  CHECK(small.out.find(" KiB, debug sections stripped, wasm-opt -Oz)\n") != std::string::npos);
  CHECK(project({"run", "--release", "--", "Oz"}).out.ends_with("Hello, Oz!\n"));

  // Debug builds are never optimized.
  const auto debug = project({"build"});
  CHECK(debug.exit_status == 0);
  CHECK(debug.out.find(", wasm-opt -") == std::string::npos);
}

TEST_CASE("a failing wasm-opt is a one-line warning and leaves a working, unoptimized module") {
  Project project("broken");
  // It writes half a module where it was told to, then fails.
  const fs::path fake = project.dir / "bin/wasm-opt";
  fs::create_directories(fake.parent_path());
  write_file(fake, R"(#!/bin/sh
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then printf 'half a module' > "$2"; fi
  shift
done
echo "[parse exception: invalid code after misc prefix: 17 (at 0:1048)]" >&2
echo "Fatal: error in parsing input" >&2
exit 1
)");
  fs::permissions(fake, fs::perms::owner_all);
  project.wasibuild.options.environment["WASIBUILD_WASM_OPT"] = fake.string();
  const auto built = project({"build", "--release"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(built.err.find("wasibuild: warning: wasm-opt failed on build/wasm32-wasi/release/broken.wasm, keeping it "
                       "unoptimized: [parse exception: invalid code after misc prefix: 17 (at 0:1048)]\n") !=
        std::string::npos);
  CHECK(built.out.find("/broken.wasm (") != std::string::npos);
  CHECK(built.out.find(" KiB, debug sections stripped, not optimized: wasm-opt failed)\n") != std::string::npos);
  CHECK_FALSE(has_temp_files(project.root / "build"));
  CHECK(read_file(project.module()).starts_with(std::string("\0asm", 4)));
  CHECK(project({"run", "--release", "--", "anyway"}).out.ends_with("Hello, anyway!\n"));
  // Not recorded as done: the next build tries again.
  CHECK(project({"build", "--release"}).err.find("wasibuild: warning: wasm-opt failed on") != std::string::npos);
}

TEST_CASE("wasm-opt asked for but missing warns once with the remedy") {
  Project project("missing");
  project.wasibuild.options.environment["WASIBUILD_WASM_OPT"] = (project.dir / "no/wasm-opt").string();
  project.manifest("[profile.release]\nwasm-opt = \"O3\"\n");
  const auto built = project({"build", "--release"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(built.err.starts_with("wasibuild: warning: profile 'release' asks for wasm-opt but WASIBUILD_WASM_OPT=" +
                         (project.dir / "no/wasm-opt").string() +
                         " is not a program; building without it (install binaryen: apt-get install binaryen)\n    Finished release in "));
  CHECK(built.out.find(" KiB, debug sections stripped)\n") != std::string::npos);
  CHECK(project({"run", "--release", "--", "still"}).out.ends_with("Hello, still!\n"));
}

TEST_CASE("a wasm-opt value that is no level stops the build at its line and column") {
  Project project("typo");
  project.manifest("[profile.release]\nwasm-opt = \"O5\"\n");
  const auto result = project({"build", "--release"});
  CHECK(result.exit_status == 1);
  CHECK(result.err == "wasibuild: error: " + (project.root / "wasibuild.toml").string() +
                          ":4:12: 'profile.release.wasm-opt' must be true, false or a wasm-opt level: "
                          "\"O1\", \"O2\", \"O3\", \"O4\", \"Os\", \"Oz\"\n");
}

TEST_CASE("doctor shows the wasm-opt it found and its version") {
  Wasibuild wasibuild;
  const auto found = wasibuild({"doctor"});
  CHECK(found.out.find("  ok      wasm-opt version 108") != std::string::npos);
  CHECK(found.out.find("(/usr/bin/wasm-opt) (optional: release post-processing)\n") != std::string::npos);
  wasibuild.options.environment["WASIBUILD_WASM_OPT"] = "/nonexistent/wasm-opt";
  const auto absent = wasibuild({"doctor"});
  CHECK(absent.out.find("  absent  wasm-opt (optional: release post-processing; apt-get install binaryen)\n") !=
        std::string::npos);
}
