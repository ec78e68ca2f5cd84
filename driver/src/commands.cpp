#include "commands.hpp"

namespace wasibuild::driver {

const std::vector<CommandEntry>& command_table() {
  static const std::vector<CommandEntry> table = {
      {"new", "Create a C++ project (--lib for a library) that builds to wasm and natively", make_new_command},
      {"init", "Add wasibuild.toml to the project in this directory", make_init_command},
      {"build", "Build the project to wasm with CMake (build/<target>/<profile>/)", make_build_command},
      {"run", "Build, then run the program in the sandboxed runner", make_run_command},
      {"test", "Build, then run the project's CTest suite in the sandboxed runner", make_test_command},
      {"clean", "Remove what wasibuild built in build/ (--release or --profile: one profile)", make_clean_command},
      {"exec", "Run a WebAssembly module in the embedded sandboxed runner", make_exec_command},
      {"binfmt", "Let the kernel run .wasm files through wasibuild (binfmt_misc; opt-in, root)", make_binfmt_command},
      {"compile", "Compile a module ahead of time into a .cwasm for this host", make_compile_command},
      {"cache", "Inspect or clean the compiled-code cache", make_cache_command},
      {"toolchain", "Install, list and choose WASI toolchains (WASI SDK or the system's)", make_toolchain_command},
      {"toolchain-file", "Print the path of the drop-in CMake toolchain file", make_toolchain_file_command},
      {"env", "Print CC, CXX, flags for Make/autotools; write a Meson cross file", make_env_command},
      {"doctor", "Check the toolchain, CMake, Ninja and wasibuild's directories", make_doctor_command},
      {"completions", "Print a shell completion script (bash, zsh or fish)", make_completions_command},
  };
  return table;
}

}  // namespace wasibuild::driver
