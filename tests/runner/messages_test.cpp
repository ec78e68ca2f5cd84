// Wasmtime's error reports, as the C API formats them, turned into ours.
#include <doctest/doctest.h>

#include <algorithm>

#include "messages.hpp"

using namespace wasibuild::runner;

TEST_CASE("causes are joined into one line") {
  CHECK(one_line("failed to parse WebAssembly module\n\nCaused by:\n    unexpected end-of-file (at offset 0x5f)") ==
        "failed to parse WebAssembly module: unexpected end-of-file (at offset 0x5f)");
  CHECK(one_line("top\n\nCaused by:\n    0: middle\n    1: bottom") == "top: middle: bottom");
  CHECK(one_line("just one line") == "just one line");
}

TEST_CASE("text-format errors keep the problem and its position") {
  CHECK(one_line("expected `)`\n     --> <anon>:2:1\n      |\n    2 | \n      | ^") ==
        "expected `)` at line 2, column 1");
}

TEST_CASE("a trap report splits into reason and frames, with runs collapsed") {
  const std::string report =
      "error while executing at wasm backtrace:\n"
      "    0:    0x29c - divide\n"
      "                    at /src/traps.c:6:70\n"
      "    1:    0x2cc - recurse\n"
      "    2:    0x2cc - recurse\n"
      "    3:    0x2cc - recurse\n"
      "    4:   0x2732 - traps.wasm!_start\n"
      "note: using the `WASMTIME_BACKTRACE_DETAILS=1` environment variable may show more debugging information\n"
      "\n"
      "Caused by:\n"
      "    wasm trap: integer divide by zero";
  const auto [reason, backtrace] = split_trap_message(report);
  CHECK(reason == "wasm trap: integer divide by zero");
  CHECK(backtrace ==
        "    0x29c - divide\n"
        "        at /src/traps.c:6:70\n"
        "    0x2cc - recurse\n"
        "    ... 2 more frames like the one above\n"
        "    0x2732 - traps.wasm!_start\n");
}

TEST_CASE("a report without a backtrace is all reason") {
  const auto [reason, backtrace] = split_trap_message("host error\n\nCaused by:\n    it broke");
  CHECK(reason == "host error: it broke");
  CHECK(backtrace.empty());
}

TEST_CASE("attack: text a guest controls is cut to a sane length" * doctest::test_suite("attack")) {
  const std::string huge(1 << 20, 'x');
  const std::string line = one_line("unknown import: `env::" + huge + "` has not been defined");
  CHECK(line.size() == kMaxLineLength + 3);
  CHECK(line.ends_with("xxx..."));
  CHECK(capped("short") == "short");
  // A cut never splits a UTF-8 character.
  const std::string accents = std::string(kMaxLineLength - 1, 'a') + "\xc3\xa9tail";
  CHECK(capped(accents) == std::string(kMaxLineLength - 1, 'a') + "...");
  const auto [reason, backtrace] =
      split_trap_message("error while executing at wasm backtrace:\n    0:    0x29c - " + huge +
                         "\n\nCaused by:\n    wasm trap: " + huge);
  CHECK(reason.size() == kMaxLineLength + 3);
  CHECK(backtrace.size() < kMaxLineLength + 16);
}

TEST_CASE("attack: a backtrace shows at most kMaxFrames frames" * doctest::test_suite("attack")) {
  std::string report = "error while executing at wasm backtrace:\n";
  for (int i = 0; i < 5000; ++i) report += "    " + std::to_string(i) + ":    0x2cc - f" + std::to_string(i % 2) + "\n";
  report += "\nCaused by:\n    wasm trap: call stack exhausted";
  const auto [reason, backtrace] = split_trap_message(report);
  CHECK(reason == "wasm trap: call stack exhausted");
  CHECK(std::count(backtrace.begin(), backtrace.end(), '\n') == static_cast<long>(kMaxFrames) + 1);
  CHECK(backtrace.ends_with("    ... 4900 more frames\n"));
}
