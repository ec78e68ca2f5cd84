#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace wasibuild::runner {

namespace fs = std::filesystem;

namespace {

bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return true;
}

}  // namespace

std::optional<std::string> write_file_atomically_at(int directory, const std::string& name, Parts parts,
                                                    mode_t mode) {
  static std::atomic<unsigned> counter{0};
  const std::string temp =
      std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name;
  const int fd = ::openat(directory, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return "cannot create " + temp + ": " + std::strerror(errno);
  bool written = true;
  for (auto part : parts) written = written && write_all(fd, part);
  const int write_error = errno;
  if (::close(fd) != 0) written = false;
  if (!written) {
    ::unlinkat(directory, temp.c_str(), 0);
    return "cannot write " + temp + ": " + std::strerror(write_error);
  }
  if (::renameat(directory, temp.c_str(), directory, name.c_str()) != 0) {
    const int rename_error = errno;
    ::unlinkat(directory, temp.c_str(), 0);
    return std::strerror(rename_error);
  }
  return std::nullopt;
}

std::optional<std::string> write_file_atomically(const fs::path& path, Parts parts) {
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int directory = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory < 0) return std::string(std::strerror(errno));
  auto error = write_file_atomically_at(directory, path.filename().string(), parts, 0666);
  ::close(directory);
  return error;
}

}  // namespace wasibuild::runner
