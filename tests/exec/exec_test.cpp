// `wasibuild exec`: arguments, environment, stdio, exit statuses and traps
// with real guests compiled from C and C++.
#include "exec_helpers.hpp"

using namespace wasibuild::testing;

TEST_CASE("attack: arguments reach the guest - argv[0] is the program's name, as natively - not its host path" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture("args_env"), "one", "two words"});
  CHECK(result.exit_status == 0);
  CHECK(result.out == "arg[0]=args_env\narg[1]=one\narg[2]=two words\n");
  CHECK(result.err == "");
}

TEST_CASE("--argv0 names the program; a module not named .wasm keeps its whole file name") {
  Wasibuild wasibuild;
  CHECK(wasibuild.exec({"--argv0", "tool", fixture("args_env"), "x"}).out == "arg[0]=tool\narg[1]=x\n");
  TempDir dir;
  std::filesystem::copy_file(fixture("args_env"), dir / "args_env.module");
  CHECK(wasibuild.exec({(dir / "args_env.module").string()}).out == "arg[0]=args_env.module\n");
}

TEST_CASE("everything after FILE goes to the guest, even flags wasibuild knows") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture("args_env"), "--help", "--dir", "/"});
  CHECK(result.exit_status == 0);
  CHECK(result.out == "arg[0]=args_env\narg[1]=--help\narg[2]=--dir\narg[3]=/\n");
}

TEST_CASE("-- before FILE (CTest's emulator form) and -- after FILE only separate") {
  Wasibuild wasibuild;
  const auto before = wasibuild.exec({"--", fixture("args_env"), "--version"});
  CHECK(before.exit_status == 0);
  CHECK(before.out == "arg[0]=args_env\narg[1]=--version\n");
  const auto after = wasibuild.exec({fixture("args_env"), "--", "-x"});
  CHECK(after.out == "arg[0]=args_env\narg[1]=-x\n");
}

TEST_CASE("stdin, stdout and stderr are the process's own") {
  Wasibuild wasibuild;
  wasibuild.options.input = "hello sandbox\n";
  const auto result = wasibuild.exec({fixture("stdio_echo")});
  CHECK(result.exit_status == 0);
  CHECK(result.out == "HELLO SANDBOX\n");
  CHECK(result.err == "read 14 bytes\n");
}

TEST_CASE("a C++ guest with iostream runs") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture("hello_cpp"), "zeta", "alpha"});
  CHECK(result.exit_status == 0);
  CHECK(result.out == "hello from C++ alpha zeta\n");
}

TEST_CASE("the guest's exit status passes through") {
  Wasibuild wasibuild;
  for (int code : {0, 1, 3, 42, 124, 125}) {
    CAPTURE(code);
    const auto result = wasibuild.exec({fixture("exit_code"), std::to_string(code)});
    CHECK(result.exit_status == code);
    CHECK(result.err == "");
  }
}

TEST_CASE("an exit status of 126 or more passes through as a native exit's, in 8 bits") {
  Wasibuild wasibuild;
  for (auto [asked, got] : {std::pair{126, 126}, {127, 127}, {200, 200}, {255, 255}, {300, 44}, {-1, 255}}) {
    CAPTURE(asked);
    const auto result = wasibuild.exec({fixture("exit_code"), std::to_string(asked)});
    CHECK(result.exit_status == got);
    CHECK(result.err == "");
  }
}

TEST_CASE("a module in text format runs") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture_source("exit_wat.wat")});
  CHECK(result.exit_status == 7);
}

TEST_CASE("traps exit 134 with the reason and a symbolized backtrace") {
  struct Case {
    std::string kind;
    std::string reason;
    std::string innermost_function;
  };
  const Case cases[] = {
      {"unreachable", "wasm trap: wasm `unreachable` instruction executed", "main"},
      {"divide", "wasm trap: integer divide by zero", "divide"},
      {"out-of-bounds", "wasm trap: out of bounds memory access", "main"},
      // Wasmtime keeps the innermost 20 frames: all of them are `recurse`.
      {"stack-overflow", "wasm trap: call stack exhausted", "recurse"},
  };
  Wasibuild wasibuild;
  for (const Case& trap : cases) {
    CAPTURE(trap.kind);
    const auto result = wasibuild.exec({fixture("traps"), trap.kind});
    CHECK(result.exit_status == 134);
    const std::string first_line = result.err.substr(0, result.err.find('\n'));
    CHECK(first_line.starts_with("wasibuild: error: " + fixture("traps") + ": "));
    CHECK(first_line.ends_with(trap.reason));
    CHECK(result.err.find("wasm backtrace:\n") != std::string::npos);
    CHECK(result.err.find(trap.innermost_function) != std::string::npos);
  }
}

TEST_CASE("wasibuild's error starts a line of its own after a guest's unfinished stderr line") {
  Wasibuild wasibuild;
  const auto trapped = wasibuild.exec({fixture("traps"), "said", "unreachable"});
  CHECK(trapped.exit_status == 134);
  CHECK(trapped.err.starts_with("partial message\nwasibuild: error: "));
  wasibuild.options.kill_after = std::chrono::seconds(30);
  const auto timed_out = wasibuild.exec({"--timeout", "300ms", fixture("traps"), "said", "spin"});
  CHECK(timed_out.exit_status == 124);
  CHECK(timed_out.err == "partial message\nwasibuild: error: " + fixture("traps") + ": timed out after 300 ms (--timeout)\n");
  // A guest whose last line ended needs no extra one.
  const auto usage = wasibuild.exec({"--timeout", "5s", fixture("traps"), "unreachable"});
  CHECK(usage.err.starts_with("wasibuild: error: "));
}

TEST_CASE("a trap backtrace names the function and its file:line from DWARF") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture("traps"), "divide"});
  CHECK(result.exit_status == 134);
  CHECK(result.err.find("divide") != std::string::npos);
  CHECK(result.err.find("traps.c:6") != std::string::npos);
}
