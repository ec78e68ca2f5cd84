// `--private-tmp` leaves nothing behind, however `exec` ends: a guest fills
// its /tmp with a tree deeper than PATH_MAX, then the run ends normally, by
// the timeout watchdog, or by a signal (docs/security.md).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

extern char** environ;

namespace {

std::size_t leftovers(const fs::path& tmpdir) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(tmpdir)) {
    if (entry.path().filename().string().starts_with("wasibuild-tmp-")) ++count;
  }
  return count;
}

// The reaper removes the tree just after exec has gone: wait for it, within bounds.
bool eventually_clean(const fs::path& tmpdir) {
  for (int i = 0; i < 200 && leftovers(tmpdir) != 0; ++i) std::this_thread::sleep_for(25ms);
  return leftovers(tmpdir) == 0;
}

// Starts `exec --private-tmp deep_tree /tmp sleep`, waits for the tree, sends `signal`.
int killed_while_sleeping(const Wasibuild& wasibuild, const fs::path& tmpdir, int signal) {
  int output[2];
  REQUIRE(::pipe(output) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, output[0]);
  std::vector<std::string> argv = {WASIBUILD_BINARY, "exec", "--private-tmp", fixture("deep_tree"), "/tmp", "sleep"};
  std::vector<std::string> environment = {"TMPDIR=" + tmpdir.string(),
                                          "WASIBUILD_HOME=" + wasibuild.home.path().string(), "PATH=/usr/bin:/bin"};
  std::vector<char*> args, envp;
  for (auto& arg : argv) args.push_back(arg.data());
  for (auto& entry : environment) envp.push_back(entry.data());
  args.push_back(nullptr);
  envp.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data()) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(output[1]);
  std::string seen;
  char buffer[64];
  for (ssize_t got; seen.find('\n') == std::string::npos && (got = ::read(output[0], buffer, sizeof buffer)) > 0;) {
    seen.append(buffer, static_cast<std::size_t>(got));
  }
  CHECK(seen == "levels 40\n");
  ::kill(pid, signal);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(output[0]);
  return status;
}

}  // namespace

TEST_CASE("attack: a private /tmp with a tree deeper than PATH_MAX is removed after a normal exit" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  TempDir tmpdir;
  wasibuild.options.environment["TMPDIR"] = tmpdir.path().string();
  const auto result = wasibuild.exec({"--private-tmp", fixture("deep_tree"), "/tmp"});
  CHECK(result.out == "levels 40\n");
  CHECK(result.exit_status == 0);
  CHECK(eventually_clean(tmpdir.path()));
}

TEST_CASE("attack: a private /tmp is removed when the timeout ends the run" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  TempDir tmpdir;
  wasibuild.options.environment["TMPDIR"] = tmpdir.path().string();
  const auto result = wasibuild.exec({"--private-tmp", "--timeout", "1s", fixture("deep_tree"), "/tmp", "sleep"});
  CHECK(result.exit_status == 124);
  CHECK(eventually_clean(tmpdir.path()));
}

TEST_CASE("attack: a private /tmp is removed when a signal ends the run" * doctest::test_suite("attack")) {
  Wasibuild wasibuild;
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) {
    CAPTURE(signal);
    TempDir tmpdir;
    const int status = killed_while_sleeping(wasibuild, tmpdir.path(), signal);
    CHECK(WIFSIGNALED(status));
    CHECK(eventually_clean(tmpdir.path()));
  }
}
