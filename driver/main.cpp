// The wasibuild executable: a thin shell around the driver library.
#include <sys/auxv.h>

#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <iostream>

#include "wasibuild/driver.hpp"

int main(int argc, char** argv) {
  try {
    auto env = wasibuild::driver::Env::from_process();
    std::vector<std::string> arguments(argv + 1, argv + argc);
    const auto* executed = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
    try {
      if (auto binfmt = wasibuild::driver::binfmt_arguments(arguments, executed != nullptr ? executed : "",
                                                            std::getenv("WASIBUILD_BINFMT_GRANTS"))) {
        arguments = std::move(*binfmt);
      }
    } catch (const std::invalid_argument& error) {
      std::cerr << "wasibuild: error: " << error.what() << "\n";
      return 125;
    }
    return wasibuild::driver::run_command_line(arguments, env);
  } catch (const std::exception& error) {
    std::cerr << "wasibuild: internal error: " << error.what() << "\n";
    return 125;
  }
}
