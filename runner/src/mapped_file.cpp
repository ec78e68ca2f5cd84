#include "mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace wasibuild::runner {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

class MappedFileCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mapped file"; }
  [[nodiscard]] std::string message(int) const override {
    return "not a regular file (a FIFO, a device or a socket)";
  }
};

}  // namespace

std::error_code not_a_regular_file() {
  static const MappedFileCategory category;
  return {1, category};
}

MappedFile::MappedFile(const std::filesystem::path& path, int directory, Links links) {
  const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (links == Links::refuse ? O_NOFOLLOW : 0);
  const int fd = ::openat(directory, path.c_str(), flags);
  if (fd < 0) {
    error_ = last_error();
    return;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    error_ = last_error();
  } else if (S_ISDIR(info.st_mode)) {
    error_ = std::make_error_code(std::errc::is_a_directory);
  } else if (!S_ISREG(info.st_mode)) {
    error_ = not_a_regular_file();
  } else if (info.st_size > 0) {
    void* mapping = ::mmap(nullptr, static_cast<std::size_t>(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      error_ = last_error();
    } else {
      data_ = static_cast<const std::uint8_t*>(mapping);
      size_ = static_cast<std::size_t>(info.st_size);
    }
  }
  owner_ = info.st_uid;
  mode_ = info.st_mode;
  ::close(fd);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      owner_(other.owner_),
      mode_(other.mode_),
      error_(other.error_) {}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace wasibuild::runner
