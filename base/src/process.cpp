#include "wasibuild/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "wasibuild/files.hpp"

extern char** environ;

namespace wasibuild::base {

namespace {

constexpr std::size_t kMaxCaptured = 64 * 1024;

std::vector<char*> pointers_to(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto& text : strings) pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Reads the pipe to its end, handing out whole lines (or keeping the text).
void drain(int fd, const Spawn& spawn, const LineSink& on_line, Exit& exit) {
  std::array<char, 4096> buffer{};
  std::string pending;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (spawn.output == ChildOutput::capture) {
      if (exit.output.size() < kMaxCaptured) exit.output.append(buffer.data(), static_cast<std::size_t>(got));
      continue;
    }
    pending.append(buffer.data(), static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      if (on_line) on_line(std::string_view(pending).substr(start, end - start));
    }
    pending.erase(0, start);
  }
  if (!pending.empty() && on_line) on_line(pending);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Exit run_process(const Spawn& spawn, const LineSink& on_line) {
  Exit exit;
  if (spawn.argv.empty()) {
    exit.start_error = "no program given";
    return exit;
  }
  const bool piped = spawn.output != ChildOutput::inherit;
  int fds[2] = {-1, -1};
  if (piped && ::pipe2(fds, O_CLOEXEC) != 0) {
    exit.start_error = std::strerror(errno);
    return exit;
  }
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!spawn.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spawn.working_directory.c_str());
  }
  if (spawn.stdin_from_null) posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (piped) {
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  }
  const std::vector<char*> argv = pointers_to(spawn.argv);
  std::vector<char*> envp;
  if (spawn.environment) envp = pointers_to(*spawn.environment);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(),
                                     spawn.environment ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end = Fd();  // the child holds the only write end now
  if (spawned != 0) {
    exit.start_error = std::strerror(spawned);
    return exit;
  }
  if (piped) drain(read_end.get(), spawn, on_line, exit);
  exit.status = wait_for(pid);
  return exit;
}

}  // namespace wasibuild::base
