// The wasibuild executable: a thin shell around the driver library.
#include <exception>
#include <iostream>

#include "wasibuild/driver.hpp"

int main(int argc, char** argv) {
  try {
    auto env = wasibuild::driver::Env::from_process();
    return wasibuild::driver::run_command_line({argv + 1, argv + argc}, env);
  } catch (const std::exception& error) {
    std::cerr << "wasibuild: internal error: " << error.what() << "\n";
    return 125;
  }
}
