// Deny by default: every grant is tested by a real guest that tries to
// escape it. Guest paths are explicit (wasi-libc resolves an absolute path
// against the longest matching preopen, and treats "/" and "." alike).
#include <sys/stat.h>
#include <filesystem>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// t/sandbox (granted read-write as /sandbox), t/ro (granted read-only as
// /ro), t/outside (never granted), and symlinks from the sandbox outwards.
struct Tree {
  Tree() {
    fs::create_directories(root / "sandbox");
    fs::create_directories(root / "outside");
    fs::create_directories(root / "ro");
    write_file(root / "sandbox/inside.txt", "inside\n");
    write_file(root / "outside/secret.txt", "secret\n");
    write_file(root / "ro/data.txt", "read only\n");
    fs::create_symlink("../outside/secret.txt", root / "sandbox/link_rel");
    fs::create_symlink(root / "outside/secret.txt", root / "sandbox/link_abs");
    fs::create_symlink("..", root / "sandbox/dir_up");
    fs::create_symlink(root / "outside", root / "sandbox/dir_abs");
  }
  std::string host(const std::string& relative) const { return (root / relative).string(); }
  std::vector<std::string> grants() const {
    return {"--dir", host("sandbox") + "::/sandbox", "--dir-ro", host("ro") + "::/ro"};
  }

  TempDir temp;
  fs::path root = temp.path();
};

}  // namespace

TEST_CASE("granted directories are usable") {
  Tree tree;
  Wasibuild wasibuild;
  CHECK(probe(wasibuild, tree.grants(), {"read", "/sandbox/inside.txt"}).out == "ok inside\n");
  CHECK(probe(wasibuild, tree.grants(), {"write", "/sandbox/new.txt"}).out == "ok written\n");
  CHECK(read_file(tree.root / "sandbox/new.txt") == "written by guest\n");
  CHECK(probe(wasibuild, tree.grants(), {"read", "/ro/data.txt"}).out == "ok read only\n");
  CHECK(probe(wasibuild, tree.grants(), {"list", "/sandbox"}).exit_status == 0);
}

TEST_CASE("without a grant the guest sees no filesystem at all") {
  Tree tree;
  Wasibuild wasibuild;
  for (const std::string& path : {std::string("/sandbox/inside.txt"), tree.host("sandbox/inside.txt"),
                                  std::string("inside.txt"), std::string("/etc/passwd")}) {
    CAPTURE(path);
    const auto result = probe(wasibuild, {}, {"read", path});
    CHECK(result.exit_status == 1);
    CHECK(result.out.starts_with("denied "));
  }
  CHECK(probe(wasibuild, {}, {"list", "."}).out.starts_with("denied "));
  CHECK(probe(wasibuild, {}, {"list", "/"}).out.starts_with("denied "));
}

TEST_CASE("reads cannot escape a grant through .., absolute paths or symlinks") {
  Tree tree;
  Wasibuild wasibuild;
  const std::string escapes[] = {
      "/sandbox/../outside/secret.txt",
      "/sandbox/../../../../../../etc/passwd",
      "/sandbox/./../outside/secret.txt",
      tree.host("outside/secret.txt"),
      "/etc/passwd",
      "../outside/secret.txt",
      "/sandbox/link_rel",
      "/sandbox/link_abs",
      "/sandbox/dir_up/outside/secret.txt",
      "/sandbox/dir_abs/secret.txt",
      "/ro/../outside/secret.txt",
  };
  for (const std::string& path : escapes) {
    CAPTURE(path);
    const auto result = probe(wasibuild, tree.grants(), {"read", path});
    CHECK(result.exit_status == 1);
    CHECK(result.out.starts_with("denied "));
    CHECK(result.out.find("secret") == std::string::npos);
  }
}

TEST_CASE("writes cannot escape a grant, and the host outside is untouched") {
  Tree tree;
  Wasibuild wasibuild;
  const std::string escapes[] = {
      "/sandbox/../outside/planted.txt",
      "/sandbox/dir_up/outside/planted.txt",
      "/sandbox/dir_abs/planted.txt",
      tree.host("outside/planted.txt"),
  };
  for (const std::string& path : escapes) {
    CAPTURE(path);
    CHECK(probe(wasibuild, tree.grants(), {"write", path}).out.starts_with("denied "));
  }
  CHECK(probe(wasibuild, tree.grants(), {"write", "/sandbox/link_rel"}).out.starts_with("denied "));
  CHECK(probe(wasibuild, tree.grants(), {"append", "/sandbox/link_abs"}).out.starts_with("denied "));
  CHECK_FALSE(fs::exists(tree.root / "outside/planted.txt"));
  CHECK(read_file(tree.root / "outside/secret.txt") == "secret\n");
}

TEST_CASE("a symlink the guest makes cannot lead outside either") {
  Tree tree;
  Wasibuild wasibuild;
  // Creating it may be refused or allowed; following it must fail.
  (void)probe(wasibuild, tree.grants(), {"symlink", tree.host("outside/secret.txt"), "/sandbox/made_abs"});
  (void)probe(wasibuild, tree.grants(), {"symlink", "../outside/secret.txt", "/sandbox/made_rel"});
  for (const char* link : {"/sandbox/made_abs", "/sandbox/made_rel"}) {
    CAPTURE(link);
    const auto result = probe(wasibuild, tree.grants(), {"read", link});
    CHECK(result.out.starts_with("denied "));
  }
}

// An absolute link inside a grant is read for the guest (link_reading.hpp),
// so the toolchain file's support library can follow it across grants; the
// runner reads it without following any link, so nothing outside a grant
// is read through one, and its target still opens only through a grant.
TEST_CASE("an absolute link's target is read inside a grant, never through another link") {
  Tree tree;
  fs::create_symlink(tree.host("sandbox/inside.txt"), tree.root / "ro/abs_to_sandbox");
  fs::create_symlink("/etc/passwd", tree.root / "outside/abs_link");
  Wasibuild wasibuild;
  // In the first grant and in the second: the runner finds each grant's directory.
  CHECK(probe(wasibuild, tree.grants(), {"readlink", "/sandbox/link_abs"}).out ==
        "ok " + tree.host("outside/secret.txt") + "\n");
  CHECK(probe(wasibuild, tree.grants(), {"readlink", "/ro/abs_to_sandbox"}).out ==
        "ok " + tree.host("sandbox/inside.txt") + "\n");
  // Relative targets keep Wasmtime's own answer.
  CHECK(probe(wasibuild, tree.grants(), {"readlink", "/sandbox/link_rel"}).out == "ok ../outside/secret.txt\n");
  // Reached through a link, or by climbing out: nothing is read.
  for (const char* path : {"/sandbox/dir_abs/abs_link", "/sandbox/dir_up/outside/abs_link",
                           "/sandbox/../outside/abs_link", "/ro/../outside/abs_link"}) {
    CAPTURE(path);
    const auto result = probe(wasibuild, tree.grants(), {"readlink", path});
    CHECK(result.exit_status == 1);
    CHECK(result.out.find("passwd") == std::string::npos);
  }
  // A link the guest plants itself (Wasmtime lets it write only relative
  // ones) steers the runner's reading no better.
  REQUIRE(probe(wasibuild, tree.grants(), {"symlink", "../outside", "/sandbox/planted"}).out == "ok linked\n");
  CHECK(probe(wasibuild, tree.grants(), {"readlink", "/sandbox/planted/abs_link"}).out.starts_with("denied "));
  CHECK(probe(wasibuild, tree.grants(), {"readlink", "/sandbox/planted"}).out == "ok ../outside\n");
  // Knowing the target opens nothing: the file is outside every grant.
  CHECK(probe(wasibuild, tree.grants(), {"read", tree.host("outside/secret.txt")}).out.starts_with("denied "));
}

TEST_CASE("a read-only grant refuses every kind of write") {
  Tree tree;
  Wasibuild wasibuild;
  const std::vector<std::vector<std::string>> writes = {
      {"write", "/ro/new.txt"},   {"write", "/ro/data.txt"},          {"append", "/ro/data.txt"},
      {"unlink", "/ro/data.txt"}, {"mkdir", "/ro/sub"},               {"rename", "/ro/data.txt", "/ro/moved.txt"},
      {"rename", "/ro/data.txt", "/sandbox/moved.txt"},               {"symlink", "data.txt", "/ro/link"},
  };
  for (const auto& operation : writes) {
    CAPTURE(operation[0]);
    CAPTURE(operation[1]);
    const auto result = probe(wasibuild, tree.grants(), operation);
    CHECK(result.exit_status == 1);
    CHECK(result.out.starts_with("denied "));
  }
  CHECK(read_file(tree.root / "ro/data.txt") == "read only\n");
  CHECK(fs::directory_iterator(tree.root / "ro") != fs::directory_iterator());
  CHECK(std::distance(fs::directory_iterator(tree.root / "ro"), fs::directory_iterator()) == 1);
  CHECK_FALSE(fs::exists(tree.root / "sandbox/moved.txt"));
}

TEST_CASE("a grant of a missing path or a file is a runner error naming it") {
  Tree tree;
  Wasibuild wasibuild;
  const auto missing = wasibuild.exec({"--dir", tree.host("nope"), fixture("fs_probe"), "list", "/"});
  CHECK(missing.exit_status == 125);
  CHECK(missing.err == "wasibuild: error: " + tree.host("nope") + ": cannot grant a directory that does not exist\n");
  const auto file = wasibuild.exec({"--dir-ro", tree.host("ro/data.txt"), fixture("fs_probe"), "list", "/"});
  CHECK(file.exit_status == 125);
  CHECK(file.err == "wasibuild: error: " + tree.host("ro/data.txt") + ": cannot grant it: not a directory\n");
}

TEST_CASE("the guest gets no host environment unless granted") {
  Wasibuild wasibuild;
  wasibuild.options.environment["SECRET_TOKEN"] = "hunter2";
  const auto none = wasibuild.exec({fixture("args_env")});
  CHECK(none.out.find("env:") == std::string::npos);

  const auto set = wasibuild.exec({"--env", "LANG=C", "--env", "EMPTY=", fixture("args_env")});
  CHECK(set.out.find("env:LANG=C\n") != std::string::npos);
  CHECK(set.out.find("env:EMPTY=\n") != std::string::npos);
  CHECK(set.out.find("SECRET_TOKEN") == std::string::npos);
  CHECK(set.out.find("PATH") == std::string::npos);

  const auto copied = wasibuild.exec({"--env", "SECRET_TOKEN", "--env", "NOT_SET_ANYWHERE", fixture("args_env")});
  CHECK(copied.out.find("env:SECRET_TOKEN=hunter2\n") != std::string::npos);
  CHECK(copied.out.find("NOT_SET_ANYWHERE") == std::string::npos);
  CHECK(copied.out.find("PATH") == std::string::npos);

  const auto inherited = wasibuild.exec({"--inherit-env", "--env", "PATH=/guest", fixture("args_env")});
  CHECK(inherited.out.find("env:SECRET_TOKEN=hunter2\n") != std::string::npos);
  CHECK(inherited.out.find("env:PATH=/guest\n") != std::string::npos);
  CHECK(inherited.out.find("env:PATH=/usr/bin") == std::string::npos);
}

TEST_CASE("--env-file sets what its lines say and nothing else; --env wins; a bad line names file and line") {
  Wasibuild wasibuild;
  TempDir dir;
  wasibuild.options.environment["SECRET_TOKEN"] = "hunter2";
  wasibuild.options.environment["OTHER_SECRET"] = "swordfish";
  write_file(dir / "guest.env",
             "# settings for the guest\nLANG=C\n\n  \nGREETING=a = b # not a comment\nSECRET_TOKEN\nMISSING_ON_HOST\n"
             "WINDOWS=crlf\r\nOVERRIDDEN=from file\n");
  wasibuild.options.working_directory = dir.path();
  const auto ran = wasibuild.exec({"--env-file", "guest.env", "--env", "OVERRIDDEN=from flag", fixture("args_env")});
  INFO(ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "arg[0]=args_env\nenv:LANG=C\nenv:GREETING=a = b # not a comment\nenv:SECRET_TOKEN=hunter2\n"
                   "env:WINDOWS=crlf\nenv:OVERRIDDEN=from flag\n");

  write_file(dir / "bad.env", "GOOD=1\n# fine\nnot a variable\n");
  const auto bad = wasibuild.exec({"--env-file", "bad.env", fixture("args_env")});
  CHECK(bad.exit_status == 125);
  CHECK(bad.out.empty());
  CHECK(bad.err == "wasibuild: error: " + (dir / "bad.env").string() +
                       ":3: expected NAME=VALUE or NAME, not 'not a variable'\n"
                       "help: a line each: NAME=VALUE, NAME (copied from the host), or # a comment\n");
  const auto missing = wasibuild.exec({"--env-file", "nope.env", fixture("args_env")});
  CHECK(missing.exit_status == 125);
  CHECK(missing.err.starts_with("wasibuild: error: --env-file 'nope.env': no such file\n"));
  // A FIFO would block the read: refused before opening.
  REQUIRE(::mkfifo((dir / "fifo.env").c_str(), 0600) == 0);
  wasibuild.options.kill_after = std::chrono::seconds(20);
  const auto fifo = wasibuild.exec({"--env-file", "fifo.env", fixture("args_env")});
  CHECK(fifo.exit_status == 125);
  CHECK(fifo.err.starts_with("wasibuild: error: --env-file 'fifo.env': not a regular file\n"));
}

// wasibuild's descriptor imports (dup, pipe: runner/src/descriptors.hpp),
// called directly by a hostile module: pointers outside its memory are
// EFAULT, numbers it does not hold EBADF, a pipe's I/O vectors are checked
// one by one, and duplicating forever ends in EMFILE, not in the host's
// memory. The module exits with the number of the first check that failed.
TEST_CASE("attack: the descriptor imports refuse bad pointers and numbers and stay bounded" *
          doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  TempDir temp;
  write_file(temp / "hostile.wat", R"((module
  (import "wasibuild" "fd_dup" (func $dup (param i32 i32) (result i32)))
  (import "wasibuild" "fd_dup2" (func $dup2 (param i32 i32) (result i32)))
  (import "wasibuild" "fd_pipe" (func $pipe (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $expect (param $got i32) (param $want i32) (param $check i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $check)))))
  (func (export "_start")
    (call $expect (call $dup (i32.const 1) (i32.const 0xfffffff0)) (i32.const 21) (i32.const 1))
    (call $expect (call $pipe (i32.const 0xfffffffc)) (i32.const 21) (i32.const 2))
    (call $expect (call $dup2 (i32.const 1) (i32.const 5000)) (i32.const 8) (i32.const 3))
    (call $expect (call $dup2 (i32.const 77) (i32.const 5)) (i32.const 8) (i32.const 4))
    (call $expect (call $dup (i32.const -1) (i32.const 16)) (i32.const 8) (i32.const 5))
    (call $expect (call $pipe (i32.const 32)) (i32.const 0) (i32.const 6))
    (call $expect (call $write (i32.load (i32.const 36)) (i32.const 0xfffffff8) (i32.const 1) (i32.const 48))
                  (i32.const 21) (i32.const 7))
    (i32.store (i32.const 64) (i32.const 0xffffff00))
    (i32.store (i32.const 68) (i32.const 1000))
    (call $expect (call $write (i32.load (i32.const 36)) (i32.const 64) (i32.const 1) (i32.const 48))
                  (i32.const 21) (i32.const 8))
    (block $full (loop $more
      (br_if $full (i32.eq (call $dup (i32.const 1) (i32.const 16)) (i32.const 33)))
      (br $more)))
    (call $exit (i32.const 0))))
)");
  const auto hostile = wasibuild.exec({"--timeout", "60s", (temp / "hostile.wat").string()});
  CHECK(hostile.err == "");
  CHECK(hostile.exit_status == 0);

  // An import wasibuild does not provide is refused before the guest runs.
  write_file(temp / "unknown.wat", R"((module
  (import "wasibuild" "fd_steal" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start"))))");
  const auto unknown = wasibuild.exec({(temp / "unknown.wat").string()});
  CHECK(unknown.exit_status == 125);
  CHECK(unknown.err.find("unknown import: `wasibuild::fd_steal`") != std::string::npos);
}

TEST_CASE("two directories granted under one guest path are refused; one directory twice is fine") {
  Tree tree;
  Wasibuild wasibuild;
  const std::string sandbox = (tree.root / "sandbox").string();
  const std::string outside = (tree.root / "outside").string();
  const auto clash = wasibuild.exec({"--dir", sandbox + "::/out", "--dir-ro", outside + "::/out/", fixture("fs_probe"),
                                     "read", "/out/inside.txt"});
  CHECK(clash.exit_status == 125);
  CHECK(clash.err == "wasibuild: error: " + outside + ": cannot grant it as /out: " + sandbox +
                         " is granted there already\nhelp: give each directory its own guest path (HOST::GUEST)\n");
  CHECK(clash.out.empty());
  const auto same = wasibuild.exec({"--dir-ro", sandbox + "::/out", "--dir-ro", sandbox + "/::/out", fixture("fs_probe"),
                                    "read", "/out/inside.txt"});
  CHECK(same.exit_status == 0);
  CHECK(same.out == "ok inside\n");
}
