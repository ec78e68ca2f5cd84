#include "wasibuild/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace wasibuild::base {

namespace {

// Splits "1.5s" into 1.5 and "s"; nullopt unless the number is finite and >= 0.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || !std::isfinite(value) || value < 0 || end == text.data()) return std::nullopt;
  return std::pair{value, text.substr(static_cast<std::size_t>(end - text.data()))};
}

template <std::size_t N>
std::optional<double> unit_factor(std::string_view unit, const std::pair<std::string_view, double> (&table)[N]) {
  for (const auto& [name, factor] : table) {
    if (unit == name) return factor;
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

std::uint64_t divided(std::uint64_t value, std::uint64_t unit, Rounding rounding) {
  if (rounding == Rounding::nearest) return (value + unit / 2) / unit;
  return rounding == Rounding::up ? (value + unit - 1) / unit : value / unit;
}

// "9.3 MiB", "8 MiB": tenths of `unit`, ".0" left out.
std::string in_tenths(std::uint64_t bytes, std::uint64_t unit, std::string_view name, Rounding rounding) {
  // Whole units and the rest apart: the rest times ten always fits.
  const std::uint64_t tenths = bytes / unit * 10 + divided(bytes % unit * 10, unit, rounding);
  if (tenths % 10 == 0) return std::to_string(tenths / 10) + " " + std::string(name);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + std::string(name);
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},          {"B", 1},          {"K", 0x1p10},    {"KiB", 0x1p10}, {"M", 0x1p20}, {"MiB", 0x1p20},
      {"G", 0x1p30},    {"GiB", 0x1p30},   {"T", 0x1p40},    {"TiB", 0x1p40}, {"KB", 1e3},   {"MB", 1e6},
      {"GB", 1e9},      {"TB", 1e12},
  };
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  const auto factor = unit_factor(parts->second, kUnits);
  if (!factor) return std::nullopt;
  const double bytes = std::floor(parts->first * *factor);
  if (bytes >= 0x1p64) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000},
  };
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  const auto factor = unit_factor(parts->second, kUnits);
  if (!factor) return std::nullopt;
  const double milliseconds = std::ceil(parts->first * *factor);
  if (milliseconds > static_cast<double>(std::numeric_limits<std::int32_t>::max())) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(milliseconds));
}

std::string size_text(std::uint64_t bytes, Rounding rounding) {
  constexpr std::uint64_t kKiB = 1024;
  constexpr std::uint64_t kMiB = kKiB * kKiB;
  constexpr std::uint64_t kGiB = kMiB * kKiB;
  if (bytes < kKiB) return std::to_string(bytes) + " bytes";
  if (bytes < kMiB) return std::to_string(divided(bytes, kKiB, rounding)) + " KiB";
  if (bytes < kGiB) return in_tenths(bytes, kMiB, "MiB", rounding);
  return in_tenths(bytes, kGiB, "GiB", rounding);
}

std::string capped(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  // Not inside a UTF-8 sequence: back up over continuation bytes.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // Two typos, or one per three letters in longer words.
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > kLongestGuessed) return std::nullopt;
  const auto guess = closest_match(word, candidates);
  if (!guess || *guess == word) return std::nullopt;
  return "did you mean '" + capped(*guess, kLongestGuessed) + "'?";
}

}  // namespace wasibuild::base
