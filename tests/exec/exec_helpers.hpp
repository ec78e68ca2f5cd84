// Running the real `wasibuild exec` in a clean environment.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "process.hpp"

namespace wasibuild::testing {

inline std::string fixture(const std::string& name) { return std::string(FIXTURE_DIR) + "/" + name + ".wasm"; }
inline std::string fixture_source(const std::string& name) { return std::string(FIXTURE_SOURCE_DIR) + "/" + name; }

// Each instance has its own WASIBUILD_HOME, so caches never leak between tests.
class Wasibuild {
 public:
  Wasibuild() { options.environment = {{"WASIBUILD_HOME", home.path().string()}, {"PATH", "/usr/bin:/bin"}}; }

  ProcessResult operator()(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), WASIBUILD_BINARY);
    return run_process(arguments, options);
  }
  ProcessResult exec(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), "exec");
    return (*this)(std::move(arguments));
  }

  TempDir home;
  ProcessOptions options;
};

// Runs the fs_probe fixture: one filesystem OPERATION (fs_probe.c) under FLAGS.
inline ProcessResult probe(const Wasibuild& wasibuild, std::vector<std::string> flags,
                           const std::vector<std::string>& operation) {
  flags.push_back(fixture("fs_probe"));
  flags.insert(flags.end(), operation.begin(), operation.end());
  return wasibuild.exec(flags);
}

}  // namespace wasibuild::testing
