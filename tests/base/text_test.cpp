#include <doctest/doctest.h>

#include "wasibuild/text.hpp"

using wasibuild::base::capped;
using wasibuild::base::closest_match;
using wasibuild::base::parse_duration;
using wasibuild::base::parse_size;
using wasibuild::base::Rounding;
using wasibuild::base::size_text;
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

TEST_CASE("sizes shown to a user: whole KiB below a MiB, tenths above, rounded as asked") {
  CHECK(size_text(0) == "0 bytes");
  CHECK(size_text(1023) == "1023 bytes");
  CHECK(size_text(56u << 10) == "56 KiB");
  CHECK(size_text((56u << 10) + 1, Rounding::up) == "57 KiB");
  CHECK(size_text((56u << 10) + 1023, Rounding::down) == "56 KiB");
  CHECK(size_text(8u << 20) == "8 MiB");
  CHECK(size_text(9'700'000, Rounding::up) == "9.3 MiB");
  CHECK(size_text(9'700'000, Rounding::down) == "9.2 MiB");
  CHECK(size_text(std::uint64_t{3} << 29) == "1.5 GiB");
  CHECK(size_text(UINT64_MAX, Rounding::down) == "17179869183.9 GiB");  // 16 EiB, no overflow
  CHECK(size_text(UINT64_MAX, Rounding::up) == "17179869184 GiB");
  CHECK(size_text(1844674407370955161) == "1717986918.4 GiB");  // where bytes * 10 would wrap
}

TEST_CASE("quoted text is cut at a character boundary") {
  CHECK(capped("short", 10) == "short");
  CHECK(capped("abcdefghijkl", 10) == "abcdefghij...");
  // An é (two bytes) straddling the limit is left out whole.
  CHECK(capped("abcdefghi\xc3\xa9xyz", 10) == "abcdefghi...");
}

TEST_CASE("did you mean: the closest name within a few edits") {
  CHECK(closest_match("biuld", {"build", "run", "test"}) == "build");
  CHECK_FALSE(closest_match("deploy", {"build", "run", "test"}).has_value());
  CHECK(wasibuild::base::did_you_mean("--relase", {"--release", "--profile"}) == "did you mean '--release'?");
  CHECK_FALSE(wasibuild::base::did_you_mean("build", {"build"}).has_value());
  CHECK_FALSE(wasibuild::base::did_you_mean(std::string(200, 'x'), {std::string(199, 'x')}).has_value());
}
