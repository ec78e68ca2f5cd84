// --timeout, --max-memory and --fuel with real guests. Timings are only
// checked against generous bounds that a loaded machine still meets: the
// point is that the guest ends, not how fast.
#include "exec_helpers.hpp"

using namespace wasibuild::testing;
using namespace std::chrono_literals;

namespace {

// The size in "help: give it at least --max-memory 9.3 MiB", as a flag
// value ("9.3MiB"); empty when there is none.
std::string suggested_budget(const std::string& err) {
  constexpr std::string_view kHelp = "help: give it at least --max-memory ";
  const auto at = err.find(kHelp);
  if (at == std::string::npos) return "";
  std::string amount = err.substr(at + kHelp.size());
  amount = amount.substr(0, amount.find('\n'));
  std::erase(amount, ' ');
  return amount;
}

}  // namespace

TEST_CASE("--timeout ends a guest spinning in wasm with 124") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({"--timeout", "300ms", fixture("traps"), "spin"});
  CHECK(result.exit_status == 124);
  CHECK(result.err == "wasibuild: error: " + fixture("traps") + ": timed out after 300 ms (--timeout)\n");
  CHECK(result.elapsed < 20s);
}

TEST_CASE("--timeout ends a guest blocked in a host call (sleep, stdin read)") {
  Wasibuild wasibuild;
  const auto sleeping = wasibuild.exec({"--timeout", "200ms", fixture("blocking"), "sleep", "60"});
  CHECK(sleeping.exit_status == 124);
  CHECK(sleeping.out == "");
  CHECK(sleeping.err == "wasibuild: error: " + fixture("blocking") + ": timed out after 200 ms (--timeout)\n");
  CHECK(sleeping.elapsed < 30s);
}

TEST_CASE("a guest that finishes in time is unaffected by --timeout") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({"--timeout", "60s", fixture("exit_code"), "9"});
  CHECK(result.exit_status == 9);
  CHECK(result.err == "");
}

TEST_CASE("--max-memory makes growth fail inside the guest, as allocation failure") {
  Wasibuild wasibuild;
  const auto capped = wasibuild.exec({"--max-memory", "16MiB", fixture("alloc"), "64"});
  CHECK(capped.exit_status == 3);
  CHECK(capped.out == "allocation failed\n");
  const auto within = wasibuild.exec({"--max-memory", "16MiB", fixture("alloc"), "4"});
  CHECK(within.exit_status == 0);
  CHECK(within.out == "allocated 4 MiB, last byte 1\n");
  const auto unlimited = wasibuild.exec({fixture("alloc"), "64"});
  CHECK(unlimited.out == "allocated 64 MiB, last byte 1\n");
}

TEST_CASE("--max-memory below a module's declared memory says how much it needs, and that is enough") {
  Wasibuild wasibuild;
  // The fixtures link with an 8 MiB stack: their memory starts above 8 MiB.
  const auto refused = wasibuild.exec({"--max-memory", "64KiB", fixture("exit_code"), "3"});
  CHECK(refused.exit_status == 125);
  CHECK(refused.err.find(": its memory starts at 8.") != std::string::npos);
  CHECK(refused.err.find("more than --max-memory 64 KiB allows one memory (56 KiB;") != std::string::npos);
  const std::string amount = suggested_budget(refused.err);
  REQUIRE_FALSE(amount.empty());
  CHECK(wasibuild.exec({"--max-memory", amount, fixture("exit_code"), "3"}).exit_status == 3);
}

TEST_CASE("--fuel is a deterministic budget: running out is a trap") {
  Wasibuild wasibuild;
  const auto starved = wasibuild.exec({"--fuel", "100000", fixture("traps"), "spin"});
  CHECK(starved.exit_status == 134);
  CHECK(starved.err.starts_with("wasibuild: error: " + fixture("traps") + ": wasm trap: all fuel consumed"));
  const auto enough = wasibuild.exec({"--fuel", "100000000", fixture("exit_code"), "5"});
  CHECK(enough.exit_status == 5);
}

TEST_CASE("malformed limit values are runner errors with an example") {
  Wasibuild wasibuild;
  const auto memory = wasibuild.exec({"--max-memory", "lots", fixture("exit_code")});
  CHECK(memory.exit_status == 125);
  CHECK(memory.err ==
        "wasibuild: error: --max-memory 'lots': not a size\nhelp: for example: --max-memory 64MiB\n");
  const auto timeout = wasibuild.exec({"--timeout", "-1s", fixture("exit_code")});
  CHECK(timeout.exit_status == 125);
  CHECK(timeout.err == "wasibuild: error: --timeout '-1s': not a positive duration\n"
                       "help: for example: --timeout 250ms or --timeout 2s\n");
  const auto fuel = wasibuild.exec({"--fuel", "12abc", fixture("exit_code")});
  CHECK(fuel.exit_status == 125);
  CHECK(fuel.err == "wasibuild: error: --fuel '12abc': not a whole number\nhelp: for example: --fuel 1000000\n");
}

// ---- Limits from the first instruction, for all of a guest's memory ------
// The modules are written as text by the tests. Each run has a generous
// external bound: a regression that hangs fails instead of stalling the suite.

namespace {

constexpr auto kHangBound = std::chrono::seconds(60);

// A command module whose start function runs BODY (with WASI's proc_exit and
// poll_oneoff imported, and one page of memory).
std::string with_start(const std::string& body) {
  return "(module\n"
         "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
         "  (import \"wasi_snapshot_preview1\" \"poll_oneoff\"\n"
         "    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))\n"
         "  (memory (export \"memory\") 1)\n"
         "  (func $start " + body + ")\n"
         "  (start $start)\n"
         "  (func (export \"_start\")))\n";
}

struct Guest {
  Wasibuild wasibuild;
  TempDir dir;
  std::string module;

  explicit Guest(const std::string& text) : module((dir / "guest.wat").string()) {
    write_file(module, text);
    wasibuild.options.kill_after = kHangBound;
  }
  ProcessResult exec(std::vector<std::string> flags) const {
    flags.push_back(module);
    return wasibuild.exec(std::move(flags));
  }
};

}  // namespace

TEST_CASE("attack: a start function that loops forever ends at --timeout with 124" * doctest::test_suite("attack")) {
  Guest guest(with_start("(loop $forever (br $forever))"));
  const auto result = guest.exec({"--timeout", "500ms"});
  CHECK_FALSE(result.killed);
  CHECK(result.exit_status == 124);
  CHECK(result.err == "wasibuild: error: " + guest.module + ": timed out after 500 ms (--timeout)\n");
}

TEST_CASE("attack: a start function that sleeps in poll_oneoff ends at --timeout with 124" * doctest::test_suite("attack")) {
  // One clock subscription at 0 (tag 0 = clock, monotonic, 60 s relative),
  // its event written at 64, the event count at 128.
  Guest guest(with_start("(i64.store (i32.const 24) (i64.const 60000000000))\n"
                         "    (i32.store (i32.const 16) (i32.const 1))\n"
                         "    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))"));
  const auto result = guest.exec({"--timeout", "500ms"});
  CHECK_FALSE(result.killed);
  CHECK(result.exit_status == 124);
  CHECK(result.err == "wasibuild: error: " + guest.module + ": timed out after 500 ms (--timeout)\n");
}

TEST_CASE("attack: a trap in a start function is a trap: 134 and its reason" * doctest::test_suite("attack")) {
  Guest guest(with_start("unreachable"));
  const auto result = guest.exec({});
  CHECK(result.exit_status == 134);
  CHECK(result.err.starts_with("wasibuild: error: " + guest.module +
                               ": wasm trap: wasm `unreachable` instruction executed\n"));
}

TEST_CASE("a start function that runs out of --fuel traps with 134") {
  Guest guest(with_start("(loop $forever (br $forever))"));
  const auto result = guest.exec({"--fuel", "100000"});
  CHECK(result.exit_status == 134);
  CHECK(result.err.starts_with("wasibuild: error: " + guest.module + ": wasm trap: all fuel consumed"));
}

TEST_CASE("proc_exit in a start function passes its code through") {
  for (int code : {3, 200}) {
    CAPTURE(code);
    Guest guest(with_start("(call $proc_exit (i32.const " + std::to_string(code) + "))"));
    const auto result = guest.exec({});
    CHECK(result.exit_status == code);
    CHECK(result.err == "");
  }
}

namespace {

// 100 memories of one page; _start grows each by 959 pages (to 60 MiB) and
// exits with the number of grows that succeeded.
std::string hundred_memories() {
  std::string text = "(module\n  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n";
  text += "  (memory (export \"memory\") 1)\n";  // WASI's proc_exit wants it exported
  for (int i = 1; i < 100; ++i) text += "  (memory 1)\n";
  text += "  (func (export \"_start\") (local $grown i32)\n";
  for (int i = 0; i < 100; ++i) {
    text += "    (local.set $grown (i32.add (local.get $grown) (i32.ne (memory.grow " + std::to_string(i) +
            " (i32.const 959)) (i32.const -1))))\n";
  }
  text += "    (call $proc_exit (local.get $grown))))\n";
  return text;
}

// One table; _start grows it by 100M elements and exits 7 when the guest
// sees the growth fail, 0 when it succeeded.
constexpr const char* kTableBomb =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
    "  (table $t 1 funcref)\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"_start\")\n"
    "    (if (i32.eq (table.grow $t (ref.null func) (i32.const 100000000)) (i32.const -1))\n"
    "      (then (call $proc_exit (i32.const 7))))))\n";

}  // namespace

TEST_CASE("attack: --max-memory bounds the total of many memories - not each one" * doctest::test_suite("attack")) {
  Guest guest(hundred_memories());
  // 64 MiB split over 100 memories: no memory may grow to 60 MiB.
  const auto capped = guest.exec({"--max-memory", "64MiB"});
  CHECK(capped.exit_status == 0);
  CHECK(capped.err == "");
  // Their minimums alone exceed a 4 MiB budget: refused before anything runs.
  const auto too_small = guest.exec({"--max-memory", "4MiB"});
  CHECK(too_small.exit_status == 125);
  CHECK(too_small.err.starts_with("wasibuild: error: " + guest.module +
                                  ": its memory starts at 64 KiB (its declared minimum), more than --max-memory "
                                  "4 MiB allows one memory (40 KiB; docs/exit-status.md#limits)\n"
                                  "help: give it at least --max-memory "));
  // The budget it names is enough.
  CHECK(suggested_budget(too_small.err) == "6.3MiB");  // 100 memories of 64 KiB
  CHECK(guest.exec({"--max-memory", suggested_budget(too_small.err)}).exit_status != 125);
  // Without --max-memory, growth is only reserved address space: all succeed.
  CHECK(guest.exec({}).exit_status == 100);
}

TEST_CASE("attack: --max-memory bounds tables: a table.grow bomb fails inside the guest" * doctest::test_suite("attack")) {
  Guest guest(kTableBomb);
  const auto capped = guest.exec({"--max-memory", "64MiB"});
  CHECK(capped.exit_status == 7);
  CHECK(capped.err == "");
}

TEST_CASE("--max-memory leaves room for exceptions (Wasmtime's GC heap)") {
  // A tag makes Wasmtime allocate exception objects in its GC heap, which
  // grows through the same limiter as memories.
  Guest guest(
      "(module\n"
      "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
      "  (tag $oops (param i32))\n"
      "  (memory (export \"memory\") 1)\n"
      "  (func (export \"_start\")\n"
      "    (call $proc_exit (block $caught (result i32)\n"
      "      (try_table (catch $oops $caught) (throw $oops (i32.const 42)))\n"
      "      (i32.const 1)))))\n");
  CHECK(guest.exec({}).exit_status == 42);
  CHECK(guest.exec({"--max-memory", "16MiB"}).exit_status == 42);
}

// ---- --max-wasm-stack: the native stack for the guest's calls -------------

TEST_CASE("a guest recursing 100000 frames deep runs with the default 8 MiB call stack") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture("recursion"), "deep", "100000"});
  CHECK(result.err == "");
  CHECK(result.out == "depth 100000\n");
  CHECK(result.exit_status == 0);
}

TEST_CASE("with Wasmtime's old 512 KiB budget the same recursion traps and the help names the knob") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({"--max-wasm-stack", "512KiB", fixture("recursion"), "deep", "100000"});
  CHECK(result.exit_status == 134);
  CHECK(result.err.starts_with("wasibuild: error: " + fixture("recursion") + ": wasm trap: call stack exhausted\n"));
  CHECK(result.err.ends_with("help: the guest used its whole call stack (512 KiB); raise it with --max-wasm-stack\n"));
}

TEST_CASE("infinite recursion exits 134 with the call-stack help line, and a larger budget is accepted") {
  Wasibuild wasibuild;
  const auto result = wasibuild.exec({fixture("recursion"), "forever"});
  CHECK(result.exit_status == 134);
  CHECK(result.out == "");
  CHECK(result.err.starts_with("wasibuild: error: " + fixture("recursion") + ": wasm trap: call stack exhausted\n"));
  CHECK(result.err.find("wasm backtrace:\n") != std::string::npos);
  CHECK(result.err.ends_with("help: the guest used its whole call stack (8 MiB); raise it with --max-wasm-stack\n"));

  const auto larger = wasibuild.exec({"--max-wasm-stack", "64MiB", fixture("recursion"), "forever"});
  CHECK(larger.exit_status == 134);
  CHECK(larger.err.ends_with("help: the guest used its whole call stack (64 MiB); raise it with --max-wasm-stack\n"));
}

TEST_CASE("--max-wasm-stack rejects what is not a size from 64KiB to 1GiB") {
  Wasibuild wasibuild;
  for (const char* value : {"0", "1KiB", "2GiB", "deep"}) {
    CAPTURE(value);
    const auto result = wasibuild.exec({"--max-wasm-stack", value, fixture("exit_code")});
    CHECK(result.exit_status == 125);
    CHECK(result.err == "wasibuild: error: --max-wasm-stack '" + std::string(value) +
                            "': not a size from 64KiB to 1GiB\nhelp: for example: --max-wasm-stack 64MiB\n");
  }
}
