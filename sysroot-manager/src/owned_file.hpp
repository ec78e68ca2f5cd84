// Files in the installer's own directories (the download cache): opened
// without following a symlink, without blocking on a FIFO, and used only if
// they are regular files of this user that nobody else may write. Anything
// else there was planted, and is refused.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <utility>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

// A file descriptor, closed when destroyed.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }
  void reset();

 private:
  int fd_ = -1;
};

// Opens `path` with `flags` (O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC added;
// `mode` when O_CREAT creates it) and checks what was opened. Errors:
// Kind::untrusted_file for a symlink, a non-regular file, another owner or
// group/world write permission; Kind::io otherwise (ENOENT included, with
// detail "no such file").
[[nodiscard]] Result<UniqueFd> open_own_file(const std::filesystem::path& path, int flags, mode_t mode = 0);

}  // namespace wasibuild::toolchain
