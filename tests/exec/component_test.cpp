// WASI 0.2 components in `wasibuild exec`, written as component text so
// that no toolchain is needed: the same exit statuses, traps, limits and
// compiled-code cache as core modules. Components built by a real
// toolchain, with sockets, are in tests/project/network_test.cpp.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;

namespace {

// A command component whose wasi:cli/run `run` executes BODY (core wasm
// instructions leaving an i32: 0 for ok, 1 for err).
std::string command_component(const std::string& body, const std::string& version = "0.2.0") {
  return R"((component
  (core module $m
    (memory (export "memory") 1)
    (func (export "run") (result i32) )" +
         body + R"())
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@)" +
         version + R"(" (instance $cli))))";
}

}  // namespace

TEST_CASE("a component's run result is its exit status, and its traps and timeouts are reported as a module's") {
  Wasibuild wasibuild;
  TempDir temp;
  write_file(temp / "ok.wat", command_component("i32.const 0"));
  write_file(temp / "err.wat", command_component("i32.const 1"));
  write_file(temp / "trap.wat", command_component("unreachable"));
  write_file(temp / "spin.wat", command_component("(loop br 0) i32.const 0"));

  const auto ok = wasibuild.exec({(temp / "ok.wat").string()});
  INFO(ok.err);
  CHECK(ok.exit_status == 0);
  CHECK(ok.err.empty());
  CHECK(wasibuild.exec({(temp / "err.wat").string()}).exit_status == 1);

  const auto trapped = wasibuild.exec({(temp / "trap.wat").string()});
  CHECK(trapped.exit_status == 134);
  CHECK(trapped.err.find("wasm trap: wasm `unreachable` instruction executed") != std::string::npos);

  const auto spun = wasibuild.exec({"--timeout", "200ms", (temp / "spin.wat").string()});
  CHECK(spun.exit_status == 124);
  CHECK(spun.err.find("timed out") != std::string::npos);
  const auto fueled = wasibuild.exec({"--fuel", "100000", (temp / "spin.wat").string()});
  CHECK(fueled.exit_status == 134);
  CHECK(fueled.err.find("fuel") != std::string::npos);
}

TEST_CASE("attack: a guest's function names cannot turn its trap into a timeout" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  TempDir temp;
  // The trapping function's name spells Wasmtime's timeout reason, and its
  // cause header: the outcome is read from Wasmtime's own cause only.
  write_file(temp / "named.wat", R"((component
  (core module $m
    (func $"\n\nCaused by:\n    wasm trap: interrupt" (result i32) unreachable)
    (func (export "run") (result i32) call 0))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli))))");
  const auto trapped = wasibuild.exec({"--timeout", "30s", (temp / "named.wat").string()});
  INFO(trapped.err);
  CHECK(trapped.exit_status == 134);
  CHECK(trapped.err.find("wasm `unreachable` instruction executed") != std::string::npos);
}

TEST_CASE("a precompiled component with --max-memory is refused: its memories cannot be counted") {
  Wasibuild wasibuild;
  TempDir temp;
  write_file(temp / "ok.wat", command_component("i32.const 0"));
  REQUIRE(wasibuild({"compile", (temp / "ok.wat").string(), "-o", (temp / "ok.cwasm").string()}).exit_status == 0);
  CHECK(wasibuild.exec({"--allow-precompiled", (temp / "ok.cwasm").string()}).exit_status == 0);
  const auto capped = wasibuild.exec({"--allow-precompiled", "--max-memory", "64MiB", (temp / "ok.cwasm").string()});
  CHECK(capped.exit_status == 125);
  CHECK(capped.err.find("cannot be counted for --max-memory") != std::string::npos);
  CHECK(capped.err.find("help: run the component's .wasm with --max-memory") != std::string::npos);
}

TEST_CASE("a component that is no command, or a WASI 0.3 one, is refused by name") {
  Wasibuild wasibuild;
  TempDir temp;
  // The component header alone is a whole (empty) component.
  write_file(temp / "empty.wasm", std::string("\0asm\x0d\x00\x01\x00", 8));
  const auto empty = wasibuild.exec({(temp / "empty.wasm").string()});
  CHECK(empty.exit_status == 125);
  CHECK(empty.err == "wasibuild: error: " + (temp / "empty.wasm").string() +
                         ": not a WASI command component: it exports no wasi:cli/run interface\n");

  write_file(temp / "p3.wat", command_component("i32.const 0", "0.3.0"));
  const auto p3 = wasibuild.exec({(temp / "p3.wat").string()});
  CHECK(p3.exit_status == 125);
  CHECK(p3.err.find("a WASI 0.3 component (built for wasm32-wasip3)") != std::string::npos);
  CHECK(p3.err.find("help: build it for wasm32-wasip2") != std::string::npos);
}

TEST_CASE("--max-memory bounds a component's core memories together") {
  Wasibuild wasibuild;
  TempDir temp;
  // Grows its memory by 64 pages (4 MiB): fails (-1) under a 2 MiB budget.
  const std::string grow = "(if (result i32) (i32.eq (memory.grow (i32.const 64)) (i32.const -1)) "
                           "(then (i32.const 1)) (else (i32.const 0)))";
  write_file(temp / "grow.wat", command_component(grow));
  CHECK(wasibuild.exec({(temp / "grow.wat").string()}).exit_status == 0);
  CHECK(wasibuild.exec({"--max-memory", "2MiB", (temp / "grow.wat").string()}).exit_status == 1);
}

TEST_CASE("components go through the compiled-code cache and `wasibuild compile`") {
  Wasibuild wasibuild;
  TempDir temp;
  write_file(temp / "ok.wat", command_component("i32.const 0"));
  write_file(temp / "err.wat", command_component("i32.const 1"));
  const auto only_entry = [](const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) found.push_back(entry.path());
    REQUIRE(found.size() == 1);
    return found.front();
  };
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (temp / "a").string();
  CHECK(wasibuild.exec({(temp / "err.wat").string()}).exit_status == 1);
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (temp / "b").string();
  CHECK(wasibuild.exec({(temp / "ok.wat").string()}).exit_status == 0);
  // err's compiled code under ok's key: ok now ends as err does, so the
  // second run loaded its code from the cache.
  std::filesystem::copy_file(only_entry(temp / "a"), only_entry(temp / "b"),
                             std::filesystem::copy_options::overwrite_existing);
  CHECK(wasibuild.exec({(temp / "ok.wat").string()}).exit_status == 1);

  const auto compiled = wasibuild({"compile", (temp / "err.wat").string(), "-o", (temp / "err.cwasm").string()});
  INFO(compiled.err);
  REQUIRE(compiled.exit_status == 0);
  CHECK(wasibuild.exec({"--allow-precompiled", (temp / "err.cwasm").string()}).exit_status == 1);
  CHECK(wasibuild.exec({(temp / "err.cwasm").string()}).exit_status == 125);  // native code: opt in
}
