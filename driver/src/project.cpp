#include "project.hpp"

#include <ostream>

namespace wasibuild::driver {

Project load_project(const Env& env) {
  return project::load_project(env.working_directory,
                               [&env](const std::string& line) { *env.err << "wasibuild: warning: " << line << "\n"; });
}

}  // namespace wasibuild::driver
