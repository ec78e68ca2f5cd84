// A CMake project in a temporary directory, configured with the drop-in
// toolchain file of this build and run by the real cmake, ninja and ctest,
// with its own WASIBUILD_HOME (so toolchains, caches and defaults never leak
// between tests or in from the user's).
#pragma once

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "../exec/exec_helpers.hpp"

namespace wasibuild::testing {

inline std::string toolchain_file() {
  return std::filesystem::path(WASIBUILD_BINARY).parent_path().parent_path() / "share/wasibuild/cmake/wasi.cmake";
}

struct CMakeProject {
  Wasibuild wasibuild;
  TempDir dir;
  std::filesystem::path source = dir / "src";
  std::filesystem::path build = dir / "build";

  CMakeProject() {
    wasibuild.options.environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    std::filesystem::create_directories(source);
  }
  ProcessResult run(std::vector<std::string> argv) const {
    ProcessOptions options = wasibuild.options;
    options.working_directory = dir.path();
    return run_process(argv, options);
  }
  // -Werror kept: these projects use it to prove wasibuild's headers and
  // flags cause no warning (the toolchain file otherwise downgrades it).
  ProcessResult configure(std::vector<std::string> definitions = {}) const {
    std::vector<std::string> argv = {"/usr/bin/cmake", "-G", "Ninja", "-DCMAKE_TOOLCHAIN_FILE=" + toolchain_file(),
                                     "-DWASIBUILD_KEEP_WERROR=ON", "-S", source.string(), "-B", build.string()};
    argv.insert(argv.end(), definitions.begin(), definitions.end());
    return run(argv);
  }
  ProcessResult build_all() const { return run({"/usr/bin/cmake", "--build", build.string()}); }
  ProcessResult ctest() const { return run({"/usr/bin/ctest", "--test-dir", build.string(), "--output-on-failure"}); }
};

// Configures, builds and runs CTest, each step required to succeed, and
// checks that all `tests` tests passed. Returns the configure's result, for
// checks on what the configure printed.
inline ProcessResult configure_build_and_ctest(const CMakeProject& project, const std::vector<std::string>& definitions,
                                               int tests) {
  const auto configured = project.configure(definitions);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  const auto ran = project.ctest();
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out.find("100% tests passed, 0 tests failed out of " + std::to_string(tests) + "\n") != std::string::npos);
  return configured;
}

// A WASI-SDK-layout toolchain directory given at build time (empty: none).
// Prints the SKIPPED line ctest's SKIP_REGULAR_EXPRESSION looks for.
inline bool have_toolchain_dir(const std::filesystem::path& dir, const std::string& what) {
  if (!dir.empty() && std::filesystem::exists(dir / "bin/clang") &&
      std::filesystem::exists(dir / "share/wasi-sysroot")) {
    return true;
  }
  std::cout << "SKIPPED: no " << what << " at '" << dir.string() << "' (scripts/setup.sh assembles it)\n";
  return false;
}

// Installs the debian-llvm23 archive scripts/setup.sh keeps (empty or
// missing: the test reports itself skipped and this returns false) into
// the project's own WASIBUILD_HOME and chooses it by name, as a user would.
inline bool use_llvm23_archive(CMakeProject& project, const std::filesystem::path& archive) {
  if (archive.empty() || !std::filesystem::exists(archive)) {
    std::cout << "SKIPPED: no debian-llvm23 archive at '" << archive.string()
              << "' (scripts/setup.sh assembles it)\n";
    return false;
  }
  const auto installed = project.wasibuild({"toolchain", "install", "--from", archive.string(), "--name",
                                            "debian-llvm23", "--allow-unpinned", "--quiet"});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_status == 0);
  project.wasibuild.options.environment["WASIBUILD_TOOLCHAIN"] = "debian-llvm23";
  return true;
}

// The -D options that point the toolchain file at such a directory.
inline std::vector<std::string> toolchain_dir_definitions(const std::filesystem::path& dir) {
  return {"-DWASIBUILD_CLANG=" + (dir / "bin/clang").string(), "-DWASIBUILD_CLANGXX=" + (dir / "bin/clang++").string(),
          "-DWASIBUILD_SYSROOT=" + (dir / "share/wasi-sysroot").string(),
          "-DWASIBUILD_AR=" + (dir / "bin/llvm-ar").string(),
          "-DWASIBUILD_RANLIB=" + (dir / "bin/llvm-ranlib").string()};
}

}  // namespace wasibuild::testing
