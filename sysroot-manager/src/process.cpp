// run_tool (declared in toolchain.hpp): posix_spawn with a pipe.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "wasibuild/toolchain.hpp"

extern char** environ;

namespace wasibuild::toolchain {

namespace {

constexpr std::size_t kMaxOutput = 64 * 1024;

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

}  // namespace

ToolRun run_tool(const std::vector<std::string>& argv) {
  ToolRun run;
  Pipe pipe;
  if (argv.empty()) return run;
  if (pipe.read < 0) {
    run.start_error = std::strerror(errno);
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe.write, 1);
  posix_spawn_file_actions_adddup2(&actions, pipe.write, 2);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe.write);
  pipe.write = -1;
  if (spawned != 0) {
    run.start_error = std::strerror(spawned);
    return run;
  }
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t got = ::read(pipe.read, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (run.output.size() < kMaxOutput) run.output.append(buffer.data(), static_cast<std::size_t>(got));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

}  // namespace wasibuild::toolchain
