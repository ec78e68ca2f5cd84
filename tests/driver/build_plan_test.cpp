// BuildPlan: what a build is, computed without running CMake, so that the
// rules (profile, target, directories, configure command, stamp) are tested
// here once and `build`, `run`, `test` and `test --no-build` share them.
#include <doctest/doctest.h>

#include <algorithm>

#include "command.hpp"
#include "project.hpp"
#include "project_build.hpp"

using namespace wasibuild::driver;
namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

namespace {

Project project_from(const std::string& manifest) {
  Project project = parse_project("[package]\nname = \"demo\"\n" + manifest, "/src/demo/wasibuild.toml");
  return project;
}

tc::Toolchain toolchain(const std::string& clang = "/opt/sdk/bin/clang") {
  tc::Toolchain made;
  made.name = "sdk";
  made.clang = clang;
  made.clangxx = clang + "++";
  made.ar = "/opt/sdk/bin/llvm-ar";
  made.ranlib = "/opt/sdk/bin/llvm-ranlib";
  made.sysroot = "/opt/sdk/share/wasi-sysroot";
  made.default_target = "wasm32-wasip1";
  return made;
}

Env env_at(const fs::path& executable = "/usr/bin/wasibuild") {
  Env env;
  env.executable = executable;
  return env;
}

bool has(const std::vector<std::string>& words, const std::string& word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

TEST_CASE("a plan names the profile, the target and both directories, debug by default") {
  const Project project = project_from("");
  const tc::Toolchain sdk = toolchain();
  const BuildPlan debug = plan_build({}, project, &sdk, env_at());
  CHECK(debug.profile->name == "debug");
  CHECK(debug.target == "wasm32-wasip1");
  CHECK(debug.build_dir == "/src/demo/build/wasm32-wasip1/debug");
  CHECK(debug.state_dir == "/src/demo/build/.wasibuild/wasm32-wasip1/debug");
  CHECK(has(debug.configure, "-DCMAKE_BUILD_TYPE=Debug"));
  CHECK(has(debug.configure, "-DWASIBUILD_CLANG=/opt/sdk/bin/clang"));
  CHECK(has(debug.configure, "-DCMAKE_TOOLCHAIN_FILE=/usr/share/wasibuild/cmake/wasi.cmake"));
  CHECK(has(debug.configure, "-DWASIBUILD_EXECUTABLES_FILE=/src/demo/build/.wasibuild/wasm32-wasip1/debug/executables.txt"));
  CHECK(std::vector<std::string>(debug.configure.begin(), debug.configure.begin() + 5) ==
        std::vector<std::string>{"cmake", "-S", "/src/demo", "-B", "/src/demo/build/wasm32-wasip1/debug"});

  BuildFlags release;
  release.release = true;
  const BuildPlan released = plan_build(release, project, &sdk, env_at());
  CHECK(released.profile->name == "release");
  CHECK(released.build_dir == "/src/demo/build/wasm32-wasip1/release");
  CHECK(has(released.configure, "-DCMAKE_BUILD_TYPE=Release"));
}

TEST_CASE("a profile of wasibuild.toml brings its build type and definitions, over the project's") {
  const Project project = project_from(
      "[build]\ndefinitions = { LEVEL = \"1\", KEEP = \"yes\" }\n"
      "[profile.bench]\ninherits = \"release\"\ndefinitions = { LEVEL = \"3\" }\n");
  const tc::Toolchain sdk = toolchain();
  BuildFlags flags;
  flags.profile = "bench";
  const BuildPlan plan = plan_build(flags, project, &sdk, env_at());
  CHECK(plan.profile->name == "bench");
  CHECK(plan.build_dir == "/src/demo/build/wasm32-wasip1/bench");
  CHECK(has(plan.configure, "-DCMAKE_BUILD_TYPE=Release"));
  CHECK(has(plan.configure, "-DLEVEL=3"));
  CHECK_FALSE(has(plan.configure, "-DLEVEL=1"));
  CHECK(has(plan.configure, "-DKEEP=yes"));
}

TEST_CASE("the target is --target, else [toolchain] target, else the toolchain's default") {
  const tc::Toolchain sdk = toolchain();
  const Project plain = project_from("");
  const Project pinned = project_from("[toolchain]\ntarget = \"wasm32-wasi\"\n");
  BuildFlags flagged;
  flagged.target = "wasm32-wasip2";
  CHECK(plan_build({}, plain, &sdk, env_at()).target == "wasm32-wasip1");
  CHECK(plan_build({}, pinned, &sdk, env_at()).target == "wasm32-wasi");
  CHECK(plan_build(flagged, pinned, &sdk, env_at()).target == "wasm32-wasip2");
  CHECK(has(plan_build(flagged, pinned, &sdk, env_at()).configure, "-DWASIBUILD_TARGET=wasm32-wasip2"));
  // Without a toolchain the directories are still named (test --no-build).
  const BuildPlan none = plan_build({}, plain, nullptr, env_at());
  CHECK(none.build_dir == "/src/demo/build/wasm32-wasi/debug");
  CHECK(none.configure.empty());
}

TEST_CASE("a target is taken in the toolchain's spelling, and one it has no libc for stops the plan") {
  tc::Toolchain sdk34 = toolchain();
  sdk34.name = "wasi-sdk-34";
  sdk34.capabilities.targets = {"wasm32-wasip1", "wasm32-wasip2", "wasm32-wasip1-threads"};
  tc::Toolchain debian = toolchain();
  debian.name = "system";
  debian.capabilities.targets = {"wasm32-wasi"};
  const Project old_name = project_from("[toolchain]\ntarget = \"wasm32-wasi\"\n");
  const Project new_name = project_from("[toolchain]\ntarget = \"wasm32-wasip1\"\n");
  CHECK(plan_build({}, old_name, &sdk34, env_at()).target == "wasm32-wasip1");
  CHECK(plan_build({}, new_name, &debian, env_at()).target == "wasm32-wasi");
  CHECK(plan_build({}, new_name, &debian, env_at()).build_dir == "/src/demo/build/wasm32-wasi/debug");

  tc::Toolchain sdk34_p3 = sdk34;
  sdk34_p3.capabilities.targets.push_back("wasm32-wasip3");
  BuildFlags threads_old_name;
  threads_old_name.target = "wasm32-wasi-threads";
  CHECK(plan_build(threads_old_name, old_name, &sdk34, env_at()).target == "wasm32-wasip1-threads");

  BuildFlags p3;
  p3.target = "wasm32-wasip3";
  CHECK(plan_build(p3, old_name, &sdk34_p3, env_at()).target == "wasm32-wasip3");
  try {
    (void)plan_build(p3, old_name, &sdk34, env_at());
    FAIL("no failure");
  } catch (const Failure& failure) {
    CHECK(failure.message == "toolchain 'wasi-sdk-34' has no libc for target 'wasm32-wasip3'");
    CHECK(failure.help == std::vector<std::string>{"did you mean 'wasm32-wasip1'?",
                                                   "its targets: wasm32-wasip1, wasm32-wasip2, wasm32-wasip1-threads",
                                                   "see which toolchain has it: wasibuild toolchain list"});
  }
}

TEST_CASE("the stamp changes with what the configure depends on, and only then") {
  const Project project = project_from("");
  const tc::Toolchain sdk = toolchain();
  const std::string stamp = plan_build({}, project, &sdk, env_at()).stamp;
  CHECK(plan_build({}, project, &sdk, env_at()).stamp == stamp);
  const tc::Toolchain other = toolchain("/opt/other/bin/clang");
  CHECK(plan_build({}, project, &other, env_at()).stamp != stamp);
  CHECK(plan_build({}, project_from("[build]\ndefinitions = { X = \"1\" }\n"), &sdk, env_at()).stamp != stamp);
  CHECK(plan_build({}, project, &sdk, env_at("/opt/wb/bin/wasibuild")).stamp != stamp);  // another toolchain file
  BuildFlags jobs;
  jobs.jobs = 8;  // how many jobs build it is not a configure input
  CHECK(plan_build(jobs, project, &sdk, env_at()).stamp == stamp);
}
