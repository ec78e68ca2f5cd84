// Exit statuses and messages for run outcomes (docs/exit-status.md).
#include <fmt/format.h>

#include "wasibuild/runner.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::runner {

namespace {

constexpr int kTimeoutStatus = 124;
constexpr int kRunnerErrorStatus = 125;
constexpr int kTrapStatus = 134;

template <class... Visitors>
struct Overloaded : Visitors... {
  using Visitors::operator()...;
};

std::string problem(const Error& error) {
  using Kind = Error::Kind;
  switch (error.kind) {
    case Kind::unreadable_file: return "cannot read it: " + error.detail;
    case Kind::empty_file: return "empty file, not a WebAssembly module";
    case Kind::not_webassembly:
      return "not a WebAssembly module (a binary starts with \\0asm; .wat text and --allow-precompiled .cwasm files "
             "are accepted too)";
    case Kind::invalid_module: return "invalid WebAssembly module: " + error.detail;
    case Kind::precompiled_not_allowed:
      return "is a precompiled module, which is native code outside the sandbox; pass --allow-precompiled to run it";
    case Kind::incompatible_precompiled: return "cannot load the precompiled module: " + error.detail;
    case Kind::not_a_command:
      if (!error.detail.empty()) return "not a WASI command component: " + error.detail;
      return "not a WASI command: the module exports no `_start` function";
    case Kind::instantiation_failed: return "cannot instantiate the module: " + error.detail;
    case Kind::memory_limit_too_small: return error.detail;
    case Kind::native_program:
      return "a native program (ELF), not a WebAssembly module; wasibuild runs .wasm and .wat files, and .cwasm "
             "files made by `wasibuild compile`";
    case Kind::component:
      return "a WASI 0.3 component (built for wasm32-wasip3), which the embedded Wasmtime cannot link yet; "
             "wasibuild runs WASI 0.2 components (wasm32-wasip2) and core modules (wasm32-wasip1): " + error.detail;
    case Kind::needs_threads:
      return "a wasm32-wasip1-threads module that cannot run here: " + error.detail;
    case Kind::bad_grant: return error.detail;
    case Kind::confinement_failed: return "cannot confine the run to its grants with Landlock: " + error.detail;
    case Kind::output_failure: return "cannot write it: " + error.detail;
    case Kind::build_guard_failed: return "cannot keep its build files read-only: " + error.detail;
    case Kind::private_tmp_failed: return error.detail;
  }
  return error.detail;
}

}  // namespace

// The flag's name leads where the problem is the grant's, not a file's.
std::string Error::message() const {
  if (kind == Kind::build_guard_failed) return fmt::format("--dir-build {}: {}", file.string(), problem(*this));
  if (kind == Kind::private_tmp_failed) return fmt::format("--private-tmp: {}", problem(*this));
  return fmt::format("{}: {}", file.string(), problem(*this));
}

int exit_status(const Outcome& outcome) {
  return std::visit(Overloaded{
                        [](const Exited& exited) { return exited.code; },
                        [](const Trapped&) { return kTrapStatus; },
                        [](const TimedOut&) { return kTimeoutStatus; },
                        [](const Error&) { return kRunnerErrorStatus; },
                    },
                    outcome);
}

std::string describe(const Outcome& outcome) {
  return std::visit(
      Overloaded{
          [](const Exited&) { return std::string(); },
          [](const Trapped& trap) {
            std::string text = fmt::format("{}wasibuild: error: {}: {}\n", trap.after_partial_line ? "\n" : "",
                                           trap.file.string(), trap.reason);
            if (!trap.backtrace.empty()) text += "wasm backtrace:\n" + trap.backtrace;
            // Last, where it is seen after a long backtrace.
            if (trap.exhausted_stack_bytes) {
              text += fmt::format("help: the guest used its whole call stack ({}); raise it with --max-wasm-stack\n",
                                  base::size_text(*trap.exhausted_stack_bytes));
            }
            return text;
          },
          [](const TimedOut& timeout) {
            return fmt::format("{}wasibuild: error: {}: timed out after {} ms (--timeout)\n",
                               timeout.after_partial_line ? "\n" : "", timeout.file.string(), timeout.limit.count());
          },
          [](const Error& error) {
            std::string text = fmt::format("wasibuild: error: {}\n", error.message());
            for (const std::string& line : error.help) text += fmt::format("help: {}\n", line);
            return text;
          },
      },
      outcome);
}

}  // namespace wasibuild::runner
