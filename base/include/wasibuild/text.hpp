// Text every part shows or reads: sizes and durations in human units, user
// text quoted safely in a message, and "did you mean".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasibuild::base {

// "1048576", "512KiB", "64MiB", "2GiB" (binary), "64MB" (decimal), "64M" (binary).
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

// "250ms", "1s", "1.5s", "2m", "1h"; a bare number is seconds.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// How a size shown to a user is rounded: a need up (asking for that much is
// enough), an allowance down (never promise more than there is), anything
// else to the nearest.
enum class Rounding { up, down, nearest };

// "512 bytes", "56 KiB", "8 MiB", "9.3 MiB", "1.5 GiB": whole KiB below a
// MiB, tenths above, ".0" left out. The one size formatter of all parts.
[[nodiscard]] std::string size_text(std::uint64_t bytes, Rounding rounding = Rounding::nearest);

// `text` cut to at most `limit` bytes at a UTF-8 character boundary, with
// "..." added when cut: text a user or a guest controls is never echoed
// whole into a message.
[[nodiscard]] std::string capped(std::string_view text, std::size_t limit);

// The candidate within a small edit distance of `word`, if any (ninja's
// SpellcheckString): "did you mean" for commands, flags, keys and names.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       const std::vector<std::string>& candidates);

// The help line "did you mean 'NAME'?" for the closest candidate, if one is
// close and is not `word` itself. A word longer than kLongestGuessed gets
// none: comparing a 10 MB key against every name would take minutes.
inline constexpr std::size_t kLongestGuessed = 100;
[[nodiscard]] std::optional<std::string> did_you_mean(std::string_view word,
                                                      const std::vector<std::string>& candidates);

}  // namespace wasibuild::base
