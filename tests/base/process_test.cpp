// base's spawner, with real children: the environment given is the whole
// environment, output reaches the caller as asked, failures are told apart.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "process.hpp"
#include "wasibuild/process.hpp"

namespace base = wasibuild::base;
using wasibuild::testing::TempDir;

TEST_CASE("the child gets exactly the environment given, and its working directory") {
  TempDir dir;
  const base::Exit exit = base::run_process({.argv = {"/bin/sh", "-c", "echo \"$ONLY|$HOME|$(pwd)\""},
                                             .working_directory = dir.path(),
                                             .environment = std::vector<std::string>{"ONLY=given"},
                                             .output = base::ChildOutput::capture});
  CHECK(exit.status == 0);
  CHECK(exit.output == "given||" + dir.path().string() + "\n");
}

TEST_CASE("lines come one at a time, stdout and stderr merged, the last one even without a newline") {
  std::vector<std::string> lines;
  const base::Exit exit = base::run_process(
      {.argv = {"/bin/sh", "-c", "echo one; echo two >&2; printf 'three'; exit 3"},
       .output = base::ChildOutput::lines},
      [&lines](std::string_view line) { lines.emplace_back(line); });
  CHECK(exit.status == 3);
  CHECK(lines == std::vector<std::string>{"one", "two", "three"});
}

TEST_CASE("captured output stops at 64 KiB and the child still runs to its end") {
  const base::Exit exit = base::run_process(
      {.argv = {"/bin/sh", "-c", "head -c 1000000 /dev/zero; exit 5"}, .output = base::ChildOutput::capture});
  CHECK(exit.status == 5);
  CHECK(exit.output.size() >= 64 * 1024);
  CHECK(exit.output.size() < 64 * 1024 + 4096);
}

TEST_CASE("a program found nowhere, and one killed by a signal, are told apart") {
  const base::Exit missing = base::run_process({.argv = {"wasibuild-no-such-program"}});
  CHECK_FALSE(missing.started());
  CHECK(missing.start_error == "No such file or directory");
  const base::Exit killed = base::run_process({.argv = {"/bin/sh", "-c", "kill -9 $$"}});
  CHECK(killed.started());
  CHECK(killed.status == 128 + 9);
  CHECK_FALSE(base::run_process({}).started());
}

TEST_CASE("stdin can be /dev/null, so a child never waits on the terminal") {
  const base::Exit exit = base::run_process(
      {.argv = {"/bin/cat"}, .output = base::ChildOutput::capture, .stdin_from_null = true});
  CHECK(exit.status == 0);
  CHECK(exit.output.empty());
}
