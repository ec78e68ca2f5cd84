// Factories of the subcommands, one per file.
#pragma once

#include <memory>

#include "command.hpp"

namespace wasibuild::driver {

[[nodiscard]] std::unique_ptr<Command> make_exec_command();
[[nodiscard]] std::unique_ptr<Command> make_compile_command();
[[nodiscard]] std::unique_ptr<Command> make_cache_command();
[[nodiscard]] std::unique_ptr<Command> make_toolchain_command();

}  // namespace wasibuild::driver
