// The setjmp capability means "setjmp for standard exception handling", as
// wasi.cmake's native setjmp mode uses it (WASI SDK 26+), not "a setjmp.h".
#include <doctest/doctest.h>

#include <filesystem>

#include "process.hpp"
#include "wasibuild/toolchain.hpp"

using namespace wasibuild::toolchain;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;
namespace fs = std::filesystem;

TEST_CASE("a setjmp.h for the legacy form (WASI SDK 22-25) is not the setjmp capability") {
  // Debian's wasi-libc plus a setjmp.h and a libsetjmp.a, as SDKs 22-25
  // ship them, under a clang that predates -wasm-use-legacy-eh (clang 19).
  TempDir sysroot;
  fs::create_directories(sysroot / "include/wasm32-wasi");
  for (const auto& entry : fs::directory_iterator("/usr/include/wasm32-wasi")) {
    fs::create_symlink(entry.path(), sysroot.path() / "include/wasm32-wasi" / entry.path().filename());
  }
  fs::create_directories(sysroot / "lib/wasm32-wasi");
  for (const auto& entry : fs::directory_iterator("/usr/lib/wasm32-wasi")) {
    fs::create_symlink(entry.path(), sysroot.path() / "lib/wasm32-wasi" / entry.path().filename());
  }
  write_file(sysroot / "include/wasm32-wasi/setjmp.h",
             "typedef long jmp_buf[8];\nint setjmp(jmp_buf) __attribute__((returns_twice));\n"
             "void longjmp(jmp_buf, int);\n");
  write_file(sysroot / "lib/wasm32-wasi/libsetjmp.a", "!<arch>\n");
  Toolchain toolchain;
  toolchain.clang = "/usr/bin/clang-19";
  toolchain.clangxx = "/usr/bin/clang++-19";
  toolchain.sysroot = sysroot.path();
  toolchain.default_target = "wasm32-wasi";
  TempDir scratch;
  CHECK_FALSE(probe_capabilities(toolchain, scratch.path()).setjmp);
}
