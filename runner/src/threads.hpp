// wasi-threads (wasm32-wasip1-threads): a module whose threads each run in
// an instance of their own, in a store of their own, on a host thread of
// their own, all sharing one memory and one preview-1 state
// (docs/design-notes.md, "Threads").
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <wasmtime.hh>

#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// The shared memory a threads module imports, in 64 KiB pages.
struct SharedMemoryImport {
  std::uint64_t minimum_pages = 0;
  std::optional<std::uint64_t> maximum_pages;
};

// Whether a compiled module (a .cwasm, whose sections cannot be read)
// imports wasi::thread-spawn or a shared memory, or exports a shared memory.
[[nodiscard]] bool needs_wasi_threads(const wasmtime::Module& module);

// Whether the module exports a function by that name (not another kind).
[[nodiscard]] bool exports_function(const wasmtime::Module& module, std::string_view name);

// What a module that needs wasi-threads lacks to run here ("its shared
// memory is not imported": each thread would get its own), or nullopt.
[[nodiscard]] std::optional<std::string> threads_module_problem(const wasmtime::Module& module);

// The module's `env`.`memory` import, when it is a shared memory.
[[nodiscard]] std::optional<SharedMemoryImport> shared_memory_import(const wasmtime::Module& module);

// Everything a thread may use is held by value (or shared): a thread still
// blocked when the run ends outlives the caller's frame.
struct ThreadsRun {
  wasmtime::Engine engine;
  wasmtime::Module module;
  std::filesystem::path file;            // the module, for messages
  wasmtime::WasiConfig wasi;             // the grants, shared by every thread
  SharedMemoryImport memory;             // its maximum already capped by --max-memory
  std::uint32_t max_threads;             // threads besides the main one
  std::uint64_t max_wasm_stack_bytes;
  std::optional<std::chrono::milliseconds> timeout;
  // Sets a new thread's store up: limits, fuel, epoch deadline.
  std::function<void(wasmtime::Store&)> prepare_store;
  // The outcome of a thread that failed (a trap, a timeout) or of an
  // instantiation that did (then possibly the runner's error).
  std::function<Outcome(const wasmtime::TrapError&)> outcome_of_failure;
  std::function<Outcome(const wasmtime::TrapError&)> outcome_of_instantiation_failure;
  // Called once the run's outcome is known, before the other threads are
  // stopped (the caller's deadline ends there: the run has ended in time).
  std::function<void()> ended;
  // Runs `work` on a new detached host thread with room for the wasm stack;
  // false when no thread can be made.
  std::function<bool(std::function<void()>)> start_thread;
};

// Runs `_start` and every thread it spawns. The run ends, as a native
// process does, when `_start` returns, when any thread calls proc_exit or
// traps, or at the deadline. The other threads are then stopped: those
// executing wasm trap at an epoch tick; the shared preview-1 state is
// closed, so none makes another WASI call (one in a call finishes it);
// those blocked in `memory.atomic.wait` stay blocked until the process
// ends, their state kept alive.
[[nodiscard]] Outcome run_threads(ThreadsRun run);

}  // namespace wasibuild::runner
