// No link a guest makes leaves its grant: in a test's build directory
// (--dir-build) and its private /tmp the guest makes no symbolic link at
// all (Landlock, where the kernel has it); in the user's own --dir it may
// make any (docs/security.md).
#include <filesystem>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

bool kernel_has_landlock() {
  // `doctor` reports it; the runner's own test covers the mechanism.
  const auto doctor = Wasibuild()({"doctor"});
  return doctor.out.find("kernel confinement: Landlock ABI") != std::string::npos;
}

}  // namespace

TEST_CASE("attack: a guest makes no link in its build directory or its /tmp" * doctest::test_suite("attack")) {
  if (!kernel_has_landlock()) {
    MESSAGE("SKIPPED: this kernel has no Landlock");
    return;
  }
  Wasibuild wasibuild;
  TempDir dir;
  fs::create_directories(dir / "build/sub");
  const std::string build = "--dir-build=" + (dir / "build").string() + "::/b";
  // (Wasmtime itself refuses an absolute target, with EPERM.)
  for (const std::string target : {"../../outside/authorized_keys", "..", "sub/file"}) {
    CAPTURE(target);
    const auto made = probe(wasibuild, {build}, {"symlink", target, "/b/link"});
    CHECK(made.out == "denied Permission denied\n");
    CHECK(made.exit_status == 1);
    CHECK_FALSE(fs::exists(fs::symlink_status(dir / "build/link")));
  }
  const auto tmp = probe(wasibuild, {"--private-tmp"}, {"symlink", "../escape", "/tmp/link"});
  CHECK(tmp.out == "denied Permission denied\n");
  // Files and directories are made as before.
  CHECK(probe(wasibuild, {build}, {"write", "/b/sub/file"}).out == "ok written\n");
  CHECK(probe(wasibuild, {build}, {"mkdir", "/b/new"}).out == "ok created\n");
}

TEST_CASE("in the user's own --dir, a guest makes links as a native program would") {
  Wasibuild wasibuild;
  TempDir dir;
  const auto own = probe(wasibuild, {"--dir=" + dir.path().string() + "::/d"}, {"symlink", "../elsewhere", "/d/up"});
  CHECK(own.out == "ok linked\n");
  CHECK(fs::read_symlink(dir / "up") == "../elsewhere");
}
