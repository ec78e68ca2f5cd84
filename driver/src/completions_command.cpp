// `wasibuild completions bash|zsh|fish`: a completion script, generated from
// the same command table and flag definitions the parser uses, so it never
// falls behind a new command or flag (install: see `--help`).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "command.hpp"
#include "commands.hpp"

namespace wasibuild::driver {

namespace {

// One command path ("", "build", "toolchain install") and what may follow it.
struct Completions {
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, summary
  std::vector<std::pair<std::string, std::string>> flags;        // --long, description
};

void collect(const CLI::App& app, const std::string& path, std::map<std::string, Completions>& out) {
  Completions& here = out[path];
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) here.flags.emplace_back("--" + name, option->get_description());
  }
  for (const CLI::App* sub : app.get_subcommands({})) {
    here.subcommands.emplace_back(sub->get_name(), sub->get_description());
    collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
  }
}

// Every command with its flags, set up as for parsing.
std::map<std::string, Completions> all_completions() {
  CLI::App app("wasibuild", "wasibuild");
  app.set_version_flag("-V,--version", "");
  std::vector<std::unique_ptr<Command>> commands;
  for (const CommandEntry& entry : command_table()) {
    commands.push_back(entry.make());
    commands.back()->setup(*app.add_subcommand(entry.name, entry.summary));
  }
  app.add_subcommand("help", "Print the help of wasibuild or of a command");
  std::map<std::string, Completions> out;
  collect(app, "", out);
  out["help"].subcommands = out[""].subcommands;  // `help COMMAND`
  return out;
}

std::string words_of(const Completions& completions) {
  std::string words;
  for (const auto& [name, summary] : completions.subcommands) words += name + " ";
  for (const auto& [flag, description] : completions.flags) words += flag + " ";
  if (!words.empty()) words.pop_back();
  return words;
}

// Bash: the words before the cursor that are not flags name the command
// path; trailing ones that are no known path (a flag's value, a file) are
// dropped until one is. Where no word matches, bash completes file names
// (-o default).
std::string bash_script(const std::map<std::string, Completions>& all) {
  std::string cases;
  for (const auto& [path, completions] : all) {
    cases += fmt::format("    '{}') words='{}' ;;\n", path, words_of(completions));
  }
  return fmt::format(R"(# wasibuild completions for bash (wasibuild completions bash)
_wasibuild() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} path=() i words=
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ ${{COMP_WORDS[i]}} == -* ]] || path+=("${{COMP_WORDS[i]}}")
  done
  while :; do
    case "${{path[*]}}" in
{}    *) if [ ${{#path[@]}} -gt 0 ]; then unset 'path[${{#path[@]}}-1]'; continue; fi ;;
    esac
    break
  done
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _wasibuild wasibuild
)",
                     cases);
}

// zsh runs the bash function through its bash-completion layer.
std::string zsh_script(const std::map<std::string, Completions>& all) {
  return "# wasibuild completions for zsh (wasibuild completions zsh)\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_script(all);
}

std::string fish_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("\\'") : std::string(1, c);
  return quoted + "'";
}

// Fish: one `complete` line per command and flag, conditioned on the path.
std::string fish_script(const std::map<std::string, Completions>& all) {
  std::string script = "# wasibuild completions for fish (wasibuild completions fish)\ncomplete -c wasibuild -f\n";
  for (const auto& [path, completions] : all) {
    std::string condition = "__fish_use_subcommand";
    if (!path.empty()) {
      const std::string last = path.substr(path.rfind(' ') == std::string::npos ? 0 : path.rfind(' ') + 1);
      condition = "__fish_seen_subcommand_from " + last;
    }
    for (const auto& [name, summary] : completions.subcommands) {
      script += fmt::format("complete -c wasibuild -n {} -a {} -d {}\n", fish_quoted(condition), name,
                            fish_quoted(summary));
    }
    for (const auto& [flag, description] : completions.flags) {
      script += fmt::format("complete -c wasibuild -n {} -l {} -d {}\n", fish_quoted(condition), flag.substr(2),
                            fish_quoted(description));
    }
  }
  return script;
}

class CompletionsCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_option("shell", shell_, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
    app.footer(
        "Install:\n"
        "  bash  wasibuild completions bash > ~/.local/share/bash-completion/completions/wasibuild\n"
        "  zsh   wasibuild completions zsh > ~/.zfunc/wasibuild.zsh  (and source it from ~/.zshrc)\n"
        "  fish  wasibuild completions fish > ~/.config/fish/completions/wasibuild.fish");
  }

  int run(Env& env) override {
    const auto all = all_completions();
    if (shell_ == "bash") *env.out << bash_script(all);
    if (shell_ == "zsh") *env.out << zsh_script(all);
    if (shell_ == "fish") *env.out << fish_script(all);
    return 0;
  }

 private:
  std::string shell_;
};

}  // namespace

std::unique_ptr<Command> make_completions_command() { return std::make_unique<CompletionsCommand>(); }

}  // namespace wasibuild::driver
