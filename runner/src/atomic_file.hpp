// Writing a file so that readers see either the old content or the whole new
// content: write a temporary file in the same directory, then rename it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

namespace wasibuild::runner {

// Temporary files start with this prefix; `clean_cache` removes leftovers.
inline constexpr std::string_view kTempPrefix = ".tmp-";

using Parts = std::initializer_list<std::span<const std::uint8_t>>;

// Writes the concatenation of `parts` to `name` inside the open directory
// `directory`. The temporary file is created with O_EXCL | O_NOFOLLOW (a
// planted file or symlink of that name is never written through) and the
// given mode, then renamed within the same directory fd. Returns the OS
// error text on failure, with the temporary file removed.
[[nodiscard]] std::optional<std::string> write_file_atomically_at(int directory, const std::string& name,
                                                                  Parts parts, mode_t mode);

// The same for a path, with mode 0666 less the umask (an ordinary new file).
[[nodiscard]] std::optional<std::string> write_file_atomically(const std::filesystem::path& path, Parts parts);

}  // namespace wasibuild::runner
