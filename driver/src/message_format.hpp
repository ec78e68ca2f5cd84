// `--message-format json` for build and test: one JSON object a line on
// stdout, as cargo does, for CI systems and editors. Every object has a
// "reason": "compiler-message", "build-artifact", "build-finished", "test",
// "test-finished" (docs/message-format.md lists the fields). The tools'
// own output still goes to stderr, so nothing is lost.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace wasibuild::driver {

// `text` as a JSON string, quotes included. Bytes that are not valid UTF-8
// become U+FFFD, so the line stays valid JSON whatever a tool printed.
[[nodiscard]] std::string json_string(std::string_view text);

// A compiler's or linker's diagnostic line: "file:line:col: error: text"
// (clang), or "tool: error: text" (wasm-ld).
struct Diagnostic {
  std::string level;  // error, warning, note, fatal error
  std::string message;
  std::string file;  // empty for a tool's own message
  int line = 0;
  int column = 0;
};
[[nodiscard]] std::optional<Diagnostic> parse_diagnostic(std::string_view line);

// One result line of CTest: "1/3 Test #1: name ....   Passed    0.02 sec".
struct TestResult {
  std::string name;
  std::string status;  // passed, failed, timeout, not-run, skipped, disabled, crashed
  std::string detail;  // for crashed: CTest's "SegFault" and the like
  double seconds = 0;
};
[[nodiscard]] std::optional<TestResult> parse_test_result(std::string_view line);

// Writes the JSON lines.
class JsonMessages {
 public:
  explicit JsonMessages(std::ostream& out) : out_(out) {}
  void diagnostic(const Diagnostic& diagnostic);
  void artifact(const std::filesystem::path& path, std::uintmax_t size, bool is_test);
  void build_finished(bool success, std::string_view profile, std::string_view target, double seconds);
  void test(const TestResult& result);
  void test_finished(int exit_status);

 private:
  std::ostream& out_;
  int passed_ = 0;
  int failed_ = 0;
  int skipped_ = 0;
};

}  // namespace wasibuild::driver
