// Runs the command line in-process against a prepared Env, as `main` would.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "wasibuild/driver.hpp"

namespace wasibuild::testing {

struct Captured {
  int status;
  std::string out;
  std::string err;
};

inline Captured run(std::vector<std::string> arguments,
                    std::map<std::string, std::string, std::less<>> variables = {}) {
  std::ostringstream out, err;
  driver::Env env;
  env.variables = std::move(variables);
  env.working_directory = "/work";
  env.out = &out;
  env.err = &err;
  const int status = driver::run_command_line(arguments, env);
  return {status, out.str(), err.str()};
}

}  // namespace wasibuild::testing
