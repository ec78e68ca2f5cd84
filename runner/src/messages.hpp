// Turning Wasmtime's multi-line error reports into wasibuild's messages.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

namespace wasibuild::runner {

// A line built from text a guest or a file controls (a validator message, a
// trap reason, a function name from the module's name section) is cut to
// this many bytes plus "...", so a hostile module cannot make us print
// megabytes; a backtrace shows at most kMaxFrames frames.
inline constexpr std::size_t kMaxLineLength = 512;
inline constexpr std::size_t kMaxFrames = 100;

// `text` cut to kMaxLineLength bytes (at a UTF-8 character boundary) + "...".
[[nodiscard]] std::string capped(std::string text);

// Wasmtime formats errors as "context\n\nCaused by:\n    0: a\n    1: b";
// users get them as one line: "context: a: b".
[[nodiscard]] std::string one_line(const std::string& wasmtime_message);

// Splits a trap report into its reason ("wasm trap: ...") and the indented
// backtrace lines Wasmtime printed (demangled names, file:line with DWARF).
[[nodiscard]] std::pair<std::string, std::string> split_trap_message(const std::string& wasmtime_message);

}  // namespace wasibuild::runner
