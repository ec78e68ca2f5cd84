// The threads capability means "links a std::thread program into a
// wasi-threads module for a threads target in the sysroot", probed with the
// toolchain setup.sh assembles (debian-llvm23, whose sysroot has
// wasm32-wasip1-threads), not "a directory named after the target".
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "process.hpp"
#include "wasibuild/toolchain.hpp"

using namespace wasibuild::toolchain;
using wasibuild::testing::ProcessOptions;
using wasibuild::testing::run_process;
using wasibuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const fs::path kLlvm23Archive = WASIBUILD_TEST_LLVM23_ARCHIVE;

bool has_target(const Capabilities& caps, const std::string& target) {
  return std::find(caps.targets.begin(), caps.targets.end(), target) != caps.targets.end();
}

}  // namespace

TEST_CASE("a toolchain reports threads only where its threads target links a wasi-threads module") {
  if (kLlvm23Archive.empty() || !fs::exists(kLlvm23Archive)) {
    std::cout << "SKIPPED: no debian-llvm23 archive at '" << kLlvm23Archive.string()
              << "' (scripts/setup.sh assembles it)\n";
    return;
  }
  TempDir unpacked;
  ProcessOptions options;
  options.environment = {{"PATH", "/usr/bin:/bin"}};
  const auto untar = run_process({"/bin/tar", "-xzf", kLlvm23Archive.string(), "-C", unpacked.path().string()}, options);
  INFO(untar.err);
  REQUIRE(untar.exit_status == 0);
  const fs::path root = unpacked / "debian-llvm23";
  Toolchain toolchain;
  toolchain.clang = root / "bin/clang";
  toolchain.clangxx = root / "bin/clang++";
  toolchain.sysroot = root / "share/wasi-sysroot";
  toolchain.default_target = "wasm32-wasip1";

  // The assembled sysroot: wasm32-wasip1-threads beside wasm32-wasip2.
  TempDir scratch;
  const Capabilities caps = probe_capabilities(toolchain, scratch / "probe");
  CHECK(has_target(caps, "wasm32-wasip1-threads"));
  CHECK(has_target(caps, "wasm32-wasip2"));
  CHECK(caps.threads);

  // The same headers, but a wasm32-wasip1-threads directory that holds the
  // single-threaded wasip1 libc and libc++: the target is listed (it has a
  // libc.a), yet wasm-ld refuses those objects in a shared memory, so the
  // toolchain has no threads.
  TempDir sysroot;
  fs::create_directories(sysroot / "include");
  fs::create_directories(sysroot / "lib");
  for (const auto& entry : fs::directory_iterator(toolchain.sysroot / "include")) {
    fs::create_symlink(fs::canonical(entry.path()), sysroot / "include" / entry.path().filename().string());
  }
  for (const char* triple : {"wasm32-wasi", "wasm32-wasip1", "wasm32-wasip1-threads"}) {
    fs::create_symlink(fs::canonical(toolchain.sysroot / "lib/wasm32-wasi"), sysroot / "lib" / triple);
  }
  Toolchain single = toolchain;
  single.sysroot = sysroot.path();
  const Capabilities single_caps = probe_capabilities(single, scratch / "single");
  CHECK(has_target(single_caps, "wasm32-wasip1-threads"));
  CHECK_FALSE(single_caps.threads);
}
