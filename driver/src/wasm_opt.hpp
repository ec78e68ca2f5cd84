// Binaryen's wasm-opt, the optional release post-processing step: finding
// it, asking its version, and running it on a module without ever leaving a
// half-written .wasm behind.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wasibuild/driver.hpp"

namespace wasibuild::driver {

// NAME in one of the Env's PATH directories, if executable there.
[[nodiscard]] std::optional<std::filesystem::path> find_on_path(const Env& env, const std::string& name);

// WASIBUILD_WASM_OPT when set, else `wasm-opt` on PATH.
[[nodiscard]] std::optional<std::filesystem::path> find_wasm_opt(const Env& env);

// "version 108" from `wasm-opt --version`; nullopt when it does not run.
[[nodiscard]] std::optional<std::string> wasm_opt_version(const std::filesystem::path& tool);

struct WasmOptOutcome {
  bool optimized = false;
  std::string problem;  // when not optimized: the tool's message, one line
};

// Runs `TOOL MODULE -LEVEL -g -o TEMP` and renames TEMP over MODULE. `-g`
// keeps the name section, so trap backtraces still name functions;
// binaryen takes the enabled features from the module's target_features
// section. On failure MODULE is left as it was.
[[nodiscard]] WasmOptOutcome run_wasm_opt(const std::filesystem::path& tool, const std::string& level,
                                          const std::filesystem::path& module);

}  // namespace wasibuild::driver
