#include "private_tmp.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "wasibuild/files.hpp"

namespace wasibuild::runner {

namespace fs = std::filesystem;

namespace {

// The reaper: it ignores the signals a terminal or CTest sends the whole
// process group, lets go of the process's stdio (a reader waiting for EOF
// must not wait for it), and removes the directory once the pipe's other
// end closes, which happens however the parent ends.
[[noreturn]] void reap_when_parent_ends(int pipe_read, int parent_fd, const std::string& name) {
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) ::signal(signal, SIG_IGN);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null, fd);
  char byte = 0;
  while (::read(pipe_read, &byte, 1) < 0 && errno == EINTR) {
  }
  try {
    base::remove_tree_at(parent_fd, name, name);
  } catch (const base::FileError&) {
    // Nobody is left to tell.
  }
  ::_exit(0);
}

}  // namespace

PrivateTmp::PrivateTmp(const fs::path& parent) {
  std::string pattern = (parent / "wasibuild-tmp-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    error_ = Error{Error::Kind::private_tmp_failed, parent,
                   fmt::format("cannot create a directory in {}: {}", parent.string(), std::strerror(errno))};
    return;
  }
  path_ = pattern;
  parent_fd_ = ::open(path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int channel[2];
  if (parent_fd_ < 0 || ::pipe2(channel, O_CLOEXEC) != 0) {
    const int error = errno;
    std::error_code ignored;
    fs::remove(path_, ignored);
    if (parent_fd_ >= 0) ::close(parent_fd_);
    parent_fd_ = -1;
    error_ = Error{Error::Kind::private_tmp_failed, path_,
                   fmt::format("cannot set up {}: {}", path_.string(), std::strerror(error))};
    return;
  }
  const std::string name = path_.filename().string();
  const pid_t reaper = ::fork();
  if (reaper == 0) {
    ::close(channel[1]);
    reap_when_parent_ends(channel[0], parent_fd_, name);
  }
  ::close(channel[0]);
  reaper_pipe_ = channel[1];
  reaper_pid_ = reaper;  // a failed fork (-1) leaves the normal path's cleanup only
}

PrivateTmp::~PrivateTmp() {
  if (parent_fd_ >= 0) {
    try {
      base::remove_tree_at(parent_fd_, path_.filename().string(), path_);
    } catch (const base::FileError&) {
      // The reaper tries once more when the pipe closes.
    }
  }
  if (reaper_pipe_ >= 0) ::close(reaper_pipe_);
  if (reaper_pid_ > 0) {
    while (::waitpid(reaper_pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (parent_fd_ >= 0) ::close(parent_fd_);
}

DirectoryGrant PrivateTmp::grant() const { return {path_, "/tmp", Access::read_write}; }

}  // namespace wasibuild::runner
