#include "units.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace wasibuild::driver {

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

}  // namespace wasibuild::driver
