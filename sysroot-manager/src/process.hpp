// Running tools (clang) as child processes, without a shell.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wasibuild::toolchain {

struct ToolRun {
  int exit_status = -1;  // -1: could not start
  std::string output;    // stdout and stderr together, at most 64 KiB
};

// Runs argv[0] (a path) with the given arguments; stdin is /dev/null.
[[nodiscard]] ToolRun run_tool(const std::vector<std::string>& argv);

}  // namespace wasibuild::toolchain
