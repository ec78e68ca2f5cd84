// --message-format json: the JSON is valid whatever tools print, and the
// lines of clang, wasm-ld and CTest are read as they really look.
#include <doctest/doctest.h>

#include "message_format.hpp"

#include <sstream>

using namespace wasibuild::driver;

TEST_CASE("json_string escapes what JSON needs and replaces bytes that are not UTF-8") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("say \"hi\"\\ now") == R"("say \"hi\"\\ now")");
  CHECK(json_string("a\nb\tc\r") == R"("a\nb\tc\r")");
  CHECK(json_string(std::string("\x1b[31m\x7f\0", 7)) == R"("\u001b[31m\u007f\u0000")");
  CHECK(json_string("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80") == "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A stray continuation byte, a cut sequence, an overlong form, a surrogate.
  CHECK(json_string("a\x80z") == "\"a\xef\xbf\xbdz\"");
  CHECK(json_string("cut\xe2\x82") == "\"cut\xef\xbf\xbd\xef\xbf\xbd\"");
  CHECK(json_string("\xc0\xaf") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");
  CHECK(json_string("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST_CASE("clang's and wasm-ld's diagnostics are read; other build lines are not") {
  const auto warning = parse_diagnostic("/src/a b/x.cpp:5:2: warning: \"look here\" [-W#warnings]");
  REQUIRE(warning);
  CHECK(warning->level == "warning");
  CHECK(warning->file == "/src/a b/x.cpp");
  CHECK(warning->line == 5);
  CHECK(warning->column == 2);
  CHECK(warning->message == "\"look here\" [-W#warnings]");
  const auto fatal = parse_diagnostic("x.c:1:10: fatal error: 'nope.h' file not found");
  REQUIRE(fatal);
  CHECK(fatal->level == "fatal error");
  const auto linker = parse_diagnostic("wasm-ld: error: undefined symbol: missing_function");
  REQUIRE(linker);
  CHECK(linker->level == "error");
  CHECK(linker->file.empty());
  CHECK(linker->message == "undefined symbol: missing_function");
  CHECK_FALSE(parse_diagnostic("[1/6] Building CXX object CMakeFiles/x.dir/src/a.cpp.o"));
  CHECK_FALSE(parse_diagnostic("FAILED: CMakeFiles/gf_core.dir/src/greeting.cpp.o "));
  CHECK_FALSE(parse_diagnostic("    6 | int broken( {"));
  CHECK_FALSE(parse_diagnostic("1 warning and 3 errors generated."));
}

TEST_CASE("CTest's result lines give name, status and time, for every status CTest prints") {
  // As CTest 3.25 prints them.
  const auto passed = parse_test_result("1/6 Test #1: a long: name with spaces .........   Passed    0.02 sec");
  REQUIRE(passed);
  CHECK(passed->name == "a long: name with spaces");
  CHECK(passed->status == "passed");
  CHECK(passed->seconds == doctest::Approx(0.02));
  CHECK(parse_test_result("2/6 Test #2: b ................................***Failed    0.00 sec")->status == "failed");
  CHECK(parse_test_result("3/6 Test #3: c ................................***Timeout   1.00 sec")->status == "timeout");
  CHECK(parse_test_result("4/6 Test #4: d ................................***Not Run   0.00 sec")->status == "not-run");
  CHECK(parse_test_result("5/6 Test #5: e ................................***Skipped   0.00 sec")->status == "skipped");
  const auto crashed = parse_test_result("6/6 Test #6: f ................................***Exception: SegFault  0.00 sec");
  REQUIRE(crashed);
  CHECK(crashed->status == "crashed");
  CHECK(crashed->detail == "SegFault");
  CHECK(parse_test_result(" 9/10 Test  #9: g .....   Passed    0.10 sec")->name == "g");
  CHECK_FALSE(parse_test_result("    Start 1: greeting"));
  CHECK_FALSE(parse_test_result("100% tests passed, 0 tests failed out of 2"));
  CHECK_FALSE(parse_test_result("\t  2 - b (Failed)"));
}

TEST_CASE("JsonMessages writes one object a line and counts the tests") {
  std::ostringstream out;
  JsonMessages json(out);
  json.diagnostic({"error", "expected ';'", "/p/a.c", 3, 7});
  json.artifact("/p/build/a.wasm", 1234, false);
  json.build_finished(true, "debug", "wasm32-wasi", 1.5);
  json.test({"one", "passed", "", 0.25});
  json.test({"two", "crashed", "SegFault", 0.5});
  json.test({"three", "skipped", "", 0});
  json.test_finished(8);
  CHECK(out.str() ==
        R"({"reason":"compiler-message","level":"error","message":"expected ';'","file":"/p/a.c","line":3,"column":7})"
        "\n"
        R"({"reason":"build-artifact","path":"/p/build/a.wasm","size":1234,"test":false})"
        "\n"
        R"({"reason":"build-finished","success":true,"profile":"debug","target":"wasm32-wasi","seconds":1.500})"
        "\n"
        R"({"reason":"test","name":"one","status":"passed","seconds":0.250})"
        "\n"
        R"({"reason":"test","name":"two","status":"crashed","seconds":0.500,"detail":"SegFault"})"
        "\n"
        R"({"reason":"test","name":"three","status":"skipped","seconds":0.000})"
        "\n"
        R"({"reason":"test-finished","success":false,"passed":1,"failed":1,"skipped":1,"exit_status":8})"
        "\n");
}
