// A sysroot-only archive (like the SDK's wasi-sysroot-*.tar.gz) installs
// paired with the system clang, and that pair builds programs that run.
#include <filesystem>

#include "../exec/exec_helpers.hpp"
#include "archive_builder.hpp"
#include "fake_sdk.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

TEST_CASE("a sysroot-only archive is paired with the system clang") {
  TempDir work;
  const fs::path sdk = make_fake_wasi_sdk(work.path());
  const fs::path archive = work / "wasi-sysroot-99.0.tar.gz";
  write_tree_tar_gz(archive, sdk / "share/wasi-sysroot", "wasi-sysroot-99.0");

  Wasibuild wasibuild;
  const auto installed = wasibuild({"toolchain", "install", "--from", archive.string(), "-q"});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_status == 0);
  CHECK(installed.out.empty());  // -q: nothing but errors
  CHECK(installed.err.empty());
  const fs::path root = wasibuild.home.path() / "data/toolchains/wasi-sysroot-99.0";
  CHECK(fs::exists(root / "lib/wasm32-wasi/libc.a"));

  const auto which = wasibuild({"toolchain", "which", "--toolchain", "wasi-sysroot-99.0"});
  INFO(which.out << which.err);
  CHECK(which.out.find("  clang    /usr/bin/clang-19\n") != std::string::npos);
  CHECK(which.out.find("  sysroot  " + root.string() + "\n") != std::string::npos);

  write_file(work / "hi.c", "#include <stdio.h>\nint main(void) { puts(\"paired\"); return 0; }\n");
  const auto compiled = run_process({"/usr/bin/clang-19", "--target=wasm32-wasi", "--sysroot=" + root.string(),
                                     (work / "hi.c").string(), "-o", (work / "hi.wasm").string()},
                                    {{{"PATH", "/usr/bin:/bin"}}, "", {}});
  INFO(compiled.err);
  REQUIRE(compiled.exit_status == 0);
  CHECK(wasibuild.exec({(work / "hi.wasm").string()}).out == "paired\n");
}
