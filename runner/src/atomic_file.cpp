#include "atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>

namespace wasibuild::runner {

namespace fs = std::filesystem;

std::optional<std::string> write_file_atomically(const fs::path& path,
                                                 std::initializer_list<std::span<const std::uint8_t>> parts) {
  static std::atomic<unsigned> counter{0};
  const fs::path temp = path.parent_path() / (std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
                                              std::to_string(counter++) + "-" + path.filename().string());
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  for (auto part : parts) {
    out.write(reinterpret_cast<const char*>(part.data()), static_cast<std::streamsize>(part.size()));
  }
  out.close();
  std::error_code error;
  if (!out) {
    fs::remove(temp, error);
    return "cannot write " + temp.string();
  }
  fs::rename(temp, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return error.message();
  }
  return std::nullopt;
}

}  // namespace wasibuild::runner
