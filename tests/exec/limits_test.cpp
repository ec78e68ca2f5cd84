// --timeout, --max-memory and --fuel with real guests. Timings are only
// checked against generous bounds that a loaded machine still meets: the
// point is that the guest ends, not how fast.
#include "exec_helpers.hpp"

using namespace wasibuild::testing;
using namespace std::chrono_literals;

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
