// What wasibuild says and how: global -q/-v/--color before or after the
// command, colour conventions, and how a build step's output is shown,
// seen through a recording spawner (no CMake runs here).
#include <doctest/doctest.h>

#include <sstream>

#include "command.hpp"
#include "project_build.hpp"
#include "terminal.hpp"
#include "in_process.hpp"
#include "wasibuild/driver.hpp"

using namespace wasibuild::driver;
using wasibuild::testing::run;
namespace base = wasibuild::base;

namespace {


// A spawner that records each Spawn and plays back a scripted child: its
// output lines and exit status.
struct Recorder {
  std::vector<base::Spawn> spawned;
  std::vector<std::string> lines;
  int status = 0;

  void install(Env& env) {
    env.spawner = [this](const base::Spawn& spawn, const base::LineSink& on_line) {
      spawned.push_back(spawn);
      base::Exit exit;
      exit.status = status;
      for (const auto& line : lines) {
        if (spawn.output == base::ChildOutput::lines) on_line(line);
      }
      return exit;
    };
  }
};

struct StepRun {
  std::ostringstream out, err;
  Env env;
  Recorder recorder;
  explicit StepRun(Verbosity verbosity) {
    env.out = &out;
    env.err = &err;
    env.verbosity = verbosity;
    env.variables = {{"PATH", "/usr/bin"}, {"CLICOLOR_FORCE", "1"}};
    recorder.install(env);
  }
  bool has_variable(const std::string& entry) const {
    const auto& environment = recorder.spawned.at(0).environment;
    return environment && std::ranges::find(*environment, entry) != environment->end();
  }
};

}  // namespace

TEST_CASE("an unknown option before the command is named as such, with the closest global option") {
  const auto bogus = run({"--bogus", "build"});
  CHECK(bogus.status == 2);
  CHECK(bogus.err.starts_with("wasibuild: error: unknown option '--bogus'\n"));
  const auto typo = run({"--colr", "never", "build"});
  CHECK(typo.status == 2);
  CHECK(typo.err.find("help: did you mean '--color'?") != std::string::npos);
  const auto bad_value = run({"--color", "sometimes", "cache", "dir"});
  CHECK(bad_value.status == 2);
  CHECK(bad_value.err.find("sometimes") != std::string::npos);
}

TEST_CASE("-q, -v and --color work before and after the command, and -q with -v is a usage error") {
  const std::map<std::string, std::string, std::less<>> home = {{"HOME", "/home/u"}};
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {"-q", "cache", "dir"}, {"cache", "dir", "-q"}, {"--color", "never", "cache", "dir"},
           {"cache", "--color=always", "dir"}, {"-v", "cache", "dir", "--colour", "auto"}}) {
    INFO(arguments.front() << " " << arguments.back());
    const auto ran = run(arguments, home);
    CHECK(ran.status == 0);
    CHECK(ran.out == "/home/u/.cache/wasibuild/modules\n");  // a result, printed even under -q
  }
  const auto both = run({"-q", "cache", "dir", "-v"}, home);
  CHECK(both.status == 2);
  CHECK(both.err.find("-q (--quiet) and -v (--verbose)") != std::string::npos);
}

TEST_CASE("colour follows --color, then NO_COLOR, CLICOLOR_FORCE and TERM=dumb, then the terminal") {
  Env env;
  env.err_is_terminal = true;
  CHECK(colour_wanted("auto", env));
  CHECK_FALSE(colour_wanted("never", env));
  env.variables["TERM"] = "dumb";
  CHECK_FALSE(colour_wanted("auto", env));
  env.variables["CLICOLOR_FORCE"] = "1";
  CHECK(colour_wanted("auto", env));
  env.variables["CLICOLOR_FORCE"] = "0";
  CHECK_FALSE(colour_wanted("auto", env));
  env.variables = {{"NO_COLOR", "1"}, {"CLICOLOR_FORCE", "1"}};
  CHECK_FALSE(colour_wanted("auto", env));
  CHECK(colour_wanted("always", env));
  env.variables.clear();
  env.err_is_terminal = false;
  CHECK_FALSE(colour_wanted("auto", env));
  CHECK(colour_wanted("always", env));

  env.colour = true;
  CHECK(styled(env, Style::error, "error:") == "\x1b[1;31merror:\x1b[0m");
  env.colour = false;
  CHECK(styled(env, Style::error, "error:") == "error:");
}

TEST_CASE("errors are coloured only when asked") {
  const auto plain = run({"--color", "never", "no-such-command"});
  CHECK(plain.err.starts_with("wasibuild: error: unknown command"));
  const auto coloured = run({"--color", "always", "cache", "nope"});
  CHECK(coloured.err.find("\x1b[1;31merror:\x1b[0m") != std::string::npos);
  CHECK(coloured.err.find("\x1b[1;36mhelp:\x1b[0m") != std::string::npos);
}

TEST_CASE("a step's child gets the Env's variables, not this process's") {
  StepRun step(Verbosity::normal);
  CHECK(run_step({{"ninja"}, "/b", false, nullptr}, step.env) == 0);
  REQUIRE(step.recorder.spawned.size() == 1);
  CHECK(step.recorder.spawned[0].argv == std::vector<std::string>{"ninja"});
  CHECK(step.recorder.spawned[0].working_directory == "/b");
  CHECK(step.has_variable("PATH=/usr/bin"));
  CHECK(step.recorder.spawned[0].output == base::ChildOutput::inherit);
  CHECK(step.err.str().empty());
}

TEST_CASE("chatter lines are hidden unless -v, and the rest reaches stdout with colour as decided") {
  StepRun normal(Verbosity::normal);
  normal.recorder.lines = {"[1/1] Linking CXX executable a.wasm", "ninja: no work to do."};
  Step step{{"ninja"}, "/b", false, nullptr, {"ninja: no work to do."}};
  CHECK(run_step(step, normal.env) == 0);
  CHECK(normal.out.str() == "[1/1] Linking CXX executable a.wasm\n");
  CHECK_FALSE(normal.has_variable("CLICOLOR_FORCE=1"));  // not coloured: Ninja strips clang's colour

  StepRun coloured(Verbosity::normal);
  coloured.env.colour = true;
  CHECK(run_step(step, coloured.env) == 0);
  CHECK(coloured.has_variable("CLICOLOR_FORCE=1"));

  StepRun verbose(Verbosity::verbose);
  verbose.recorder.lines = normal.recorder.lines;
  CHECK(run_step(step, verbose.env) == 0);
  CHECK(verbose.err.str() == "     Running `ninja`\n");
  CHECK(verbose.recorder.spawned[0].output == base::ChildOutput::inherit);  // all of it, as it comes
}

TEST_CASE("a build's lines reach the user as they come, each flushed, not when the build ends") {
  // Counts flushes, and what was written by the time of each.
  struct FlushCounter : std::stringbuf {
    std::vector<std::string> seen_at_flush;
    int sync() override {
      seen_at_flush.push_back(str());
      return 0;
    }
  };
  StepRun step(Verbosity::normal);
  FlushCounter counter;
  std::ostream out(&counter);
  step.env.out = &out;
  step.recorder.lines = {"[1/2] Building C object a.o", "[2/2] Linking C executable a.wasm"};
  CHECK(run_step({{"ninja"}, "/b", false, nullptr, {"ninja: no work to do."}}, step.env) == 0);
  CHECK(std::ranges::find(counter.seen_at_flush, "[1/2] Building C object a.o\n") != counter.seen_at_flush.end());
}

TEST_CASE("-q keeps a chatty step's output and shows it only when the step fails") {
  StepRun quiet(Verbosity::quiet);
  quiet.recorder.lines = {"-- Configuring done", "-- Generating done"};
  const Step configure{{"cmake", "-S", "/p", "-B", "/p/build"}, "/p", true, nullptr};
  CHECK(run_step(configure, quiet.env) == 0);
  CHECK(quiet.out.str().empty());
  CHECK(quiet.err.str().empty());

  StepRun failing(Verbosity::quiet);
  failing.recorder.lines = {"CMake Error at CMakeLists.txt:3 (foo):", "  Unknown CMake command \"foo\"."};
  failing.recorder.status = 1;
  CHECK(run_step(configure, failing.env) == 1);
  CHECK(failing.err.str() == "CMake Error at CMakeLists.txt:3 (foo):\n  Unknown CMake command \"foo\".\n");
}

TEST_CASE("with --message-format json every line reaches the reader and stderr, never stdout") {
  StepRun json(Verbosity::normal);
  json.env.colour = true;
  json.recorder.lines = {"a.c:1:2: error: x", "ninja: build stopped: subcommand failed."};
  json.recorder.status = 1;
  std::vector<std::string> seen;
  const base::LineSink reader = [&seen](std::string_view line) { seen.emplace_back(line); };
  CHECK(run_step({{"ninja"}, "/b", false, &reader, {"ninja: no work to do."}}, json.env) == 1);
  CHECK(seen == json.recorder.lines);
  CHECK(json.out.str().empty());
  CHECK(json.err.str() == "a.c:1:2: error: x\nninja: build stopped: subcommand failed.\n");
  CHECK_FALSE(json.has_variable("CLICOLOR_FORCE=1"));  // plain text to parse
}

TEST_CASE("a program that cannot start is a Failure naming it") {
  StepRun step(Verbosity::normal);
  step.env.spawner = [](const base::Spawn&, const base::LineSink&) {
    base::Exit exit;
    exit.start_error = "No such file or directory";
    return exit;
  };
  std::string message;
  try {
    (void)run_step({{"ninja"}, "/b"}, step.env);
  } catch (const Failure& failure) {
    message = failure.message;
  }
  CHECK(message == "cannot run ninja: No such file or directory");
}
