// `cmake --install` of this build tree into a temporary prefix, and the
// installed wasibuild at work from there: its layout, `new`/`build`/`test`,
// the toolchain file with plain cmake and ctest, and the installer module.
#include <filesystem>

#include "../exec/exec_helpers.hpp"
#include "fake_sdk.hpp"
#include "archive_builder.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// One installed copy for every test case (installing takes a few seconds).
const fs::path& installed_prefix() {
  static const TempDir dir;
  static const fs::path prefix = [] {
    const fs::path where = dir / "prefix";
    const auto installed =
        run_process({CMAKE_COMMAND, "--install", WASIBUILD_BUILD_DIR, "--prefix", where.string()},
                    {{{"PATH", "/usr/bin:/bin"}}, "", {}});
    INFO(installed.out << installed.err);
    REQUIRE(installed.exit_status == 0);
    return where;
  }();
  return prefix;
}

// The installed binary, with its own home and a PATH without any build tree.
struct Installed {
  TempDir home;
  TempDir dir;
  fs::path prefix = installed_prefix();
  ProcessOptions options{{{"WASIBUILD_HOME", home.path().string()}, {"PATH", "/usr/local/bin:/usr/bin:/bin"}},
                         "",
                         dir.path()};

  ProcessResult wasibuild(const fs::path& where, std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), (prefix / "bin/wasibuild").string());
    return run(where, std::move(arguments));
  }
  ProcessResult run(const fs::path& where, const std::vector<std::string>& argv) {
    ProcessOptions here = options;
    here.working_directory = where;
    return run_process(argv, here);
  }
};

}  // namespace

TEST_CASE("cmake --install lays out the binary, the installer module, the CMake modules and the templates") {
  const fs::path& prefix = installed_prefix();
  const fs::path module = prefix / WASIBUILD_INSTALL_LIBDIR / "wasibuild/libwasibuild-installer.so";
  for (const fs::path& file : {prefix / "bin/wasibuild", module, prefix / "share/wasibuild/cmake/wasi.cmake",
                              prefix / "share/wasibuild/cmake/Platform/WASI.cmake",
                              prefix / "share/wasibuild/cmake/WasiBuild.cmake",
                              prefix / "share/wasibuild/templates/app/CMakeLists.txt",
                              prefix / "share/wasibuild/templates/app/wasibuild.toml",
                              prefix / "share/wasibuild/templates/lib/CMakeLists.txt"}) {
    INFO(file);
    CHECK(fs::is_regular_file(file));
  }
  CHECK((fs::status(prefix / "bin/wasibuild").permissions() & fs::perms::owner_exec) != fs::perms::none);
  // Everything the source tree's cmake-modules/ holds is installed.
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(WASIBUILD_SOURCE_DIR) / "cmake-modules")) {
    const auto relative = entry.path().lexically_relative(fs::path(WASIBUILD_SOURCE_DIR) / "cmake-modules");
    INFO(relative);
    CHECK(fs::exists(prefix / "share/wasibuild/cmake" / relative));
  }
}

TEST_CASE("the installed wasibuild creates, builds and tests a project, and names its own toolchain file") {
  Installed installed;
  const auto file = installed.wasibuild(installed.dir.path(), {"toolchain-file"});
  CHECK(file.exit_status == 0);
  CHECK(file.out == (installed.prefix / "share/wasibuild/cmake/wasi.cmake").string() + "\n");

  REQUIRE(installed.wasibuild(installed.dir.path(), {"new", "demo"}).exit_status == 0);
  const fs::path project = installed.dir / "demo";
  const auto built = installed.wasibuild(project, {"build"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  CHECK(built.out.find("  build/wasm32-wasi/debug/demo.wasm (") != std::string::npos);
  // Configured with the installed toolchain file and the installed binary as the tests' runner.
  const std::string cache = read_file(project / "build/wasm32-wasi/debug/CMakeCache.txt");
  CHECK(cache.find("CMAKE_TOOLCHAIN_FILE:FILEPATH=" + (installed.prefix / "share/wasibuild/cmake/wasi.cmake").string()) !=
        std::string::npos);
  CHECK(read_file(project / "build/wasm32-wasi/debug/CTestTestfile.cmake")
            .find((installed.prefix / "bin/wasibuild").string() + "\" \"exec\"") != std::string::npos);
  const auto tested = installed.wasibuild(project, {"test"});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_status == 0);
  CHECK(tested.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);
  CHECK(installed.wasibuild(project, {"run", "--", "installed"}).out.ends_with("Hello, installed!\n"));
}

TEST_CASE("the installed toolchain file works with plain cmake and ctest, the installed wasibuild as emulator") {
  Installed installed;
  REQUIRE(installed.wasibuild(installed.dir.path(), {"new", "plain"}).exit_status == 0);
  const fs::path project = installed.dir / "plain";
  fs::remove(project / "wasibuild.toml");
  const fs::path build = installed.dir / "b";
  const auto configured = installed.run(
      project, {CMAKE_COMMAND, "-G", "Ninja",
                "-DCMAKE_TOOLCHAIN_FILE=" + (installed.prefix / "share/wasibuild/cmake/wasi.cmake").string(), "-S",
                project.string(), "-B", build.string()});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  REQUIRE(installed.run(project, {CMAKE_COMMAND, "--build", build.string()}).exit_status == 0);
  CHECK(fs::exists(build / "plain.wasm"));
  // No wasibuild on PATH: the toolchain file found the one installed beside it.
  CHECK(read_file(build / "CTestTestfile.cmake").find((installed.prefix / "bin/wasibuild").string() + "\" \"exec\"") !=
        std::string::npos);
  const auto tests = installed.run(project, {CTEST_COMMAND, "--test-dir", build.string(), "--output-on-failure"});
  INFO(tests.out << tests.err);
  CHECK(tests.exit_status == 0);
  CHECK(tests.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);
}

TEST_CASE("the installed wasibuild loads its installer module and installs a toolchain from an archive") {
  Installed installed;
  const fs::path sdk = make_fake_wasi_sdk(installed.dir / "sdk", "77.0");
  const fs::path archive = installed.dir / "sdk.tar.gz";
  write_tree_tar_gz(archive, sdk, sdk.filename().string());
  const auto hashed = run_process({"/usr/bin/sha256sum", archive.string()});
  REQUIRE(hashed.exit_status == 0);
  const std::string sha256 = hashed.out.substr(0, 64);
  const auto result = installed.wasibuild(
      installed.dir.path(), {"toolchain", "install", "--from", archive.string(), "--sha256", sha256, "--name", "mine"});
  INFO(result.out << result.err);
  CHECK(result.exit_status == 0);
  CHECK(fs::exists(installed.home.path() / "data/toolchains/mine"));
  const auto listed = installed.wasibuild(installed.dir.path(), {"toolchain", "path", "mine"});
  CHECK(listed.out == (installed.home.path() / "data/toolchains/mine").string() + "\n");
}
