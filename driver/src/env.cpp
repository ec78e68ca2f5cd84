#include <unistd.h>

#include <iostream>

#include "wasibuild/driver.hpp"

extern char** environ;

namespace wasibuild::driver {

std::optional<std::string> Env::get(std::string_view name) const {
  auto found = variables.find(name);
  if (found == variables.end()) return std::nullopt;
  return found->second;
}

base::Exit Env::run(base::Spawn spawn, const base::LineSink& on_line) const {
  if (!spawn.environment) spawn.environment = base::environment_of(variables);
  return spawner ? spawner(spawn, on_line) : base::run_process(spawn, on_line);
}

Env Env::from_process() {
  Env env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  std::error_code error;
  env.working_directory = std::filesystem::current_path(error);
  env.out = &std::cout;
  env.err = &std::cerr;
  env.err_is_terminal = ::isatty(STDERR_FILENO) == 1;
  env.executable = std::filesystem::read_symlink("/proc/self/exe", error);
  env.owns_process = true;
  return env;
}

}  // namespace wasibuild::driver
