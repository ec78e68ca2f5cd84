#include "message_format.hpp"

#include <fmt/format.h>

#include <regex>

namespace wasibuild::driver {

namespace {

// The length of the valid UTF-8 sequence at `text[i]`, or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  unsigned min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  unsigned code = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3F);
  }
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return code >= min && code <= 0x10FFFF && !surrogate ? length : 0;
}

std::string status_of(std::string_view ctest_word) {
  if (ctest_word == "Passed") return "passed";
  if (ctest_word == "Failed") return "failed";
  if (ctest_word == "Timeout") return "timeout";
  if (ctest_word == "Not Run") return "not-run";
  if (ctest_word == "Skipped") return "skipped";
  if (ctest_word == "Disabled") return "disabled";
  return "crashed";
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string json = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      const std::size_t length = utf8_length(text, i);
      json += length > 0 ? text.substr(i, length) : "\uFFFD";
      i += length > 0 ? length : 1;
      continue;
    }
    switch (byte) {
      case '"': json += "\\\""; break;
      case '\\': json += "\\\\"; break;
      case '\n': json += "\\n"; break;
      case '\t': json += "\\t"; break;
      case '\r': json += "\\r"; break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          json += fmt::format("\\u{:04x}", byte);
        } else {
          json += static_cast<char>(byte);
        }
    }
    ++i;
  }
  return json + "\"";
}

std::optional<Diagnostic> parse_diagnostic(std::string_view line) {
  static const std::regex located(R"(^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$)");
  static const std::regex tool(R"(^([A-Za-z0-9_.+-]+): (error|warning): (.*)$)");
  std::match_results<std::string_view::const_iterator> match;
  if (std::regex_match(line.begin(), line.end(), match, located)) {
    return Diagnostic{match[4].str(), match[5].str(), match[1].str(), std::stoi(match[2].str()),
                      std::stoi(match[3].str())};
  }
  if (std::regex_match(line.begin(), line.end(), match, tool)) {
    return Diagnostic{match[2].str(), match[3].str(), "", 0, 0};
  }
  return std::nullopt;
}

std::optional<TestResult> parse_test_result(std::string_view line) {
  static const std::regex result(
      R"(^ *\d+/\d+ +Test +#\d+: (.*?) ?\.*(?:\*\*\*| *)(Passed|Failed|Timeout|Not Run|Skipped|Disabled|Exception: (.*?)) +([0-9.]+) sec$)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(line.begin(), line.end(), match, result)) return std::nullopt;
  return TestResult{match[1].str(), status_of(match[2].str()), match[3].str(), std::stod(match[4].str())};
}

void JsonMessages::diagnostic(const Diagnostic& diagnostic) {
  out_ << fmt::format(R"({{"reason":"compiler-message","level":{},"message":{})", json_string(diagnostic.level),
                      json_string(diagnostic.message));
  if (!diagnostic.file.empty()) {
    out_ << fmt::format(R"(,"file":{},"line":{},"column":{})", json_string(diagnostic.file), diagnostic.line,
                        diagnostic.column);
  }
  out_ << "}\n" << std::flush;
}

void JsonMessages::artifact(const std::filesystem::path& path, std::uintmax_t size, bool is_test) {
  out_ << fmt::format(R"({{"reason":"build-artifact","path":{},"size":{},"test":{}}})", json_string(path.string()),
                      size, is_test)
       << "\n"
       << std::flush;
}

void JsonMessages::build_finished(bool success, std::string_view profile, std::string_view target, double seconds) {
  out_ << fmt::format(R"({{"reason":"build-finished","success":{},"profile":{},"target":{},"seconds":{:.3f}}})",
                      success, json_string(profile), json_string(target), seconds)
       << "\n"
       << std::flush;
}

void JsonMessages::test(const TestResult& result) {
  if (result.status == "passed") {
    ++passed_;
  } else if (result.status == "skipped" || result.status == "disabled") {
    ++skipped_;
  } else {
    ++failed_;
  }
  out_ << fmt::format(R"({{"reason":"test","name":{},"status":{},"seconds":{:.3f})", json_string(result.name),
                      json_string(result.status), result.seconds);
  if (!result.detail.empty()) out_ << fmt::format(R"(,"detail":{})", json_string(result.detail));
  out_ << "}\n" << std::flush;
}

void JsonMessages::test_finished(int exit_status) {
  out_ << fmt::format(R"({{"reason":"test-finished","success":{},"passed":{},"failed":{},"skipped":{},"exit_status":{}}})",
                      exit_status == 0, passed_, failed_, skipped_, exit_status)
       << "\n"
       << std::flush;
}

}  // namespace wasibuild::driver
