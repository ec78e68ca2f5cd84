#include "wasm_opt.hpp"

#include <fmt/format.h>

#include <sstream>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

// The tool's first non-empty output line, shortened: the one line a warning
// has room for.
std::string first_line(const std::string& output) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    line = line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
    return line.size() > 200 ? line.substr(0, 197) + "..." : line;
  }
  return {};
}

// A temporary output next to the module, removed unless committed.
class TempOutput {
 public:
  explicit TempOutput(fs::path path) : path_(std::move(path)) {}
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;
  ~TempOutput() {
    std::error_code ignored;
    if (!committed_) fs::remove(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }
  void commit() { committed_ = true; }

 private:
  fs::path path_;
  bool committed_ = false;
};

}  // namespace

std::optional<fs::path> find_on_path(const Env& env, const std::string& name) {
  std::stringstream path(env.get("PATH").value_or("/usr/bin:/bin"));
  for (std::string dir; std::getline(path, dir, ':');) {
    const fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::optional<fs::path> find_wasm_opt(const Env& env) {
  if (auto tool = env.get("WASIBUILD_WASM_OPT"); tool && !tool->empty()) {
    if (::access(tool->c_str(), X_OK) == 0) return fs::path(*tool);
    if (fs::path(*tool).filename() == *tool) return find_on_path(env, *tool);
    return std::nullopt;
  }
  return find_on_path(env, "wasm-opt");
}

std::optional<std::string> wasm_opt_version(const fs::path& tool) {
  const toolchain::ToolRun run = toolchain::run_tool({tool.string(), "--version"});
  if (run.exit_status != 0) return std::nullopt;
  // "wasm-opt version 108 (version_108)" or "wasm-opt version 108".
  std::string line = first_line(run.output);
  if (line.starts_with("wasm-opt ")) line.erase(0, 9);
  return line;
}

WasmOptOutcome run_wasm_opt(const fs::path& tool, const std::string& level, const fs::path& module) {
  TempOutput temp(fs::path(module).concat(".wasm-opt.tmp"));
  // -g keeps the name section. A function with one caller is inlined only
  // while small: wasm-opt's default inlines every such one, which folds
  // main and most of a program into _start, and a trap's backtrace then
  // names only _start. Measured in bench/release_flags.sh (release-now
  // against release-inline-all, docs/performance.md).
  const toolchain::ToolRun run =
      toolchain::run_tool({tool.string(), module.string(), "-" + level, "-g", "--one-caller-inline-max-function-size=40",
                           "-o", temp.path().string()});
  if (run.exit_status != 0) {
    if (run.exit_status < 0) return {false, fmt::format("cannot run {}: {}", tool.string(), run.start_error)};
    const std::string message = first_line(run.output);
    return {false, message.empty() ? fmt::format("{} exited with status {}", tool.string(), run.exit_status)
                                   : message};
  }
  std::error_code error;
  if (!fs::is_regular_file(temp.path(), error) || fs::file_size(temp.path(), error) == 0) {
    return {false, fmt::format("{} wrote no output", tool.string())};
  }
  // The linked module is executable (a launcher may run it); keep its mode.
  fs::permissions(temp.path(), fs::status(module, error).permissions(), error);
  fs::rename(temp.path(), module, error);
  if (error) return {false, fmt::format("cannot replace {}: {}", module.string(), error.message())};
  temp.commit();
  return {true, {}};
}

}  // namespace wasibuild::driver
