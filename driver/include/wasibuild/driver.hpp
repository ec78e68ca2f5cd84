// The wasibuild command line: parses a command and runs it against an Env.
// `main` is a thin shell around `run_command_line`, so tests can run any
// command in-process with a prepared environment.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasibuild/process.hpp"

namespace wasibuild::driver {

// How much a command says about its progress (global -q / -v). Errors and
// a guest's own output are never hidden.
enum class Verbosity { quiet, normal, verbose };

// All process state a command may use. No command calls getenv or reads the
// working directory itself.
struct Env {
  std::map<std::string, std::string, std::less<>> variables;
  std::filesystem::path working_directory;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool err_is_terminal = false;  // progress bars only on a terminal
  std::filesystem::path executable;  // this program, for finding its modules
  // This process's own environment (from_process): a command that ends by
  // running a guest may end the process right after it (see run_guest).
  bool owns_process = false;
  // Set from the global flags before a command runs.
  Verbosity verbosity = Verbosity::normal;
  bool colour = false;  // style wasibuild's own stderr lines (terminal.hpp decides)
  // Starts programs (CMake, Ninja, CTest, tools). Empty: base::run_process.
  // Tests put a recorder here to see what a command would run.
  std::function<base::Exit(const base::Spawn&, const base::LineSink&)> spawner;

  // Runs `spawn` through `spawner`, with this Env's variables as its
  // environment unless `spawn` names one.
  base::Exit run(base::Spawn spawn, const base::LineSink& on_line = {}) const;

  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  // The environment of this process (environ, the cwd, std::cout/std::cerr).
  [[nodiscard]] static Env from_process();
};

// Runs `wasibuild <arguments...>`; returns the process exit status.
[[nodiscard]] int run_command_line(const std::vector<std::string>& arguments, Env& env);

// When the kernel's binfmt_misc started wasibuild for a module (`wasibuild
// binfmt install`): `arguments` (argv[1..]) begin with the file that was
// executed, `executed_file` (AT_EXECFN). Returns the `exec` command line that
// runs it with a test's default grants, or with `grants` (the value of
// WASIBUILD_BINFMT_GRANTS, set by `wasibuild binfmt run`, one flag a line)
// when set; otherwise nothing. Throws std::invalid_argument when `grants`
// holds anything but grant and limit flags.
[[nodiscard]] std::optional<std::vector<std::string>> binfmt_arguments(const std::vector<std::string>& arguments,
                                                                       std::string_view executed_file,
                                                                       const char* grants);

// Why `grants` (exec flags) are not grant and limit flags only; else nothing.
[[nodiscard]] std::optional<std::string> binfmt_grants_error(const std::vector<std::string>& grants);

}  // namespace wasibuild::driver
