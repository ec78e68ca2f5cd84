// wasi-threads, end to end: the real programs in tests/fixtures/threads
// (std::thread with std::mutex and std::condition_variable, pthreads, and
// the edges of a threads run) built for wasm32-wasip1-threads by the
// toolchain scripts/setup.sh assembles (debian-llvm23: the WASI SDK 30
// threads wasi-libc that Rust's rust-std ships, libc++ built for the
// triple, clang 22 from PyPI's ziglang wheel; no official WASI SDK is
// downloadable here), through the drop-in toolchain file, then run by
// `wasibuild exec` and by CTest. Hand-written modules cover what the
// runner refuses. Every run of a program that can hang has a --timeout.
#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "../support/cmake_project.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kLlvm23Archive = WASIBUILD_TEST_LLVM23_ARCHIVE;

// The fixtures, configured and built once for every test here (a build
// takes seconds); nullptr without the archive (the tests report skipped).
struct Fixtures {
  CMakeProject project;
  [[nodiscard]] std::string module(const std::string& name) const { return (project.build / name).string(); }
  [[nodiscard]] ProcessResult exec(std::vector<std::string> flags, const std::string& name,
                                   const std::vector<std::string>& arguments = {}) const {
    flags.insert(flags.begin(), {"--timeout", "60s"});
    flags.push_back(module(name));
    flags.insert(flags.end(), arguments.begin(), arguments.end());
    return project.wasibuild.exec(flags);
  }
};

const Fixtures* fixtures() {
  static const std::unique_ptr<Fixtures> built = [] {
    auto made = std::make_unique<Fixtures>();
    if (!use_llvm23_archive(made->project, kLlvm23Archive)) return std::unique_ptr<Fixtures>();
    fs::copy(fixture_source("threads"), made->project.source, fs::copy_options::recursive);
    const auto configured =
        made->project.configure({"-DWASIBUILD_TARGET=wasm32-wasip1-threads", "-DWASIBUILD_MAX_THREADS=4"});
    INFO(configured.out << configured.err);
    REQUIRE(configured.exit_status == 0);
    const auto compiled = made->project.build_all();
    INFO(compiled.out << compiled.err);
    REQUIRE(compiled.exit_status == 0);
    return made;
  }();
  return built.get();
}

constexpr const char* kBehaviours = "behaviours/behaviours.wasm";

}  // namespace

TEST_CASE("std::thread, std::mutex and std::condition_variable work in a wasi-threads module") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  const auto ran = threads->exec({}, "cxx/producer_consumer.wasm");
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);  // the program checks its own checksum
  CHECK(ran.out.starts_with("checksum "));
  CHECK(ran.err == "");
}

TEST_CASE("a pthread producer and consumer hand over every item") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  const auto ran = threads->exec({}, "c/pthread_pipeline.wasm");
  INFO(ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "sum 50005000\n");
}

TEST_CASE("--max-threads caps the threads besides the main one; past it pthread_create fails with EAGAIN") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  CHECK(threads->exec({}, kBehaviours, {"cap", "10"}).out == "started 10 of 10\n");
  const auto capped = threads->exec({"--max-threads", "4"}, kBehaviours, {"cap", "10"});
  INFO(capped.err);
  CHECK(capped.exit_status == 0);
  CHECK(capped.out == "started 4 of 10, then EAGAIN\n");
  CHECK(threads->exec({"--max-threads", "0"}, kBehaviours, {"cap", "2"}).out == "started 0 of 2, then EAGAIN\n");
  // The default cap holds too: 64 threads, not 65.
  CHECK(threads->exec({}, kBehaviours, {"cap", "65"}).out == "started 64 of 65, then EAGAIN\n");
  const auto bad = threads->exec({"--max-threads", "-1"}, kBehaviours, {"cap", "1"});
  CHECK(bad.exit_status == 125);
  CHECK(bad.err.starts_with("wasibuild: error: --max-threads '-1': not a whole number up to 1024\n"));
}

TEST_CASE("a deadlock between threads ends at --timeout with 124") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  const auto project_flags = std::vector<std::string>{"--timeout", "1s", threads->module(kBehaviours), "deadlock"};
  const auto stuck = threads->project.wasibuild.exec(project_flags);
  CHECK(stuck.exit_status == 124);
  CHECK(stuck.out == "deadlocked\n");
  CHECK(stuck.err == "wasibuild: error: " + threads->module(kBehaviours) + ": timed out after 1000 ms (--timeout)\n");
}

TEST_CASE("a trap in a thread ends the run with 134 and a backtrace naming the function") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  const auto trapped = threads->exec({}, kBehaviours, {"trap"});
  CHECK(trapped.exit_status == 134);
  CHECK(trapped.err.starts_with("wasibuild: error: " + threads->module(kBehaviours) +
                                ": wasm trap: wasm `unreachable` instruction executed\nwasm backtrace:\n"));
  CHECK(trapped.err.find("!crash_in_worker\n") != std::string::npos);
  CHECK(trapped.err.find("wasi_thread_start") != std::string::npos);
}

TEST_CASE("exit(3) in a thread ends the run with 3 while the main thread computes") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  // The main thread loops forever: only the other thread's exit ends the
  // run (a stopped main thread would be a timeout, 124).
  const auto exited = threads->exec({}, kBehaviours, {"exit"});
  INFO(exited.err);
  CHECK(exited.exit_status == 3);
  CHECK(exited.err == "");
}

TEST_CASE("a file one thread opens, another reads, through the one descriptor table") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  TempDir shared;
  const auto ran = threads->exec({"--dir", shared.path().string() + "::data"}, kBehaviours, {"files", "data"});
  INFO(ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "main read 20 bytes: written by a thread\n");
  CHECK(read_file(shared / "shared.txt") == "written by a thread\n");
  // Without the grant, the thread's open fails as any open would.
  const auto denied = threads->exec({}, kBehaviours, {"files", "data"});
  CHECK(denied.exit_status == 1);
  CHECK(denied.out.starts_with("open: "));
}

TEST_CASE("lines that threads print at the same time stay whole") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  const auto ran = threads->exec({}, kBehaviours, {"chorus", "8"});
  REQUIRE(ran.exit_status == 0);
  std::istringstream lines(ran.out);
  std::set<std::string> seen;
  const std::regex whole("thread [0-7] line [0-9]+ of the chorus");
  for (std::string line; std::getline(lines, line);) {
    CHECK(std::regex_match(line, whole));
    seen.insert(line);
  }
  CHECK(seen.size() == 400);
}

TEST_CASE("a sleeping thread does not hold up the others' output, nor the exit") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  // The sleep waits in the guest (support/thread_sleep.c); as a WASI call
  // it would keep main's output, and its exit, waiting 30 s: a timeout.
  const auto ran = threads->project.wasibuild.exec({"--timeout", "10s", threads->module(kBehaviours), "sleeper"});
  CHECK(ran.err == "");
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "main printed while a thread sleeps\n");
}

TEST_CASE("CTest runs a threads project's tests through the toolchain file, with its thread cap") {
  const Fixtures* threads = fixtures();
  if (threads == nullptr) return;
  const auto ran = threads->project.run({"/usr/bin/ctest", "--test-dir", threads->project.build.string(), "-V"});
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out.find("100% tests passed, 0 tests failed out of 3") != std::string::npos);
  // WASIBUILD_MAX_THREADS=4 reached the emulator's --max-threads (the
  // C++ program's four threads fit in it).
  CHECK(ran.out.find("started 4 of 8, then EAGAIN") != std::string::npos);
}

TEST_CASE("a threads module the runner cannot run, or cannot bound, is refused by name") {
  Wasibuild wasibuild;
  TempDir temp;
  const auto refusal = [&](const std::string& file, const std::string& why) {
    return "wasibuild: error: " + (temp / file).string() + ": a wasm32-wasip1-threads module that cannot run here: " +
           why + "\n";
  };
  write_file(temp / "own.wat", R"((module (memory 1 2 shared) (func (export "_start"))))");
  write_file(temp / "unexported.wat",
             R"((module (import "env" "memory" (memory 1 2 shared)) (func (export "_start"))))");
  write_file(temp / "no_entry.wat", R"((module (import "env" "memory" (memory 1 2 shared))
    (import "wasi" "thread-spawn" (func (param i32) (result i32)))
    (export "memory" (memory 0)) (func (export "_start"))))");
  // What wasi-libc links when no thread is ever started: no thread-spawn,
  // no wasi_thread_start; it runs.
  write_file(temp / "no_threads.wat", R"((module (import "env" "memory" (memory 1 2 shared))
    (export "memory" (memory 0)) (func (export "_start"))))");
  const auto single = wasibuild.exec({(temp / "no_threads.wat").string()});
  CHECK(single.err == "");
  CHECK(single.exit_status == 0);
  const auto own = wasibuild.exec({(temp / "own.wat").string()});
  CHECK(own.exit_status == 125);
  CHECK(own.err == refusal("own.wat", "its memory is not an imported 32-bit shared memory (link it with -pthread "
                                      "-Wl,--import-memory,--shared-memory)"));
  CHECK(wasibuild.exec({(temp / "unexported.wat").string()}).err ==
        refusal("unexported.wat", "it does not export its memory, which WASI reads (link it with -Wl,--export-memory)"));
  CHECK(wasibuild.exec({(temp / "no_entry.wat").string()}).err ==
        refusal("no_entry.wat", "it imports wasi::thread-spawn but exports no wasi_thread_start"));
  // dup(), dup2() and pipe() come from the runner's descriptor table, built
  // for one store (the POSIX gap layer imports them from "wasibuild").
  write_file(temp / "dup.wat", R"((module (import "env" "memory" (memory 1 2 shared))
    (import "wasibuild" "fd_dup" (func (param i32 i32) (result i32)))
    (export "memory" (memory 0)) (func (export "_start"))))");
  CHECK(wasibuild.exec({(temp / "dup.wat").string()}).err ==
        refusal("dup.wat", "it calls dup(), dup2() or pipe(), which the runner gives single-threaded modules only"));
}

TEST_CASE("hand-written wasi-threads modules: spawned threads share the memory; limits hold") {
  Wasibuild wasibuild;
  TempDir temp;
  // Four threads each add one to a counter in the shared memory and wake
  // the main thread, which waits until it reads four.
  write_file(temp / "spawn.wat", R"((module
  (import "env" "memory" (memory 1 4 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (export "memory" (memory 0))
  (data (i32.const 64) "four threads ran\n")
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $n i32) (local $seen i32)
    (loop $more
      (if (i32.lt_s (call $spawn (local.get $n)) (i32.const 1)) (then unreachable))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $n) (i32.const 4))))
    (loop $wait
      (local.set $seen (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $seen) (i32.const 4))
        (then (drop (memory.atomic.wait32 (i32.const 0) (local.get $seen) (i64.const -1))) (br $wait))))
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
)");
  const std::string spawn = (temp / "spawn.wat").string();
  const auto ran = wasibuild.exec({"--timeout", "60s", spawn});
  INFO(ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out == "four threads ran\n");
  // Precompiled: `compile` gives a threads module the epoch support that
  // stopping its threads needs, so the .cwasm runs with or without --timeout.
  const std::string cwasm = (temp / "spawn.cwasm").string();
  REQUIRE(wasibuild({"compile", spawn, "-o", cwasm}).exit_status == 0);
  CHECK(wasibuild.exec({"--allow-precompiled", cwasm}).out == "four threads ran\n");
  CHECK(wasibuild.exec({"--allow-precompiled", "--timeout", "60s", cwasm}).out == "four threads ran\n");
  // The cap counts threads running at once, and these end quickly: with
  // none allowed, the first spawn fails and the module traps on it.
  const auto capped = wasibuild.exec({"--timeout", "60s", "--max-threads", "0", spawn});
  CHECK(capped.exit_status == 134);
  // The shared memory may have 7/8 of --max-memory, and its minimum must fit.
  const auto small = wasibuild.exec({"--max-memory", "64KiB", spawn});
  CHECK(small.exit_status == 125);
  CHECK(small.err == "wasibuild: error: " + spawn +
                         ": its shared memory starts at 64 KiB (its declared minimum), more than the 7/8 of "
                         "--max-memory 64 KiB a threads module's shared memory may have\n"
                         "help: give it at least --max-memory 74 KiB\n");
  CHECK(wasibuild.exec({"--timeout", "60s", "--max-memory", "128KiB", spawn}).exit_status == 0);
  // Growing past that maximum fails in the guest (memory.grow gives -1):
  // a shared memory's growth never asks the store's limiter.
  write_file(temp / "grow.wat", R"((module
  (import "env" "memory" (memory 1 16 shared))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32))
  (func (export "_start")
    (call $exit (i32.add (i32.mul (i32.eq (memory.grow (i32.const 3)) (i32.const -1)) (i32.const 10))
                         (i32.eq (memory.grow (i32.const 2)) (i32.const 1))))))
)");
  // 256 KiB: 7/8 of it is three pages, so growing by three fails (10) and
  // by two works (1).
  CHECK(wasibuild.exec({"--max-memory", "256KiB", (temp / "grow.wat").string()}).exit_status == 11);
  CHECK(wasibuild.exec({(temp / "grow.wat").string()}).exit_status == 0);
  // Fuel is counted per store: a threads run refuses it rather than
  // multiply the budget by the number of threads.
  const auto fuel = wasibuild.exec({"--fuel", "1000000", spawn});
  CHECK(fuel.exit_status == 125);
  CHECK(fuel.err == "wasibuild: error: " + spawn +
                        ": a wasm32-wasip1-threads module that cannot run here: --fuel counts one thread's "
                        "instructions, not yet a whole threads run's\nhelp: use --timeout to bound a threads module\n");
}

TEST_CASE("attack: threads cannot multiply --max-memory with tables of their own") {
  Wasibuild wasibuild;
  TempDir temp;
  // Eight threads and the main one each try to grow a table of their own
  // by 56 MiB (3.5 M elements of 16 bytes), counting successes; the exit
  // status is the count. Under --max-memory 64MiB none may succeed: the
  // shared memory has its part, and the rest is split between the stores.
  write_file(temp / "tables.wat", R"((module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (table $t 1 funcref)
  (export "memory" (memory 0))
  (func $grab
    (if (i32.ge_s (table.grow $t (ref.null func) (i32.const 3670016)) (i32.const 0))
      (then (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))))
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))
  (func (export "wasi_thread_start") (param i32 i32)
    (call $grab)
    (drop (memory.atomic.wait32 (i32.const 400) (i32.const 0) (i64.const -1))))
  (func (export "_start") (local $n i32) (local $seen i32)
    (loop $l
      (drop (call $spawn (i32.const 0)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $n) (i32.const 8))))
    (loop $wait
      (local.set $seen (i32.atomic.load (i32.const 4)))
      (if (i32.lt_u (local.get $seen) (i32.const 8))
        (then (drop (memory.atomic.wait32 (i32.const 4) (local.get $seen) (i64.const 1000000))) (br $wait))))
    (call $grab)
    (call $exit (i32.atomic.load (i32.const 0)))))
)");
  const std::string tables = (temp / "tables.wat").string();
  const auto capped = wasibuild.exec({"--timeout", "60s", "--max-memory", "64MiB", tables});
  INFO(capped.err);
  CHECK(capped.exit_status == 0);
  // Without a cap every thread gets its table.
  CHECK(wasibuild.exec({"--timeout", "60s", tables}).exit_status == 9);
}

TEST_CASE("attack: exports of the wrong kind are refused, never a host abort") {
  Wasibuild wasibuild;
  TempDir temp;
  // The C++ API aborts on converting a shared-memory export: a module that
  // names its memory _start or wasi_thread_start must not reach it.
  write_file(temp / "start.wat", R"((module (import "env" "memory" (memory 1 1 shared))
    (export "memory" (memory 0)) (export "_start" (memory 0))))");
  write_file(temp / "entry.wat", R"((module (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
    (import "env" "memory" (memory 1 1 shared))
    (export "memory" (memory 0)) (export "wasi_thread_start" (memory 0))
    (func (export "_start") (drop (call $spawn (i32.const 0))))))");
  const auto start = wasibuild.exec({(temp / "start.wat").string()});
  CHECK(start.exit_status == 125);
  CHECK(start.err == "wasibuild: error: " + (temp / "start.wat").string() +
                         ": not a WASI command: the module exports no `_start` function\n");
  const auto entry = wasibuild.exec({(temp / "entry.wat").string()});
  CHECK(entry.exit_status == 125);
  CHECK(entry.err == "wasibuild: error: " + (temp / "entry.wat").string() +
                         ": a wasm32-wasip1-threads module that cannot run here: it imports wasi::thread-spawn but "
                         "exports no wasi_thread_start\n");
}

TEST_CASE("a run that ended before its deadline is not a timeout, whatever its threads still wait for") {
  Wasibuild wasibuild;
  TempDir temp;
  // A thread sleeps 10 s in the host; _start returns at once.
  write_file(temp / "sleeper.wat", R"((module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32)
    (i32.store8 (i32.const 1032) (i32.const 0))
    (i32.store (i32.const 1040) (i32.const 1))
    (i64.store (i32.const 1048) (i64.const 10000000000))
    (drop (call $poll (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 2100))))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 400) (i32.const 0) (i64.const 100000000)))))
)");
  const auto ran = wasibuild.exec({"--timeout", "1s", (temp / "sleeper.wat").string()});
  CHECK(ran.err == "");
  CHECK(ran.exit_status == 0);
}
