// The runner in-process: outcomes and their exit statuses with real guests.
#include <doctest/doctest.h>

#include <unistd.h>

#include "process.hpp"
#include "wasibuild/runner.hpp"

using namespace wasibuild::runner;
using namespace std::chrono_literals;

namespace {

std::string fixture(const std::string& name) { return std::string(FIXTURE_DIR) + "/" + name + ".wasm"; }

Outcome run_fixture(const std::string& name, std::vector<std::string> arguments, Limits limits = {}) {
  return run(Program{fixture(name), std::move(arguments), false}, Policy{{}, {}, false}, limits, std::nullopt);
}

}  // namespace

TEST_CASE("exit codes map to themselves") {
  const auto outcome = run_fixture("exit_code", {"17"});
  REQUIRE(std::holds_alternative<Exited>(outcome));
  CHECK(std::get<Exited>(outcome).code == 17);
  CHECK(exit_status(outcome) == 17);
  CHECK(describe(outcome) == "");
}

TEST_CASE("a trap maps to 134 and keeps its backtrace") {
  const auto outcome = run_fixture("traps", {"unreachable"});
  REQUIRE(std::holds_alternative<Trapped>(outcome));
  CHECK(std::get<Trapped>(outcome).reason == "wasm trap: wasm `unreachable` instruction executed");
  CHECK(std::get<Trapped>(outcome).backtrace.find("traps.c") != std::string::npos);
  CHECK(exit_status(outcome) == 134);
}

TEST_CASE("two traps in one process: Wasmtime's handlers stay installed") {
  CHECK(exit_status(run_fixture("traps", {"out-of-bounds"})) == 134);
  CHECK(exit_status(run_fixture("traps", {"divide"})) == 134);
  CHECK(exit_status(run_fixture("exit_code", {"0"})) == 0);
}

TEST_CASE("a guest blocked in a host call past its deadline is reported through the stuck hook, never by exiting") {
  // The guest reads stdin: a pipe nothing is written to, whose write end
  // only the hook closes. So the hook must come while the guest is blocked,
  // and the run can end only after it. (The limit leaves room to compile.)
  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  const int saved_stdin = ::dup(STDIN_FILENO);
  REQUIRE(::dup2(pipe_ends[0], STDIN_FILENO) == STDIN_FILENO);
  ::close(pipe_ends[0]);
  Limits limits;
  limits.timeout = 1s;
  std::optional<Outcome> reported;
  const auto outcome = run(Program{fixture("blocking"), {"read"}, false}, Policy{{}, {}, false}, limits, std::nullopt,
                           {}, [&](const Outcome& stuck) {
                             reported = stuck;
                             ::close(pipe_ends[1]);
                           });
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  // The hook returned, so run() waited for the read to end (end of file),
  // and the guest stopped at its next instruction.
  REQUIRE(reported);
  REQUIRE(std::holds_alternative<TimedOut>(*reported));
  CHECK(exit_status(*reported) == 124);
  INFO("outcome: " << outcome.index() << " " << describe(outcome));
  CHECK(std::holds_alternative<TimedOut>(outcome));
}

TEST_CASE("the runner says which targets' builds it runs") {
  CHECK(why_target_cannot_run("wasm32-wasi").empty());
  CHECK(why_target_cannot_run("wasm32-wasip1").empty());
  CHECK(why_target_cannot_run("wasm32-wasip2").empty());
  CHECK(why_target_cannot_run("wasm32-wasip3") == "a WASI 0.3 component");
  CHECK(why_target_cannot_run("wasm32-wasip1-threads") == "");
  CHECK(why_target_cannot_run("wasm32-wasi-threads") == "");
  CHECK_FALSE(why_target_cannot_run("wasm64-unknown-unknown").empty());
}

TEST_CASE("a timeout maps to 124") {
  Limits limits;
  limits.timeout = 100ms;
  const auto outcome = run_fixture("traps", {"spin"}, limits);
  REQUIRE(std::holds_alternative<TimedOut>(outcome));
  CHECK(exit_status(outcome) == 124);
  CHECK(describe(outcome) == "wasibuild: error: " + fixture("traps") + ": timed out after 100 ms (--timeout)\n");
}

TEST_CASE("runner errors map to 125 with a message naming the file") {
  const auto outcome = run(Program{"/nonexistent/x.wasm", {}, false}, Policy{{}, {}, false}, Limits{}, std::nullopt);
  REQUIRE(std::holds_alternative<Error>(outcome));
  CHECK(exit_status(outcome) == 125);
  CHECK(describe(outcome) == "wasibuild: error: /nonexistent/x.wasm: cannot read it: No such file or directory\n");
}

TEST_CASE("the private /tmp and the build guard are the runner's: their failures are runner errors with remedies") {
  const Program program{fixture("exit_code"), {"0"}, false};
  Policy no_tmp{{}, {}, false};
  no_tmp.private_tmp_in = "/nonexistent";
  const auto tmp = run(program, no_tmp, Limits{}, std::nullopt);
  REQUIRE(std::holds_alternative<Error>(tmp));
  CHECK(exit_status(tmp) == 125);
  CHECK(describe(tmp) == "wasibuild: error: --private-tmp: cannot create a directory in /nonexistent: "
                         "No such file or directory\n");

  wasibuild::testing::TempDir temp;
  Policy no_graph{{DirectoryGrant{temp.path(), "/b", Access::read_write, GuestLinks::contained, Guard::build_files}},
                  {},
                  false};
  no_graph.build_graph = BuildGraph{temp.path() / "missing", "/usr/bin"};
  const auto guard = run(program, no_graph, Limits{}, std::nullopt);
  REQUIRE(std::holds_alternative<Error>(guard));
  CHECK(exit_status(guard) == 125);
  const std::string root = temp.path().string();
  CHECK(describe(guard) ==
        "wasibuild: error: --dir-build " + root + ": cannot keep its build files read-only: cannot list the build graph of " +
            root + "/missing: not a directory\nhelp: --build-root names the top build directory\nhelp: or grant it with "
            "--dir, which lets the guest rewrite them (toolchain file: -DWASIBUILD_TEST_CWD=writable)\n");
}
