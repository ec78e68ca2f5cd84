// Engine configuration shared by `run` and `precompile`.
#pragma once

#include <string>
#include <wasmtime.hh>

namespace wasibuild::runner {

struct EngineSettings {
  bool consume_fuel = false;        // only with --fuel: it slows generated code
  bool epoch_interruption = false;  // only with --timeout: same reason
  // A runtime limit, not part of the compiled code (Wasmtime checks it at
  // each entry into wasm), so not in the fingerprint.
  std::uint64_t max_wasm_stack = 512 * 1024;
};

// A Wasmtime engine with the finished proposals that toolchains emit enabled.
[[nodiscard]] wasmtime::Engine make_engine(const EngineSettings& settings);

// Everything that changes the compiled code, as text for the cache key.
[[nodiscard]] std::string fingerprint(const EngineSettings& settings);

}  // namespace wasibuild::runner
