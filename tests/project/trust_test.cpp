// The trust boundary between a test and the host steps after it
// (docs/security.md): a real project, a real hostile test run by
// `wasibuild test`, then the host's next `build` and `run`. Every byte the
// test left in its build directory must be inert.
#include <sys/stat.h>

#include <filesystem>

#include "../exec/exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

struct Project {
  Wasibuild wasibuild;
  TempDir dir;
  fs::path root;
  Project() {
    wasibuild.options.environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    // The host's own steps must hold even where the walls before them are
    // missing (no mount namespace, no Landlock): the test's directory is
    // granted plainly writable, so every plant takes.
    wasibuild.options.environment["WASIBUILD_TEST_CWD"] = "writable";
    REQUIRE(in(dir.path(), {"new", "victimapp"}).exit_status == 0);
    root = dir / "victimapp";
  }
  ProcessResult in(const fs::path& where, std::vector<std::string> arguments) {
    wasibuild.options.working_directory = where;
    return wasibuild(std::move(arguments));
  }
};

fs::perms permissions(const fs::path& path) { return fs::symlink_status(path).permissions(); }

}  // namespace

TEST_CASE("attack: what a test plants in its build directory steers no later build or run" * doctest::test_suite("attack")) {
  Project project;
  // Outside the project: a file the guest must not reach through the host.
  fs::create_directories(project.dir / "outside");
  const fs::path victim = project.dir / "outside/authorized_keys";
  write_file(victim, "ssh-ed25519 AAAA the-owner\n");
  fs::permissions(victim, fs::perms::owner_read | fs::perms::owner_write);
  // A dangling .clangd link: writing the editor config must not create its target.
  fs::create_symlink("../outside/clangd-created", project.root / ".clangd");

  write_file(project.root / "tests/planter.cpp", read_file(fixture_source("planter.cpp")));
  write_file(project.root / "CMakeLists.txt",
             read_file(project.root / "CMakeLists.txt") +
                 "add_executable(planter tests/planter.cpp)\n"
                 // build/wasm32-wasi/release -> four levels up is the workspace.
                 "add_test(NAME plant COMMAND planter planter.wasm ../../../../outside/authorized_keys victimapp)\n");

  // The planter fails unless every plant took.
  const auto tested = project.in(project.root, {"test", "--release", "plant"});
  INFO(tested.out << tested.err);
  REQUIRE(tested.exit_status == 0);
  const fs::path build = project.root / "build/wasm32-wasi/release";
  REQUIRE(fs::is_symlink(build / "zz.wasm.wasm-opt.tmp"));
  REQUIRE(fs::is_symlink(build / "wasibuild-post.stamp"));
  REQUIRE(fs::exists(build / "aaa/victimapp.wasm"));

  // Touch the module so the next build links and post-processes again.
  write_file(project.root / "src/main.cpp", read_file(project.root / "src/main.cpp") + "\n// changed\n");
  const auto rebuilt = project.in(project.root, {"build", "--release"});
  INFO(rebuilt.out << rebuilt.err);
  REQUIRE(rebuilt.exit_status == 0);
  CHECK(rebuilt.out.find("zz.wasm") == std::string::npos);
  CHECK(read_file(victim) == "ssh-ed25519 AAAA the-owner\n");
  CHECK(permissions(victim) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK_FALSE(fs::exists(project.dir / "outside/clangd-created"));

  // `run` runs the module CMake linked, not one the test left nearby.
  const auto ran = project.in(project.root, {"run", "--release", "--", "world"});
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(("\n" + ran.out).ends_with("\nHello, world!\n"));
  CHECK(read_file(victim) == "ssh-ed25519 AAAA the-owner\n");
}

TEST_CASE("attack: a release build refuses a module that a link replaced" * doctest::test_suite("attack")) {
  Project project;
  REQUIRE(project.in(project.root, {"build", "--release"}).exit_status == 0);
  const fs::path build = project.root / "build/wasm32-wasi/release";
  write_file(project.dir / "elsewhere.wasm", read_file(build / "victimapp.wasm"));
  fs::remove(build / "victimapp.wasm");
  fs::create_symlink(project.dir / "elsewhere.wasm", build / "victimapp.wasm");
  const std::string before = read_file(project.dir / "elsewhere.wasm");

  const auto built = project.in(project.root, {"build", "--release"});
  CHECK(built.exit_status == 1);
  CHECK(built.err == "wasibuild: error: " + (build / "victimapp.wasm").string() +
                         ": a symbolic link, not the module the build linked\n"
                         "help: a test (or another program) put it there; remove it and build again\n");
  CHECK(read_file(project.dir / "elsewhere.wasm") == before);
}
