// Starting a program and waiting for it: the one spawner every part uses.
// No shell is involved, and the child gets exactly the environment it is
// given, so a command run against a prepared Env passes that Env on.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasibuild::base {

// Where a child's standard output and error go.
enum class ChildOutput {
  inherit,  // this process's stdout and stderr
  lines,    // both, merged, to the caller line by line
  capture,  // both, merged, into Exit::output (at most 64 KiB kept)
};

struct Spawn {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it has a '/'
  std::filesystem::path working_directory = {};  // empty: this process's
  // "NAME=value" entries; nothing: this process's environment.
  std::optional<std::vector<std::string>> environment = std::nullopt;
  ChildOutput output = ChildOutput::inherit;
  bool stdin_from_null = false;
};

struct Exit {
  int status = -1;          // the exit status; 128 + N for a signal N
  std::string start_error;  // why the program could not start (then status is -1)
  std::string output;       // with ChildOutput::capture
  [[nodiscard]] bool started() const { return start_error.empty(); }
};

// Called once per line of a ChildOutput::lines child, without the '\n'.
using LineSink = std::function<void(std::string_view line)>;

// Runs `spawn` to its end. `on_line` is used with ChildOutput::lines only.
[[nodiscard]] Exit run_process(const Spawn& spawn, const LineSink& on_line = {});

// The environment `variables` as "NAME=value" entries.
template <typename Map>
[[nodiscard]] std::vector<std::string> environment_of(const Map& variables) {
  std::vector<std::string> entries;
  entries.reserve(variables.size());
  for (const auto& [name, value] : variables) entries.push_back(std::string(name) + "=" + std::string(value));
  return entries;
}

}  // namespace wasibuild::base
