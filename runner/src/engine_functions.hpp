// Wasmtime's own WASI preview 1 functions, called from the runner's host
// functions that shadow them (descriptors.cpp, link_reading.cpp).
// Internal to the runner.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>
#include <wasmtime.hh>

namespace wasibuild::runner {

inline constexpr std::string_view kPreview1 = "wasi_snapshot_preview1";

// Turns a module's text into a module (through the compiled-code cache).
using CompileText = std::function<wasmtime::Result<wasmtime::Module>(std::string_view text)>;

// Wasmtime's preview 1 functions find the guest's memory through their
// caller's "memory" export, so a host function cannot call them directly
// (its caller would be the host). They are called through a small module,
// the trampoline, that imports the guest's memory and the functions and
// exports both: one forwarding function per WASI function. It is compiled
// and instantiated at the first call, when the guest's memory exists: a
// program that never calls a shadowed function pays nothing for it.
class EngineFunctions {
 public:
  explicit EngineFunctions(CompileText compile) : compile_(std::move(compile)) {}

  // Takes Wasmtime's current definition of the preview 1 function `name`
  // (static storage) from `linker`: call it before shadowing the name.
  // False when the linker has none.
  bool take(wasmtime::Linker& linker, wasmtime::Store& store, std::string_view name);

  // The functions taken, with their types, in the order taken.
  const std::vector<std::pair<std::string_view, wasmtime::FuncType>>& taken() const { return types_; }

  // Calls Wasmtime's function `name`; its errno, or the trap it raised.
  wasmtime::Result<std::int32_t, wasmtime::Trap> call(wasmtime::Caller& caller, std::string_view name,
                                                     const std::vector<wasmtime::Val>& arguments);

 private:
  std::optional<std::string> connect(wasmtime::Caller& caller);

  CompileText compile_;
  std::vector<std::pair<std::string_view, wasmtime::FuncType>> types_;
  std::vector<wasmtime::Extern> functions_;                      // in the same order
  std::unordered_map<std::string_view, wasmtime::Func> engine_;  // the trampoline's, once instantiated
};

}  // namespace wasibuild::runner
