// `--dir-build`: a test's working directory stays writable for the test's own
// files, while the files the host runs later stay read-only. A real guest
// tries every way to rewrite, replace, remove or plant them, by relative path
// through `.` (how the toolchain file grants it) and by absolute guest path.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// A build directory as CMake and Ninja leave it, plus a test's data file.
struct BuildTree {
  BuildTree() {
    fs::create_directories(root / "CMakeFiles/prog.dir");
    fs::create_directories(root / "sub/CMakeFiles");
    fs::create_directories(root / ".git/hooks");
    for (const auto& [name, content] : guarded) write_file(root / name, content);
    for (const char* program : {"prog", "prog.wasm"}) fs::permissions(root / program, fs::perms::owner_all, fs::perm_options::add);
    write_file(root / "data.txt", "data\n");
    // Under setpriv, the unprivileged guest's own files must be creatable.
    fs::permissions(temp.path(), fs::perms::all, fs::perm_options::add);
    fs::permissions(root, fs::perms::all, fs::perm_options::add);
    fs::permissions(root / "sub", fs::perms::all, fs::perm_options::add);
    // Not all: an execute bit would make it a guarded program.
    fs::permissions(root / "data.txt", fs::perms::group_write | fs::perms::others_write, fs::perm_options::add);
  }

  std::vector<std::string> grant() const { return {"--dir-build", root.string() + "::/b"}; }

  // Every guarded file still holds what the build wrote, and nothing was
  // planted in the guarded directories.
  void check_untouched() const {
    for (const auto& [name, content] : guarded) {
      CAPTURE(name);
      CHECK(read_file(root / name) == content);
    }
    CHECK(std::distance(fs::directory_iterator(root / "CMakeFiles"), fs::directory_iterator()) == 2);
    CHECK(fs::is_empty(root / ".git/hooks"));
    CHECK(fs::is_directory(root / "sub"));
  }

  TempDir temp;
  fs::path root = temp.path() / "build";
  const std::map<std::string, std::string> guarded = {
      {"CMakeCache.txt", "CMAKE_COMMAND:INTERNAL=/usr/bin/cmake\n"},
      {"CTestTestfile.cmake", "add_test(t prog)\n"},
      {"cmake_install.cmake", "# install\n"},
      {"build.ninja", "build all: phony\n"},
      {".ninja_log", "# ninja log v5\n"},
      {"CMakeLists.txt", "project(p)\n"},
      {"run_checks.sh", "echo checks\n"},
      {"prog", "#!/bin/sh\nexec wasibuild exec prog.wasm\n"},
      {"prog.wasm", "(module)\n"},
      {"CMakeFiles/rules.ninja", "rule CC\n"},
      {"sub/CTestTestfile.cmake", "add_test(u prog)\n"},
  };
};

const std::vector<std::vector<std::string>> kAttacks = {
    {"append", "CMakeCache.txt"},
    {"write", "CTestTestfile.cmake"},
    {"write", "build.ninja"},
    {"write", ".ninja_log"},
    {"write", "CMakeLists.txt"},
    {"append", "run_checks.sh"},
    {"write", "prog"},
    {"write", "prog.wasm"},
    {"unlink", "cmake_install.cmake"},
    {"unlink", "prog"},
    {"rename", "data.txt", "CTestTestfile.cmake"},
    {"rename", "CTestTestfile.cmake", "moved.cmake"},
    {"link", "CTestTestfile.cmake", "alias.cmake"},
    {"write", "CMakeFiles/planted.ninja"},
    {"write", "CMakeFiles/rules.ninja"},
    {"mkdir", "CMakeFiles/planted"},
    {"rename", "CMakeFiles", "moved"},
    {"write", ".git/hooks/pre-commit"},
    {"rename", "sub", "moved_sub"},
    {"unlink", "sub/CTestTestfile.cmake"},
    {"write", "sub/CMakeFiles/planted.cmake"},
};

std::vector<std::string> at(const std::string& prefix, std::vector<std::string> operation) {
  for (std::size_t i = 1; i < operation.size(); ++i) operation[i] = prefix + operation[i];
  return operation;
}

}  // namespace

TEST_CASE("--dir-build keeps build files read-only, by absolute and by relative path") {
  BuildTree tree;
  Wasibuild wasibuild;
  for (const auto& attack : kAttacks) {
    CAPTURE(attack[0]);
    CAPTURE(attack[1]);
    const auto absolute = probe(wasibuild, tree.grant(), at("/b/", attack));
    CHECK(absolute.exit_status == 1);
    CHECK(absolute.out.starts_with("denied "));
  }
  // How the toolchain file grants a test's working directory: `.::.`.
  wasibuild.options.working_directory = tree.root;
  for (const auto& attack : kAttacks) {
    CAPTURE(attack[0]);
    CAPTURE(attack[1]);
    CHECK(probe(wasibuild, {"--dir-build", ".::."}, attack).out.starts_with("denied "));
  }
  tree.check_untouched();
  CHECK_FALSE(fs::exists(tree.root / "alias.cmake"));
  CHECK_FALSE(fs::exists(tree.root / "moved_sub"));
}

TEST_CASE("--dir-build leaves the test's own files writable") {
  BuildTree tree;
  Wasibuild wasibuild;
  CHECK(probe(wasibuild, tree.grant(), {"append", "/b/data.txt"}).out == "ok written\n");
  CHECK(probe(wasibuild, tree.grant(), {"write", "/b/output.txt"}).out == "ok written\n");
  CHECK(probe(wasibuild, tree.grant(), {"write", "/b/sub/output.txt"}).out == "ok written\n");
  CHECK(probe(wasibuild, tree.grant(), {"mkdir", "/b/scratch"}).out == "ok created\n");
  CHECK(probe(wasibuild, tree.grant(), {"rename", "/b/output.txt", "/b/scratch/kept.txt"}).out == "ok renamed\n");
  CHECK(probe(wasibuild, tree.grant(), {"unlink", "/b/sub/output.txt"}).out == "ok removed\n");
  CHECK(read_file(tree.root / "data.txt") == "data\nwritten by guest\n");
  CHECK(read_file(tree.root / "scratch/kept.txt") == "written by guest\n");
  CHECK_FALSE(fs::exists(tree.root / "sub/output.txt"));
  tree.check_untouched();
}

TEST_CASE("--dir-build mounts stay inside the run: the host sees no trace") {
  BuildTree tree;
  Wasibuild wasibuild;
  CHECK(probe(wasibuild, tree.grant(), {"read", "/b/CMakeCache.txt"}).out.starts_with("ok "));
  std::ifstream mounts("/proc/self/mountinfo");
  const std::string table{std::istreambuf_iterator<char>(mounts), {}};
  CHECK(table.find(tree.root.string()) == std::string::npos);
  // The host itself can still change what it built.
  write_file(tree.root / "CTestTestfile.cmake", "rebuilt\n");
  CHECK(read_file(tree.root / "CTestTestfile.cmake") == "rebuilt\n");
}

TEST_CASE("--dir-build works for an unprivileged user too (user namespace)") {
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    MESSAGE("skipped: needs root and setpriv to become an unprivileged user");
    return;
  }
  BuildTree tree;
  // Writable by anyone: only the guard can stop the unprivileged guest.
  for (const auto& [name, content] : tree.guarded) {
    fs::permissions(tree.root / name, fs::perms::others_write, fs::perm_options::add);
  }
  TempDir home;
  fs::permissions(home.path(), fs::perms::all, fs::perm_options::add);
  ProcessOptions options;
  options.environment = {{"WASIBUILD_HOME", home.path().string()}, {"PATH", "/usr/bin:/bin"}};
  const auto run_as_nobody = [&](std::vector<std::string> operation) {
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                     WASIBUILD_BINARY,   "exec",          "--no-cache"};
    for (const auto& word : tree.grant()) argv.push_back(word);
    argv.push_back(fixture("fs_probe"));
    for (const auto& word : at("/b/", std::move(operation))) argv.push_back(word);
    return run_process(argv, options);
  };
  const auto denied = run_as_nobody({"write", "CTestTestfile.cmake"});
  INFO(denied.err);
  CHECK(denied.out.starts_with("denied "));
  CHECK(run_as_nobody({"rename", "sub", "moved_sub"}).out.starts_with("denied "));
  CHECK(run_as_nobody({"append", "data.txt"}).out == "ok written\n");
  tree.check_untouched();
}

TEST_CASE("--dir-build where no mount namespace is allowed: a runner error, never a wider grant") {
  if (access("/usr/bin/unshare", X_OK) != 0) {
    MESSAGE("skipped: needs unshare(1)");
    return;
  }
  BuildTree tree;
  Wasibuild wasibuild;
  // In a user namespace that maps no one, no nested namespace can be made.
  std::vector<std::string> argv = {"/usr/bin/unshare", "--user", WASIBUILD_BINARY, "exec"};
  for (const auto& word : tree.grant()) argv.push_back(word);
  for (const auto& word : {fixture("fs_probe"), std::string("write"), std::string("/b/CTestTestfile.cmake")}) {
    argv.push_back(word);
  }
  const auto refused = run_process(argv, wasibuild.options);
  CHECK(refused.exit_status == 125);
  CHECK(refused.out.empty());
  CHECK(refused.err.starts_with("wasibuild: error: --dir-build " + tree.root.string() +
                                ": cannot keep its build files read-only: unshare a mount namespace: "));
  CHECK(refused.err.find("-DWASIBUILD_TEST_CWD=writable") != std::string::npos);
  tree.check_untouched();
}

namespace {

// A Ninja build tree in miniature: build.ninja names a static library and a
// generated header that no name rule guards (no execute bit, no guarded
// suffix). Ninja only reads it (`-t targets` and friends run nothing).
struct NinjaTree {
  explicit NinjaTree(const std::string& outputs) {
    fs::create_directories(root / "CMakeFiles");
    write_manifest(outputs);
    write_file(root / "libshape.a", "!<arch>\nthe real library\n");
    write_file(root / "gen.h", "#define GENERATED 1\n");
    write_file(root / "data.txt", "data\n");
  }

  void write_manifest(const std::string& outputs) const {
    write_file(root / "build.ninja", "rule copy\n  command = cp $in $out\n" + outputs);
  }

  std::vector<std::string> grant() const { return {"--dir-build", root.string() + "::/b", "--build-root", root.string()}; }

  TempDir temp;
  fs::path root = temp.path() / "build";
};

}  // namespace

TEST_CASE("attack: --dir-build with --build-root keeps what the build graph produces read-only" * doctest::test_suite("attack")) {
  NinjaTree tree("build libshape.a: copy shape.c\n");
  Wasibuild wasibuild;
  // Without the build root, only names decide: the library is the guest's.
  CHECK(probe(wasibuild, {"--dir-build", tree.root.string() + "::/b"}, {"append", "/b/gen.h"}).out == "ok written\n");
  write_file(tree.root / "gen.h", "#define GENERATED 1\n");

  const auto denied = probe(wasibuild, tree.grant(), {"append", "/b/libshape.a"});
  INFO(denied.err);
  CHECK(denied.out == "denied I/O error\n");
  CHECK(probe(wasibuild, tree.grant(), {"unlink", "/b/libshape.a"}).out.starts_with("denied "));
  CHECK(probe(wasibuild, tree.grant(), {"rename", "/b/data.txt", "/b/libshape.a"}).out.starts_with("denied "));
  CHECK(read_file(tree.root / "libshape.a") == "!<arch>\nthe real library\n");
  // The guest's own files stay its own.
  CHECK(probe(wasibuild, tree.grant(), {"append", "/b/data.txt"}).out == "ok written\n");
  CHECK(probe(wasibuild, tree.grant(), {"write", "/b/new.txt"}).out == "ok written\n");
  // The graph is cached per build, next to CMake's state...
  CHECK(read_file(tree.root / "CMakeFiles/wasibuild-build-graph.txt").starts_with("wasibuild build graph v1 "));
  // ...and asked again when build.ninja changes: now gen.h is an output too.
  CHECK(probe(wasibuild, tree.grant(), {"append", "/b/gen.h"}).out == "ok written\n");
  tree.write_manifest("build libshape.a: copy shape.c\nbuild gen.h: copy gen.in\n");
  CHECK(probe(wasibuild, tree.grant(), {"append", "/b/gen.h"}).out == "denied I/O error\n");
  // A cache the key does not match is never believed.
  write_file(tree.root / "CMakeFiles/wasibuild-build-graph.txt", "wasibuild build graph v1 stale\n");
  CHECK(probe(wasibuild, tree.grant(), {"append", "/b/libshape.a"}).out == "denied I/O error\n");
}

TEST_CASE("--build-root: a graph Ninja cannot read is a runner error, never a wider grant") {
  NinjaTree tree("build libshape.a: nosuchrule shape.c\n");
  Wasibuild wasibuild;
  const auto refused = probe(wasibuild, tree.grant(), {"append", "/b/libshape.a"});
  CHECK(refused.exit_status == 125);
  CHECK(refused.out.empty());
  CHECK(refused.err.starts_with("wasibuild: error: --dir-build " + tree.root.string() +
                                ": cannot keep its build files read-only: cannot list the build graph of " +
                                tree.root.string() + ": ninja -t targets exited with status 1: ninja: error: "));
  wasibuild.options.environment["PATH"] = "/nonexistent";
  const auto no_ninja = probe(wasibuild, tree.grant(), {"append", "/b/libshape.a"});
  CHECK(no_ninja.exit_status == 125);
  CHECK(no_ninja.err.starts_with("wasibuild: error: --dir-build " + tree.root.string() +
                                 ": cannot keep its build files read-only: cannot list the build graph of " +
                                 tree.root.string() + ": no ninja on PATH\n"));
  CHECK(read_file(tree.root / "libshape.a") == "!<arch>\nthe real library\n");
}

TEST_CASE("attack: a tree deeper than PATH_MAX left by a test does not stop the next one" *
          doctest::test_suite("attack")) {
  BuildTree tree;
  Wasibuild wasibuild;
  std::vector<std::string> flags = tree.grant();
  flags.insert(flags.end(), {fixture("deep_tree"), "/b"});
  const auto planted = wasibuild.exec(flags);
  REQUIRE(planted.out == "levels 40\n");
  // The next test in that directory runs, and the build files stay guarded.
  const auto next = probe(wasibuild, tree.grant(), {"append", "/b/CMakeLists.txt"});
  CHECK(next.err == "");
  CHECK(next.out.starts_with("denied "));
  tree.check_untouched();
}
