// Turning Wasmtime's multi-line error reports into wasibuild's messages.
#pragma once

#include <string>
#include <utility>

namespace wasibuild::runner {

// Wasmtime formats errors as "context\n\nCaused by:\n    0: a\n    1: b";
// users get them as one line: "context: a: b".
[[nodiscard]] std::string one_line(const std::string& wasmtime_message);

// Splits a trap report into its reason ("wasm trap: ...") and the indented
// backtrace lines Wasmtime printed (demangled names, file:line with DWARF).
[[nodiscard]] std::pair<std::string, std::string> split_trap_message(const std::string& wasmtime_message);

}  // namespace wasibuild::runner
