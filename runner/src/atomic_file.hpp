// Writing a file so that readers see either the old content or the whole new
// content: write a temporary file in the same directory, then rename it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

namespace wasibuild::runner {

// Temporary files start with this prefix; `clean_cache` removes leftovers.
inline constexpr std::string_view kTempPrefix = ".tmp-";

// Writes the concatenation of `parts` to `path`; returns the OS error text on
// failure, with the temporary file removed.
[[nodiscard]] std::optional<std::string> write_file_atomically(
    const std::filesystem::path& path, std::initializer_list<std::span<const std::uint8_t>> parts);

}  // namespace wasibuild::runner
