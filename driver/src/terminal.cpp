#include "terminal.hpp"

#include <fmt/format.h>

#include <ostream>

namespace wasibuild::driver {

bool colour_wanted(std::string_view when, const Env& env) {
  if (when == "always") return true;
  if (when == "never") return false;
  if (!env.get("NO_COLOR").value_or("").empty()) return false;
  const std::string force = env.get("CLICOLOR_FORCE").value_or("");
  if (!force.empty() && force != "0") return true;
  if (env.get("TERM").value_or("") == "dumb") return false;
  return env.err_is_terminal;
}

std::string styled(const Env& env, Style style, std::string_view text) {
  if (!env.colour) return std::string(text);
  const char* code = "";
  switch (style) {
    case Style::error: code = "1;31"; break;
    case Style::warning: code = "1;33"; break;
    case Style::help: code = "1;36"; break;
    case Style::status: code = "1;32"; break;
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void print_status(const Env& env, std::string_view verb, std::string_view rest) {
  if (env.verbosity == Verbosity::quiet) return;
  *env.err << styled(env, Style::status, fmt::format("{:>12}", verb)) << " " << rest << "\n" << std::flush;
}

}  // namespace wasibuild::driver
