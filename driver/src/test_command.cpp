// `wasibuild test [FILTER] [-j N] [--no-build] [--junit FILE]`: build, then
// run the project's CTest suite; the toolchain file makes `wasibuild exec`
// the emulator, so every test runs sandboxed.
#include <fmt/format.h>

#include "command.hpp"
#include "commands.hpp"
#include "project_build.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

class TestCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    bind_build_flags(app, build_);
    app.add_option("filter", filter_, "Run only tests whose name matches this regular expression");
    app.add_flag("--no-build", no_build_, "Run the tests of the last build without building");
    app.add_option("--junit", junit_, "Also write a JUnit XML report to FILE")->type_name("FILE");
    app.footer("Examples:\n  wasibuild test\n  wasibuild test parser -j 2 --junit report.xml");
  }

  int run(Env& env) override {
    fs::path build_dir;
    std::optional<int> project_jobs;
    if (no_build_) {
      // The same directory a build would use, without building.
      const Project project = load_project(env);
      project_jobs = project.test_jobs;
      const std::string profile = !build_.profile.empty() ? build_.profile : build_.release ? "release" : "debug";
      const std::string target = !build_.target.empty() ? build_.target : project.target.value_or("wasm32-wasi");
      build_dir = project.root / "build" / target / choose_profile(project, profile).name;
      if (!fs::exists(build_dir / "CTestTestfile.cmake")) {
        throw Failure{fmt::format("{}: not built yet", build_dir.string()), {"run wasibuild test without --no-build"}};
      }
    } else {
      const BuiltProject built = build_project(build_, env, false);
      build_dir = built.build_dir;
      project_jobs = built.project.test_jobs;
    }
    std::vector<std::string> ctest = {"ctest", "--test-dir", build_dir.string(), "--output-on-failure"};
    const int jobs = build_.jobs > 0 ? build_.jobs : project_jobs.value_or(0);
    if (jobs > 0) ctest.push_back(fmt::format("-j{}", jobs));
    if (!filter_.empty()) ctest.insert(ctest.end(), {"-R", filter_});
    if (!junit_.empty()) ctest.insert(ctest.end(), {"--output-junit", (env.working_directory / junit_).string()});
    env.out->flush();
    const int status = run_child(ctest, env.working_directory);
    if (status != 0) throw Failure{"some tests failed (their output and the summary are above)", {}, status};
    return 0;
  }

 private:
  BuildFlags build_;
  std::string filter_;
  bool no_build_ = false;
  std::string junit_;
};

}  // namespace

std::unique_ptr<Command> make_test_command() { return std::make_unique<TestCommand>(); }

}  // namespace wasibuild::driver
