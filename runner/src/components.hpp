// WebAssembly components (wasm32-wasip2): recognising one, linking WASI 0.2
// into it and calling its `wasi:cli/run` export.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <wasmtime.hh>
#include <wasmtime/component.hh>

namespace wasibuild::runner {

// The header of a component: `\0asm`, then version 0x0d and layer 1.
[[nodiscard]] bool is_component(std::span<const std::uint8_t> bytes);

// How a command component's run ended, when it got to run.
struct RunReturned {
  bool success;  // run's result<_, _> was ok (exit status 0; err is 1)
};
struct RunFailed {
  wasmtime::Error error;  // a trap, an exit (I32Exit) or an interrupt
};
// Why it did not run: "the component exports no wasi:cli/run", or the
// linker's reason (an import WASI 0.2 does not provide).
struct NotRun {
  std::string reason;
  bool not_a_command = false;
};
using ComponentRun = std::variant<RunReturned, RunFailed, NotRun>;

// Instantiates `component` in `store` (whose WASI context holds the grants)
// with Wasmtime's WASI 0.2 and calls `wasi:cli/run`'s `run`.
[[nodiscard]] ComponentRun run_command_component(wasmtime::Engine& engine, wasmtime::Store& store,
                                                 const wasmtime::component::Component& component);

}  // namespace wasibuild::runner
