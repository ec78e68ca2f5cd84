// What happens to a build's modules after the build: finding them (CMake
// names them; nothing walks the build tree) and the release post-processing
// (llvm-strip, binaryen's wasm-opt).
//
// The build tree is a place tests write (`--dir-build`), so everything in it
// is treated as hostile input (docs/security.md): modules are opened below
// the build directory without following links, copied into wasibuild's own
// state directory (build/.wasibuild/<target>/<profile>, which no test is
// granted), processed there, and put back by a rename within their
// directory. The stamps live in the state directory too.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "project.hpp"
#include "wasibuild/driver.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::driver {

// wasibuild's own files for one build directory, out of every test's reach.
[[nodiscard]] std::filesystem::path state_dir_of(const Project& project, const std::string& target,
                                                 const std::string& profile);

// The file the toolchain file fills, at generate time, with the path of
// every executable target's module (WasiTests.cmake).
inline constexpr const char* kExecutablesFile = "executables.txt";

// The modules the build linked, as CMake listed them: each must lie in the
// build directory, reached without a symbolic link, and be a regular file;
// one that is missing (not built) is left out. Throws Failure otherwise.
// With `only_tests`, just those an add_test() runs (marked "test\t").
[[nodiscard]] std::vector<std::filesystem::path> linked_modules(const std::filesystem::path& state_dir,
                                                                const std::filesystem::path& build_dir,
                                                                bool only_tests = false);

// Release post-processing, decided before the build.
struct PostProcess {
  bool strip = false;
  std::optional<std::filesystem::path> strip_tool;
  std::optional<std::filesystem::path> wasm_opt;
  std::string level;
  std::string strip_note;  // how each module line describes the strip step

  // What the modules in the build directory went through; a change means
  // they must be linked again before processing.
  [[nodiscard]] std::string settings() const;
};

[[nodiscard]] PostProcess plan_post_processing(const Profile& profile, const toolchain::Toolchain& toolchain,
                                               const Env& env);

// Before the build: removes the modules processed under other settings, so
// the build links them afresh.
void forget_outputs_of_other_settings(const std::filesystem::path& state_dir, const std::filesystem::path& build_dir,
                                      const PostProcess& plan);

// After the build: processes the modules the build produced or changed;
// returns each module's note for the output lines. A failing wasm-opt is a
// warning: the module stays as linked, and the next build tries again.
[[nodiscard]] std::map<std::filesystem::path, std::string> post_process(
    const std::vector<std::filesystem::path>& modules, const std::filesystem::path& state_dir,
    const std::filesystem::path& build_dir, const PostProcess& plan, const Env& env);

}  // namespace wasibuild::driver
