// Bad input: one clear line naming the file and the problem, exit 125,
// never a crash or a hang.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

std::string error_line(const std::string& file, const std::string& problem) {
  return "wasibuild: error: " + file + ": " + problem + "\n";
}

}  // namespace

TEST_CASE("a missing file, a directory and an empty file") {
  Wasibuild wasibuild;
  TempDir temp;
  const auto missing = wasibuild.exec({(temp / "nope.wasm").string()});
  CHECK(missing.exit_status == 125);
  CHECK(missing.err == error_line((temp / "nope.wasm").string(), "cannot read it: No such file or directory"));

  const auto directory = wasibuild.exec({temp.path().string()});
  CHECK(directory.exit_status == 125);
  CHECK(directory.err == error_line(temp.path().string(), "cannot read it: Is a directory"));

  write_file(temp / "empty.wasm", "");
  const auto empty = wasibuild.exec({(temp / "empty.wasm").string()});
  CHECK(empty.exit_status == 125);
  CHECK(empty.err == error_line((temp / "empty.wasm").string(), "empty file, not a WebAssembly module"));
}

TEST_CASE("attack: a FIFO is refused at once - not waited on" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  wasibuild.options.kill_after = std::chrono::seconds(60);
  TempDir temp;
  const std::string fifo = (temp / "fifo.wasm").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto result = wasibuild.exec({fifo});
  CHECK_FALSE(result.killed);
  CHECK(result.exit_status == 125);
  CHECK(result.err == error_line(fifo, "cannot read it: not a regular file (a FIFO, a device or a socket)"));
}

TEST_CASE("attack: text a module controls is cut in error lines" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  TempDir temp;
  const std::string name(100000, 'x');
  write_file(temp / "long.wat", "(module (import \"env\" \"" + name + "\" (func)) (func (export \"_start\")))");
  const auto result = wasibuild.exec({(temp / "long.wat").string()});
  CHECK(result.exit_status == 125);
  const std::string reason = "unknown import: `env::" + name;
  CHECK(result.err ==
        error_line((temp / "long.wat").string(), "cannot instantiate the module: " + reason.substr(0, 512) + "..."));
}

TEST_CASE("random bytes are not a module") {
  Wasibuild wasibuild;
  TempDir temp;
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 7919 + 13) % 251));
  write_file(temp / "noise.wasm", noise);
  const auto result = wasibuild.exec({(temp / "noise.wasm").string()});
  CHECK(result.exit_status == 125);
  CHECK(result.err == error_line((temp / "noise.wasm").string(),
                                 "not a WebAssembly module (a binary starts with \\0asm; .wat text and "
                                 "--allow-precompiled .cwasm files are accepted too)"));
}

TEST_CASE("a truncated module is rejected with the validator's reason and offset") {
  Wasibuild wasibuild;
  TempDir temp;
  const std::string whole = read_file(fixture("args_env"));
  for (std::size_t size : {std::size_t{8}, std::size_t{100}, whole.size() / 2, whole.size() - 1}) {
    CAPTURE(size);
    write_file(temp / "cut.wasm", whole.substr(0, size));
    const auto result = wasibuild.exec({(temp / "cut.wasm").string()});
    CHECK(result.exit_status == 125);
    CHECK(result.err.starts_with("wasibuild: error: " + (temp / "cut.wasm").string() + ": "));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    if (size > 8) CHECK(result.err.find("(at offset 0x") != std::string::npos);
  }
}

TEST_CASE("valid modules that are not commands, or import what nobody provides") {
  Wasibuild wasibuild;
  TempDir temp;
  write_file(temp / "bare.wasm", std::string("\0asm\1\0\0\0", 8));
  const auto bare = wasibuild.exec({(temp / "bare.wasm").string()});
  CHECK(bare.exit_status == 125);
  CHECK(bare.err ==
        error_line((temp / "bare.wasm").string(), "not a WASI command: the module exports no `_start` function"));

  const auto library = wasibuild.exec({fixture_source("not_command.wat")});
  CHECK(library.exit_status == 125);
  CHECK(library.err ==
        error_line(fixture_source("not_command.wat"), "not a WASI command: the module exports no `_start` function"));

  const auto imports = wasibuild.exec({fixture_source("unknown_import.wat")});
  CHECK(imports.exit_status == 125);
  CHECK(imports.err == error_line(fixture_source("unknown_import.wat"),
                                  "cannot instantiate the module: unknown import: `env::host_secret` has not been "
                                  "defined"));
}

TEST_CASE("malformed text format names the line and column") {
  Wasibuild wasibuild;
  TempDir temp;
  write_file(temp / "bad.wat", "(module\n  (func (result i32)\n    i32.const)\n");
  const auto result = wasibuild.exec({(temp / "bad.wat").string()});
  CHECK(result.exit_status == 125);
  CHECK(result.err.starts_with("wasibuild: error: " + (temp / "bad.wat").string() + ": invalid WebAssembly module: "));
  CHECK(result.err.find(" at line 3, column ") != std::string::npos);
}

TEST_CASE("precompiled modules run only with --allow-precompiled and the same engine settings") {
  Wasibuild wasibuild;
  TempDir temp;
  const std::string artifact = (temp / "exit.cwasm").string();
  const auto compiled = wasibuild({"compile", fixture("exit_code"), "-o", artifact});
  CHECK(compiled.exit_status == 0);
  CHECK(compiled.out == "compiled " + artifact + "\n");

  const auto refused = wasibuild.exec({artifact, "6"});
  CHECK(refused.exit_status == 125);
  CHECK(refused.err == error_line(artifact,
                                  "is a precompiled module, which is native code outside the sandbox; pass "
                                  "--allow-precompiled to run it"));

  const auto allowed = wasibuild.exec({"--allow-precompiled", artifact, "6"});
  CHECK(allowed.exit_status == 6);

  // Compiled without fuel or epoch support, it cannot honour --fuel or
  // --timeout, and says how to compile one that can.
  const auto no_fuel = wasibuild.exec({"--allow-precompiled", "--fuel", "1000000", artifact, "6"});
  CHECK(no_fuel.exit_status == 125);
  CHECK(no_fuel.err == "wasibuild: error: " + artifact +
                           ": cannot load the precompiled module: it was compiled without support for --fuel\n"
                           "help: compile it with: wasibuild compile --with-fuel MODULE.wasm\n"
                           "help: or run it without --fuel\n");
  const auto no_timeout = wasibuild.exec({"--allow-precompiled", "--timeout", "5s", artifact, "6"});
  CHECK(no_timeout.exit_status == 125);
  CHECK(no_timeout.err.find("it was compiled without support for --timeout\n"
                            "help: compile it with: wasibuild compile --with-timeout MODULE.wasm\n") !=
        std::string::npos);

  std::string damaged = read_file(artifact);
  damaged.resize(damaged.size() / 3);
  write_file(temp / "cut.cwasm", damaged);
  const auto cut = wasibuild.exec({"--allow-precompiled", (temp / "cut.cwasm").string()});
  CHECK(cut.exit_status == 125);
  CHECK(cut.err.starts_with("wasibuild: error: " + (temp / "cut.cwasm").string() + ": cannot load"));
}

TEST_CASE("compile --with-timeout and --with-fuel make a .cwasm that --timeout and --fuel can stop, and that runs without them") {
  Wasibuild wasibuild;
  TempDir temp;
  const std::string limited = (temp / "limited.cwasm").string();
  REQUIRE(wasibuild({"compile", "--with-timeout", "--with-fuel", fixture("traps"), "-o", limited}).exit_status == 0);
  const auto spun = wasibuild.exec({"--allow-precompiled", "--timeout", "300ms", limited, "spin"});
  CHECK(spun.exit_status == 124);
  CHECK(spun.err.find("timed out after 300 ms (--timeout)") != std::string::npos);
  const auto fuelled = wasibuild.exec({"--allow-precompiled", "--fuel", "100000", limited, "spin"});
  CHECK(fuelled.exit_status == 134);
  CHECK(fuelled.err.find("all fuel consumed") != std::string::npos);
  // Support the run does not use is switched on with no budget: the
  // module runs to its end.
  const std::string exit_artifact = (temp / "exit.cwasm").string();
  REQUIRE(wasibuild({"compile", "--with-timeout", "--with-fuel", fixture("exit_code"), "-o", exit_artifact}).exit_status == 0);
  CHECK(wasibuild.exec({"--allow-precompiled", exit_artifact, "7"}).exit_status == 7);
  CHECK(wasibuild.exec({"--allow-precompiled", "--timeout", "10s", exit_artifact, "8"}).exit_status == 8);
  CHECK(wasibuild.exec({"--allow-precompiled", "--fuel", "100000000", exit_artifact, "9"}).exit_status == 9);
}

TEST_CASE("a native program is called what it is, not a precompiled module") {
  Wasibuild wasibuild;
  for (const char* program : {"/bin/true", WASIBUILD_BINARY}) {
    const auto refused = wasibuild.exec({"--allow-precompiled", program});
    CHECK(refused.exit_status == 125);
    CHECK(refused.err == error_line(program, "a native program (ELF), not a WebAssembly module; wasibuild runs .wasm "
                                             "and .wat files, and .cwasm files made by `wasibuild compile`"));
  }
}

TEST_CASE("a threads module that cannot run is called what it is, with what it lacks") {
  Wasibuild wasibuild;
  TempDir temp;
  // The thread-spawn import after a table, a global and a tag import,
  // which the scan reads past, with a memory of its own: each thread would
  // get its own memory.
  write_file(temp / "spawn.wat", R"((module
    (import "env" "table" (table 1 funcref))
    (import "env" "g" (global (mut i32)))
    (import "env" "t" (tag (param i32)))
    (import "wasi" "thread-spawn" (func (param i32) (result i32)))
    (memory 1)
    (func (export "_start"))))");
  write_file(temp / "shared.wat",
             R"((module (import "env" "memory" (memory 1 2 shared)) (func (export "_start"))))");
  // What clang links with -pthread when the memory is not imported.
  write_file(temp / "own.wat", R"((module (memory 1 2) (memory 1 2 shared) (func (export "_start"))))");
  const std::string not_imported =
      "its memory is not an imported 32-bit shared memory (link it with -pthread -Wl,--import-memory,--shared-memory)";
  for (const auto& [file, what] :
       {std::pair<const char*, std::string>{"spawn.wat", not_imported},
        {"shared.wat", "it does not export its memory, which WASI reads (link it with -Wl,--export-memory)"},
        {"own.wat", not_imported}}) {
    const auto refused = wasibuild.exec({(temp / file).string()});
    CHECK(refused.exit_status == 125);
    CHECK(refused.err == "wasibuild: error: " + (temp / file).string() +
                             ": a wasm32-wasip1-threads module that cannot run here: " + what + "\n");
  }
  // A module with an unshared memory and other imports runs.
  write_file(temp / "plain.wat", R"((module
    (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
    (memory (export "memory") 1 2)
    (func (export "_start"))))");
  const auto plain = wasibuild.exec({(temp / "plain.wat").string()});
  CHECK(plain.err == "");
  CHECK(plain.exit_status == 0);
}

TEST_CASE("command-line mistakes are runner errors with a pointer to --help") {
  Wasibuild wasibuild;
  const auto unknown = wasibuild.exec({"--bogus", fixture("exit_code")});
  CHECK(unknown.exit_status == 125);
  CHECK(unknown.err == "wasibuild: error: The following argument was not expected: --bogus\n"
                       "help: run 'wasibuild exec --help' to see the usage\n");
  const auto no_file = wasibuild.exec({});
  CHECK(no_file.exit_status == 125);
  CHECK(no_file.err == "wasibuild: error: FILE is required\nhelp: run 'wasibuild exec --help' to see the usage\n");
  const auto bad_dir = wasibuild.exec({"--dir", "::/guest", fixture("exit_code")});
  CHECK(bad_dir.exit_status == 125);
  CHECK(bad_dir.err == "wasibuild: error: --dir '::/guest': expected HOST or HOST::GUEST\n"
                       "help: for example: --dir ./data::/data\n");
}

TEST_CASE("exec --help shows every flag with an example") {
  Wasibuild wasibuild;
  const auto help = wasibuild.exec({"--help"});
  CHECK(help.exit_status == 0);
  for (const char* flag : {"--dir HOST[::GUEST]", "--dir-ro HOST[::GUEST]", "--dir-build HOST[::GUEST]",
                           "e.g. --dir-build .::.", "--env-names-from VAR", "--private-tmp", "--env NAME[=VALUE]",
                           "--inherit-env",
                           "--max-memory SIZE", "--timeout DURATION", "--fuel N", "--allow-precompiled", "--no-cache",
                           "e.g. --max-memory 64MiB", "e.g. --timeout 250ms", "e.g. --dir ./out::/out"}) {
    CAPTURE(flag);
    CHECK(help.out.find(flag) != std::string::npos);
  }
}
