// wasi-threads in-process: once run() has returned, no thread of the guest
// touches anything the host can see, even one that was busy writing a file
// when the run ended (an attack on the host steps that follow a run: the
// private /tmp's removal, the build guard's checks, the next run).
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "process.hpp"
#include "wasibuild/runner.hpp"

using namespace wasibuild::runner;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A thread opens after.txt in the one grant (descriptor 3) and appends an
// "x" to it forever, sleeping 1 ms between writes and counting them at
// address 0; the main thread returns once it counted ten.
constexpr const char* kWriterAfterExit = R"((module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (export "memory" (memory 0))
  (data (i32.const 100) "after.txt")
  (data (i32.const 200) "x")
  (func (export "wasi_thread_start") (param i32 i32) (local $fd i32)
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 9) (i32.const 1)
                         (i64.const 64) (i64.const 0) (i32.const 1) (i32.const 300))
      (then unreachable))
    (local.set $fd (i32.load (i32.const 300)))
    (i32.store (i32.const 16) (i32.const 200))
    (i32.store (i32.const 20) (i32.const 1))
    ;; a relative clock subscription of 1 ms at 400
    (i64.store (i32.const 400) (i64.const 0))
    (i32.store8 (i32.const 408) (i32.const 0))
    (i32.store (i32.const 416) (i32.const 1))
    (i64.store (i32.const 424) (i64.const 1000000))
    (i64.store (i32.const 432) (i64.const 0))
    (i32.store16 (i32.const 440) (i32.const 0))
    (loop $forever
      (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (drop (call $poll (i32.const 400) (i32.const 504) (i32.const 1) (i32.const 560)))
      (br $forever)))
  (func (export "_start") (local $seen i32)
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 1)) (then unreachable))
    (loop $wait
      (local.set $seen (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $seen) (i32.const 10))
        (then (drop (memory.atomic.wait32 (i32.const 0) (local.get $seen) (i64.const 1000000))) (br $wait))))))
)";

}  // namespace

TEST_CASE("attack: a thread still writing when the run ends writes nothing afterwards") {
  wasibuild::testing::TempDir temp;
  const fs::path module = temp / "writer.wat";
  wasibuild::testing::write_file(module, kWriterAfterExit);
  const fs::path data = temp / "data";
  fs::create_directories(data);
  Policy policy{{DirectoryGrant{data, "data"}}, {}, false};
  Limits limits;
  limits.timeout = 60s;
  const Outcome outcome = run(Program{module, {}, false}, policy, limits, std::nullopt);
  REQUIRE(std::holds_alternative<Exited>(outcome));
  CHECK(std::get<Exited>(outcome).code == 0);
  const auto written = fs::file_size(data / "after.txt");
  CHECK(written >= 10);
  std::this_thread::sleep_for(300ms);
  CHECK(fs::file_size(data / "after.txt") == written);
}
