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
}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error_ = last_error();
    return;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    error_ = last_error();
  } else if (S_ISDIR(info.st_mode)) {
    error_ = std::make_error_code(std::errc::is_a_directory);
  } else if (info.st_size > 0) {
    void* mapping = ::mmap(nullptr, static_cast<std::size_t>(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      error_ = last_error();
    } else {
      data_ = static_cast<const std::uint8_t*>(mapping);
      size_ = static_cast<std::size_t>(info.st_size);
    }
  }
  ::close(fd);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      error_(other.error_) {}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace wasibuild::runner
