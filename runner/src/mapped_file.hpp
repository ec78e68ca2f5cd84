// A read-only memory map of a whole file, unmapped when it goes out of scope.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>

namespace wasibuild::runner {

enum class Links { follow, refuse };

// The error a MappedFile reports for a FIFO, a device or a socket.
[[nodiscard]] std::error_code not_a_regular_file();

class MappedFile {
 public:
  // Maps `path` (relative to `directory`, a directory fd); on failure `error()`
  // says why. Only a regular file is mapped: the file is opened without
  // blocking, so a FIFO is refused at once instead of waiting for a writer.
  // With Links::refuse a symlink in the last component fails with ELOOP.
  // An empty file maps to no bytes.
  explicit MappedFile(const std::filesystem::path& path, int directory = AT_FDCWD, Links links = Links::follow);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  [[nodiscard]] std::error_code error() const { return error_; }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  // The owner and mode of the file that was mapped (of the open file, not of
  // whatever the path names by now).
  [[nodiscard]] uid_t owner() const { return owner_; }
  [[nodiscard]] mode_t mode() const { return mode_; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  uid_t owner_ = 0;
  mode_t mode_ = 0;
  std::error_code error_;
};

}  // namespace wasibuild::runner
