// Parsing the human units flags take: sizes ("64MiB") and durations ("250ms").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wasibuild::driver {

// "1048576", "512KiB", "64MiB", "2GiB" (binary), "64MB" (decimal), "64M" (binary).
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

// "250ms", "1s", "1.5s", "2m", "1h"; a bare number is seconds.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace wasibuild::driver
