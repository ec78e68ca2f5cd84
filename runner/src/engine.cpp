#include "engine.hpp"

#include <fmt/format.h>
#include <wasmtime.h>
#include <stdlib.h>

namespace wasibuild::runner {

namespace {

// Wasmtime reads this when a config is created (the C API has no setter for
// it). With it, trap backtraces carry file:line from a module's DWARF.
void enable_backtrace_details() { ::setenv("WASMTIME_BACKTRACE_DETAILS", "1", 1); }

}  // namespace

wasmtime::Engine make_engine(const EngineSettings& settings) {
  enable_backtrace_details();
  wasmtime::Config config;
  // The proposals WASI SDKs and clang emit: SIMD (-msimd128), bulk memory
  // and reference types (default in clang 19+), multi-value, tail calls,
  // extended-const (on by default in Wasmtime), and exception handling,
  // which C++ exceptions and setjmp/longjmp need; exceptions allocate exnref
  // objects, hence GC support.
  config.wasm_simd(true);
  config.wasm_relaxed_simd(true);
  config.wasm_bulk_memory(true);
  config.wasm_multi_value(true);
  config.wasm_reference_types(true);
  config.wasm_tail_call(true);
  config.wasm_function_references(true);
  config.wasm_gc(true);
  config.wasm_exceptions(true);
  // Atomics and shared memories, which wasm32-wasip1-threads modules use
  // (threads.hpp); a module without them compiles as before.
  wasmtime_config_wasm_threads_set(config.capi(), true);
  wasmtime_config_shared_memory_set(config.capi(), true);
  config.consume_fuel(settings.consume_fuel);
  config.epoch_interruption(settings.epoch_interruption);
  // Wasmtime refuses a max_wasm_stack above async_stack_size; no async
  // stack is ever made here, so raising it costs nothing.
  const auto stack = static_cast<std::size_t>(settings.max_wasm_stack);
  config.max_wasm_stack(stack);
  wasmtime_config_async_stack_size_set(config.capi(), stack);
  return wasmtime::Engine(std::move(config));
}

std::string fingerprint(const EngineSettings& settings) {
  return fmt::format("wasibuild-engine-v1;wasmtime={};fuel={:d};epoch={:d};details=1;threads=1", WASMTIME_VERSION,
                     settings.consume_fuel, settings.epoch_interruption);
}

}  // namespace wasibuild::runner
