// Factories of the subcommands, one per file.
#pragma once

#include <memory>

#include "command.hpp"

namespace wasibuild::driver {

[[nodiscard]] std::unique_ptr<Command> make_exec_command();
[[nodiscard]] std::unique_ptr<Command> make_binfmt_command();
[[nodiscard]] std::unique_ptr<Command> make_compile_command();
[[nodiscard]] std::unique_ptr<Command> make_cache_command();
[[nodiscard]] std::unique_ptr<Command> make_toolchain_command();
[[nodiscard]] std::unique_ptr<Command> make_new_command();
[[nodiscard]] std::unique_ptr<Command> make_init_command();
[[nodiscard]] std::unique_ptr<Command> make_build_command();
[[nodiscard]] std::unique_ptr<Command> make_run_command();
[[nodiscard]] std::unique_ptr<Command> make_test_command();
[[nodiscard]] std::unique_ptr<Command> make_clean_command();
[[nodiscard]] std::unique_ptr<Command> make_toolchain_file_command();
[[nodiscard]] std::unique_ptr<Command> make_env_command();
[[nodiscard]] std::unique_ptr<Command> make_doctor_command();
[[nodiscard]] std::unique_ptr<Command> make_completions_command();

}  // namespace wasibuild::driver
