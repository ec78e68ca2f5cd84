#include "commands.hpp"

namespace wasibuild::driver {

const std::vector<CommandEntry>& command_table() {
  static const std::vector<CommandEntry> table = {
      {"exec", "Run a WebAssembly module in the embedded sandboxed runner", make_exec_command},
      {"compile", "Compile a module ahead of time into a .cwasm for this host", make_compile_command},
      {"cache", "Inspect or clean the compiled-code cache", make_cache_command},
      {"toolchain", "Install, list and choose WASI toolchains (WASI SDK or the system's)", make_toolchain_command},
  };
  return table;
}

}  // namespace wasibuild::driver
