// run_tool (declared in toolchain.hpp), on base's spawner.
#include "wasibuild/process.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

ToolRun run_tool(const std::vector<std::string>& argv) {
  if (argv.empty()) return {};
  base::Exit exit = base::run_process(
      {.argv = argv, .output = base::ChildOutput::capture, .stdin_from_null = true});
  return ToolRun{exit.status, std::move(exit.output), std::move(exit.start_error)};
}

}  // namespace wasibuild::toolchain
