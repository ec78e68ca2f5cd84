// Parse, then run; report errors in one place.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "command.hpp"
#include "terminal.hpp"
#include "wasibuild/files.hpp"
#include "wasibuild/runner.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace {

// Messages quote names and values from files and guests; none of them gets
// to print megabytes.
std::string capped(const std::string& text) { return base::capped(text, 2000); }

void report(const Env& env, const Failure& failure) {
  *env.err << "wasibuild: " << styled(env, Style::error, "error:") << " " << capped(failure.message) << "\n";
  for (const std::string& line : failure.help) *env.err << styled(env, Style::help, "help:") << " " << capped(line) << "\n";
  env.err->flush();
}

// For "The following argument was not expected: --relase": the flag of
// `app` closest to the first unexpected one that looks like a flag.
std::optional<std::string> mistyped_flag_help(const CLI::App& app, const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::ExtrasError*>(&error) == nullptr) return std::nullopt;
  const std::string message = error.what();
  const auto colon = message.find(": ");
  if (colon == std::string::npos) return std::nullopt;
  std::istringstream extras(message.substr(colon + 2));
  std::string token;
  while (extras >> token && !token.starts_with("--")) {
  }
  if (!token.starts_with("--")) return std::nullopt;
  token = token.substr(0, token.find('='));
  std::vector<std::string> flags;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) flags.push_back("--" + name);
  }
  return base::did_you_mean(token, flags);
}

// CLI11 prints help and errors to the streams it is given.
int report_parse_error(CLI::App& app, const CLI::ParseError& error, const Env& env, int usage_status) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(error, *env.out, *env.err);
  }
  const CLI::App* failing = &app;
  for (CLI::App* sub = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front(); sub != nullptr;
       sub = sub->get_subcommands().empty() ? nullptr : sub->get_subcommands().front()) {
    failing = sub;
  }
  std::string path = failing->get_name();
  for (const CLI::App* parent = failing->get_parent(); parent != nullptr; parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  Failure failure{error.what(), {}, usage_status};
  if (auto guess = mistyped_flag_help(*failing, error)) failure.help.push_back(*guess);
  failure.help.push_back(fmt::format("run '{} --help' to see the usage", path));
  report(env, failure);
  return usage_status;
}

// Does `token` name an option of `app` that takes a value ("--dir X")?
bool takes_value(const CLI::App& app, const std::string& token) {
  if (!token.starts_with("-") || token.find('=') != std::string::npos) return false;
  for (const CLI::Option* option : app.get_options()) {
    if (option->check_name(token)) return option->get_expected_min() > 0;  // flags expect 0
  }
  // A global option (--color WHEN) after the command falls through to it.
  return app.get_parent() != nullptr && takes_value(*app.get_parent(), token);
}

// For `exec`-like commands: cuts `[OPTIONS] FILE [--] [ARGS...]` after FILE,
// so the guest's arguments never meet CLI11. Returns the guest's arguments;
// `arguments` keeps everything up to and including FILE.
std::vector<std::string> split_guest_arguments(const CLI::App& sub, std::vector<std::string>& arguments,
                                               std::size_t first) {
  for (std::size_t i = first; i < arguments.size(); ++i) {
    const std::string& token = arguments[i];
    std::size_t file = arguments.size();
    if (token == "--") {
      file = i + 1;
    } else if (!token.starts_with("-") || token == "-") {
      file = i;
    } else if (takes_value(sub, token)) {
      ++i;
      continue;
    } else {
      continue;
    }
    if (file >= arguments.size()) break;
    std::size_t guest_start = file + 1;
    // `exec FILE -- ARGS`: a `--` right after FILE only separates.
    if (guest_start < arguments.size() && arguments[guest_start] == "--") ++guest_start;
    std::vector<std::string> guest(arguments.begin() + static_cast<std::ptrdiff_t>(guest_start), arguments.end());
    arguments.erase(arguments.begin() + static_cast<std::ptrdiff_t>(file + 1), arguments.end());
    if (token == "--") arguments.erase(arguments.begin() + static_cast<std::ptrdiff_t>(i));
    return guest;
  }
  return {};
}

Failure unknown_command(const std::string& word) {
  std::vector<std::string> names;
  for (const CommandEntry& entry : command_table()) names.emplace_back(entry.name);
  Failure failure{fmt::format("unknown command '{}'", word), {}, kExitUsage};
  if (auto guess = base::did_you_mean(word, names)) failure.help.push_back(*guess);
  failure.help.push_back("run 'wasibuild --help' to see the commands");
  return failure;
}

// The flags every command takes, before or after the command's name (as
// cargo's -q and -v): subcommands let what they do not know fall through.
struct GlobalFlags {
  bool quiet = false;
  bool verbose = false;
  std::string colour = "auto";

  void bind(CLI::App& app) {
    app.add_flag("-q,--quiet", quiet, "Say nothing but errors and warnings (a program's own output stays)");
    app.add_flag("-v,--verbose", verbose, "Show the commands wasibuild runs, and their full output");
    app.add_option("--color,--colour", colour, "Colour wasibuild's messages: auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->type_name("WHEN");
  }
  void apply(Env& env) const {
    env.verbosity = quiet ? Verbosity::quiet : verbose ? Verbosity::verbose : Verbosity::normal;
    env.colour = colour_wanted(colour, env);
  }
};

// --color's value as written, for errors found before parsing ends.
std::string colour_choice_in(const std::vector<std::string>& words) {
  std::string choice = "auto";
  for (auto word = words.begin(); word != words.end() && *word != "--"; ++word) {
    for (const std::string name : {"--color", "--colour"}) {
      if (*word == name && word + 1 != words.end()) choice = *(word + 1);
      if (word->starts_with(name + "=")) choice = word->substr(name.size() + 1);
    }
  }
  return choice;
}

void let_unknown_flags_fall_through(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_allow_extras()) continue;  // `binfmt run` keeps its extras
    sub->fallthrough();
    let_unknown_flags_fall_through(*sub);
  }
}

// `wasibuild --bogus build`: CLI11 would say only that a subcommand is
// required. Checks the words before the command against the global flags.
std::optional<Failure> unknown_global_option(const CLI::App& app, const std::vector<std::string>& words,
                                             std::vector<std::string>::const_iterator command) {
  for (auto word = words.begin(); word != command; ++word) {
    if (takes_value(app, *word)) {
      if (word + 1 != command) ++word;
      continue;
    }
    const std::string name = word->substr(0, word->find('='));
    bool known = false;
    for (const CLI::Option* option : app.get_options()) known = known || option->check_name(name);
    if (known) continue;
    std::vector<std::string> flags;
    for (const CLI::Option* option : app.get_options()) {
      for (const std::string& long_name : option->get_lnames()) flags.push_back("--" + long_name);
    }
    Failure failure{fmt::format("unknown option '{}'", name), {}, kExitUsage};
    if (auto guess = base::did_you_mean(name, flags)) failure.help.push_back(*guess);
    failure.help.push_back("options before the command are -q, -v, --color WHEN, -V and -h; run 'wasibuild --help'");
    return failure;
  }
  return std::nullopt;
}

}  // namespace

int run_command_line(const std::vector<std::string>& arguments, Env& env) {
  CLI::App app("wasibuild: build C and C++ to WebAssembly and run it sandboxed", "wasibuild");
  app.set_version_flag("-V,--version", fmt::format("wasibuild {} (Wasmtime {})", "0.1.0", runner::engine_version()));
  app.require_subcommand(1);
  GlobalFlags global;
  global.bind(app);
  app.footer("See 'wasibuild help COMMAND' for a command's options; shell completions: 'wasibuild completions "
             "bash|zsh|fish'.");

  // `wasibuild help [COMMAND...]` is `wasibuild [COMMAND...] --help`, as in
  // cargo and git.
  std::vector<std::string> words = arguments;
  env.colour = colour_wanted(colour_choice_in(words), env);  // for errors met while parsing
  if (!words.empty() && words.front() == "help") {
    words.erase(words.begin());
    words.emplace_back("--help");
  }
  // The first word that is not a top-level flag names the command.
  auto named = words.begin();
  while (named != words.end() && named->starts_with("-")) {
    named += takes_value(app, *named) && named + 1 != words.end() ? 2 : 1;  // --color WHEN
  }
  // When that word comes first (`wasibuild exec ...`, CTest's emulator
  // form), only that command's flags are set up: building every command's
  // options and validators was ~10 % of an `exec`'s start-up. Top-level
  // flags (`--help`, `--version`) describe all commands, so they get all.
  const bool only_named = named != words.end() && named == words.begin();
  std::vector<std::unique_ptr<Command>> commands;
  std::map<std::string, std::pair<Command*, CLI::App*>, std::less<>> by_name;
  Command* chosen = nullptr;
  for (const CommandEntry& entry : command_table()) {
    if (only_named && *named != entry.name) continue;
    commands.push_back(entry.make());
    Command* command = commands.back().get();
    CLI::App* sub = app.add_subcommand(entry.name, entry.summary);
    command->setup(*sub);
    by_name[entry.name] = {command, sub};
    // The callback only records the choice; the command runs after parsing.
    sub->parse_complete_callback([&chosen, command] { chosen = command; });
  }

  let_unknown_flags_fall_through(app);
  if (auto failure = unknown_global_option(app, words, named)) {
    report(env, *failure);
    return kExitUsage;
  }

  Command* named_command = nullptr;
  if (named != words.end()) {
    auto found = by_name.find(*named);
    if (found == by_name.end()) {
      report(env, unknown_command(*named));
      return kExitUsage;
    }
    {
      named_command = found->second.first;
      const auto first = static_cast<std::size_t>(named - words.begin()) + 1;
      if (named_command->runs_a_guest()) {
        named_command->set_guest_arguments(split_guest_arguments(*found->second.second, words, first));
      } else if (named_command->takes_trailing_arguments()) {
        const auto separator = std::find(words.begin() + static_cast<std::ptrdiff_t>(first), words.end(), "--");
        if (separator != words.end()) {
          named_command->set_trailing_arguments({separator + 1, words.end()});
          words.erase(separator, words.end());
        }
      }
    }
  }

  // CLI11 takes arguments in reverse order.
  std::vector<std::string> reversed(words.rbegin(), words.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    return report_parse_error(app, error, env, named_command != nullptr ? named_command->usage_status() : kExitUsage);
  }
  global.apply(env);
  if (global.quiet && global.verbose) {
    report(env, Failure{"-q (--quiet) and -v (--verbose) ask for opposite things; choose one", {}, kExitUsage});
    return kExitUsage;
  }
  try {
    return chosen->run(env);
  } catch (const Failure& failure) {
    report(env, failure);
    return failure.exit_status;
  } catch (const base::FileError& error) {
    // A host step met a file it will not touch (a link, a swapped file).
    report(env, Failure{error.what()});
    return kExitFailure;
  }
}

}  // namespace wasibuild::driver
