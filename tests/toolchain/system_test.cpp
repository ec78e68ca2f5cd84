// The system provider, on this machine and on fake trees.
#include <doctest/doctest.h>

#include <filesystem>

#include "process.hpp"
#include "wasibuild/toolchain.hpp"

using namespace wasibuild::toolchain;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;
namespace fs = std::filesystem;

TEST_CASE("Debian's clang-19 and wasi-libc are found") {
  SystemSearch search;
  search.path = {"/usr/local/bin", "/usr/bin", "/bin"};
  auto found = discover_system(search);
  REQUIRE(found.ok());
  const Toolchain& toolchain = found.value();
  CHECK(toolchain.name == "system");
  CHECK(toolchain.provider == Provider::system);
  CHECK(toolchain.clang == "/usr/bin/clang-19");
  CHECK(toolchain.clangxx == "/usr/bin/clang++-19");
  CHECK(toolchain.ar == "/usr/bin/llvm-ar-19");
  CHECK(toolchain.sysroot == "/usr");
  CHECK(toolchain.version.starts_with("19."));
  CHECK(toolchain.capabilities.targets == std::vector<std::string>{"wasm32-wasi"});
  CHECK(toolchain.default_target == "wasm32-wasi");
}

TEST_CASE("the Debian toolchain's capabilities are probed by compiling") {
  SystemSearch search;
  search.path = {"/usr/bin"};
  auto found = discover_system(search);
  REQUIRE(found.ok());
  TempDir scratch;
  const Capabilities caps = probe_capabilities(found.value(), scratch.path());
  // Debian's wasm32 libc++ has no <fstream>/<filesystem>, no exceptions, no
  // threads, and its 2022 wasi-libc no setjmp.h.
  CHECK_FALSE(caps.filesystem);
  CHECK_FALSE(caps.exceptions);
  CHECK_FALSE(caps.threads);
  CHECK_FALSE(caps.setjmp);
}

TEST_CASE("no sysroot, or a wrong WASI_SYSROOT, is an error with the remedy") {
  TempDir empty;
  SystemSearch search;
  search.path = {"/usr/bin"};
  search.root = empty.path();
  search.wasi_sysroot = empty / "nope";
  auto found = discover_system(search);
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().kind == Error::Kind::no_toolchain);
  CHECK(found.error().help.front().starts_with("on Debian or Ubuntu: apt-get install wasi-libc"));
}

TEST_CASE("a sysroot in the Fedora/Arch layout is found under the root") {
  TempDir root;
  fs::create_directories(root / "usr/share/wasi-sysroot/lib/wasm32-wasip1");
  write_file(root / "usr/share/wasi-sysroot/lib/wasm32-wasip1/libc.a", "!<arch>\n");
  SystemSearch search;
  search.path = {"/usr/bin"};
  search.root = root.path();
  auto found = discover_system(search);
  REQUIRE(found.ok());
  CHECK(found.value().sysroot == root / "usr/share/wasi-sysroot");
  CHECK(found.value().capabilities.targets == std::vector<std::string>{"wasm32-wasip1"});
  CHECK(found.value().default_target == "wasm32-wasip1");
}

TEST_CASE("a clang without wasm support is passed over") {
  TempDir bin;
  // A clang whose wasm32 builtins do not exist.
  write_file(bin / "clang", "#!/bin/sh\necho /nonexistent/libclang_rt.builtins-wasm32.a\n");
  write_file(bin / "clang++", "#!/bin/sh\nexit 0\n");
  write_file(bin / "wasm-ld", "#!/bin/sh\nexit 0\n");
  for (const char* name : {"clang", "clang++", "wasm-ld"}) fs::permissions(bin / name, fs::perms::owner_all);
  SystemSearch search;
  search.path = {bin.path()};
  auto found = discover_system(search);
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().detail == "no clang with wasm32 support (wasm-ld and compiler-rt) on PATH");
}

TEST_CASE("Debian's /usr sysroot is presented without the host's headers") {
  TempDir data;
  SystemSearch search;
  search.path = {"/usr/bin"};
  search.isolated_view = data / "system-sysroot";
  auto found = discover_system(search);
  REQUIRE(found.ok());
  const Toolchain& toolchain = found.value();
  CHECK(toolchain.sysroot == data / "system-sysroot");
  CHECK(fs::read_symlink(data / "system-sysroot/include/wasm32-wasi") == "/usr/include/wasm32-wasi");
  CHECK_FALSE(fs::exists(data / "system-sysroot/include/stdio.h"));

  // glibc's <linux/limits.h> must not satisfy a wasm build; wasi-libc's <stdio.h> must.
  write_file(data / "leak.c", "#include <linux/limits.h>\nint main(void) { return 0; }\n");
  write_file(data / "ok.c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n");
  const auto compile = [&](const char* source) {
    return wasibuild::testing::run_process({toolchain.clang.string(), "--target=wasm32-wasi",
                                            "--sysroot=" + toolchain.sysroot.string(), (data / source).string(), "-o",
                                            (data / "out.wasm").string()},
                                           {{{"PATH", "/usr/bin:/bin"}}, "", {}});
  };
  const auto leak = compile("leak.c");
  CHECK(leak.exit_status != 0);
  CHECK(leak.err.find("'linux/limits.h' file not found") != std::string::npos);
  CHECK(compile("ok.c").exit_status == 0);

  // A second discovery reuses the view.
  auto again = discover_system(search);
  CHECK(again.value().sysroot == data / "system-sysroot");
}
