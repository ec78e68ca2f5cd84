#include "messages.hpp"

#include <cctype>
#include <sstream>
#include <string_view>
#include <vector>

#include "wasibuild/text.hpp"

namespace wasibuild::runner {

namespace {

constexpr std::string_view kCausedBy = "\n\nCaused by:\n";
constexpr std::string_view kBacktraceHeader = "error while executing at wasm backtrace:\n";

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// "    0: message" -> "message"
std::string_view strip_cause_number(std::string_view line) {
  line = trim(line);
  std::size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits > 0 && line.substr(digits).starts_with(": ")) line.remove_prefix(digits + 2);
  return line;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string join_causes(std::string_view causes) {
  std::string joined;
  for (std::string_view line : lines_of(causes)) {
    line = strip_cause_number(line);
    if (line.empty()) continue;
    if (!joined.empty()) joined += ": ";
    joined += line;
  }
  return joined;
}

// The first paragraph of an error report as one line.
std::string flatten(std::string_view paragraph) {
  std::string flat;
  for (std::string_view line : lines_of(paragraph)) {
    line = trim(line);
    if (line.empty()) continue;
    if (!flat.empty()) flat += ' ';
    flat += line;
  }
  return flat;
}

// The text parser reports "expected `)`\n     --> <anon>:2:1\n  |\n2 | ..."; keep
// the problem and its position.
std::string flatten_text_format_error(std::string_view text) {
  const auto arrow = text.find("--> <anon>:");
  if (arrow == std::string_view::npos) return {};
  std::string_view position = text.substr(arrow + 11);
  position = position.substr(0, position.find('\n'));
  const auto colon = position.find(':');
  std::string problem(trim(text.substr(0, arrow)));
  if (colon == std::string_view::npos) return problem;
  return problem + " at line " + std::string(position.substr(0, colon)) + ", column " +
         std::string(position.substr(colon + 1));
}

// Deep recursion gives thousands of identical frames: show a run once.
std::string collapse_repeated_frames(const std::vector<std::string>& frames) {
  std::string text;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < frames.size(); ++shown) {
    if (shown == kMaxFrames) {
      text += "    ... " + std::to_string(frames.size() - i) + " more frames\n";
      break;
    }
    std::size_t run = 1;
    while (i + run < frames.size() && frames[i + run] == frames[i]) ++run;
    text += frames[i];
    if (run > 2) {
      text += "    ... " + std::to_string(run - 1) + " more frames like the one above\n";
    } else if (run == 2) {
      text += frames[i];
    }
    i += run;
  }
  return text;
}

// "    12:    0x2cc - recurse\n          at f.c:3" without its frame number.
std::string frame_without_index(std::string_view frame) {
  const auto colon = frame.find(':');
  return capped(colon == std::string_view::npos ? std::string(frame) : std::string(trim(frame.substr(colon + 1))));
}

std::string one_line_uncapped(const std::string& wasmtime_message) {
  const std::string_view text(wasmtime_message);
  if (auto text_error = flatten_text_format_error(text); !text_error.empty()) return text_error;
  const auto split = text.find(kCausedBy);
  if (split == std::string_view::npos) return flatten(text);
  std::string line = flatten(text.substr(0, split));
  const std::string causes = join_causes(text.substr(split + kCausedBy.size()));
  if (!causes.empty()) line += (line.empty() ? "" : ": ") + causes;
  return line;
}

}  // namespace

std::string capped(std::string text) { return base::capped(text, kMaxLineLength); }

std::string one_line(const std::string& wasmtime_message) { return capped(one_line_uncapped(wasmtime_message)); }

std::pair<std::string, std::string> split_trap_message(const std::string& wasmtime_message) {
  const std::string_view text(wasmtime_message);
  // The last one: a function name in the backtrace (the guest's own text)
  // may spell the header too; Wasmtime's causes come after every frame.
  const auto split = text.rfind(kCausedBy);
  if (!text.starts_with(kBacktraceHeader) || split == std::string_view::npos) return {one_line(wasmtime_message), ""};
  // A frame is its "N: 0xOFFSET - name" line plus any "at file:line" lines.
  std::vector<std::string> frames;
  for (std::string_view line : lines_of(text.substr(kBacktraceHeader.size(), split - kBacktraceHeader.size()))) {
    const std::string_view content = trim(line);
    // Wasmtime's hint about WASMTIME_BACKTRACE_DETAILS: wasibuild already sets it.
    if (content.empty() || content.starts_with("note: ")) continue;
    if (content.starts_with("at ") && !frames.empty()) {
      frames.back() += "        " + capped(std::string(content)) + "\n";
    } else {
      frames.push_back("    " + frame_without_index(content) + "\n");
    }
  }
  return {capped(join_causes(text.substr(split + kCausedBy.size()))), collapse_repeated_frames(frames)};
}

}  // namespace wasibuild::runner
