#include "owned_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wasibuild::toolchain {

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

std::string describe_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a fifo";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

}  // namespace

Result<UniqueFd> open_own_file(const std::filesystem::path& path, int flags, mode_t mode) {
  // O_NONBLOCK: opening a planted FIFO must not wait for a writer; it has
  // no effect on the regular files we accept.
  UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode));
  if (fd.get() < 0) {
    const int error = errno;
    if (error == ELOOP) return Error{Error::Kind::untrusted_file, path.string(), "it is a symbolic link"};
    return Error{Error::Kind::io, path.string(), error == ENOENT ? "no such file" : std::strerror(error)};
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return Error{Error::Kind::io, path.string(), std::strerror(errno)};
  if (!S_ISREG(info.st_mode)) return Error{Error::Kind::untrusted_file, path.string(), "it is " + describe_type(info.st_mode)};
  if (info.st_uid != ::geteuid()) {
    return Error{Error::Kind::untrusted_file, path.string(),
                 fmt::format("it is owned by uid {}, not by uid {}", info.st_uid, ::geteuid())};
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{Error::Kind::untrusted_file, path.string(), "it is writable by its group or by others"};
  }
  return fd;
}

}  // namespace wasibuild::toolchain
