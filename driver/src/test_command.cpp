// `wasibuild test [FILTER] [-j N] [--no-build] [--junit FILE]`: build, then
// run the project's CTest suite; the toolchain file makes `wasibuild exec`
// the emulator, so every test runs sandboxed.
#include <fmt/format.h>

#include "command.hpp"
#include "commands.hpp"
#include "message_format.hpp"
#include "project_build.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

class TestCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    bind_build_flags(app, build_);
    bind_message_format(app, build_);
    app.add_option("filter", filter_, "Run only tests whose name matches this regular expression");
    app.add_flag("--no-build", no_build_, "Run the tests of the last build without building");
    app.add_option("--junit", junit_, "Also write a JUnit XML report to FILE")->type_name("FILE");
    app.footer(
        "Arguments after -- go to CTest.\n"
        "Exit status: 0 when every test ran and passed; 8 when a test failed or a filter matched no test\n"
        "(CTest's own status); 1 when the build failed; 2 for a usage error.\n"
        "Examples:\n  wasibuild test\n  wasibuild test parser -j 2 --junit report.xml\n"
        "  wasibuild test -- --rerun-failed -V");
  }
  [[nodiscard]] bool takes_trailing_arguments() const override { return true; }
  void set_trailing_arguments(std::vector<std::string> arguments) override { ctest_arguments_ = std::move(arguments); }

  int run(Env& env) override {
    fs::path build_dir;
    std::optional<int> project_jobs;
    if (no_build_) {
      // The same directory a build would use, without building.
      const Project project = load_project(env);
      project_jobs = project.test_jobs;
      build_dir = existing_build_dir(build_, project, env);
      if (!fs::exists(build_dir / "CTestTestfile.cmake")) {
        throw Failure{fmt::format("{}: not built yet", build_dir.string()), {"run wasibuild test without --no-build"}};
      }
    } else {
      const BuiltProject built = build_project(build_, env, false);
      build_dir = built.build_dir;
      project_jobs = built.project.test_jobs;
    }
    // A filter that matches nothing is an error, not a silent pass. CTest
    // starts in the build directory (what --test-dir would do, without its
    // "Internal ctest changing into directory" line).
    std::vector<std::string> ctest = {"ctest", "--output-on-failure", "--no-tests=error"};
    const int jobs = build_.jobs > 0 ? build_.jobs : project_jobs.value_or(0);
    if (jobs > 0) ctest.push_back(fmt::format("-j{}", jobs));
    if (!filter_.empty()) ctest.insert(ctest.end(), {"-R", filter_});
    if (!junit_.empty()) ctest.insert(ctest.end(), {"--output-junit", (env.working_directory / junit_).string()});
    ctest.insert(ctest.end(), ctest_arguments_.begin(), ctest_arguments_.end());
    std::optional<JsonMessages> json;
    base::LineSink results;
    if (build_.json_messages) {
      json.emplace(*env.out);
      results = [&json](std::string_view line) {
        if (auto result = parse_test_result(line)) json->test(*result);
      };
    }
    const int status = run_step({ctest, build_dir, true, json ? &results : nullptr}, env);
    if (json) json->test_finished(status);
    if (status != 0) {
      throw Failure{"some tests failed or none matched (CTest's output and summary are above)", {}, status};
    }
    return 0;
  }

 private:
  BuildFlags build_;
  std::string filter_;
  bool no_build_ = false;
  std::string junit_;
  std::vector<std::string> ctest_arguments_;
};

}  // namespace

std::unique_ptr<Command> make_test_command() { return std::make_unique<TestCommand>(); }

}  // namespace wasibuild::driver
