#include <doctest/doctest.h>

#include "units.hpp"

using wasibuild::driver::parse_duration;
using wasibuild::driver::parse_size;
using namespace std::chrono_literals;

TEST_CASE("sizes") {
  CHECK(parse_size("1048576") == 1048576u);
  CHECK(parse_size("64MiB") == 64u << 20);
  CHECK(parse_size("64M") == 64u << 20);
  CHECK(parse_size("512KiB") == 512u << 10);
  CHECK(parse_size("2GiB") == std::uint64_t{2} << 30);
  CHECK(parse_size("1.5GiB") == std::uint64_t{3} << 29);
  CHECK(parse_size("64MB") == 64'000'000u);
  CHECK(parse_size("0") == 0u);
  for (const char* bad : {"", "MiB", "64 MiB", "64mib", "-1", "lots", "1e30", "inf", "nan", "64MiBs"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
}

TEST_CASE("durations") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("1s") == 1000ms);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("2m") == 120'000ms);
  CHECK(parse_duration("1h") == 3'600'000ms);
  CHECK(parse_duration("3") == 3000ms);
  for (const char* bad : {"", "s", "-1s", "1 s", "soon", "1d", "99999999h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}
