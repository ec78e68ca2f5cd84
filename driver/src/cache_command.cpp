// `wasibuild cache dir | info | clean`: the compiled-code cache.
#include <fmt/format.h>

#include "command.hpp"
#include "commands.hpp"
#include "paths.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace {

class CacheCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_subcommand("dir", "Print the cache directory")->callback([this] { action_ = Action::dir; });
    app.add_subcommand("info", "Print the number and size of cached modules")->callback([this] {
      action_ = Action::info;
    });
    app.add_subcommand("clean", "Remove every cached module")->callback([this] { action_ = Action::clean; });
    app.require_subcommand(1);
  }

  int run(Env& env) override {
    const runner::CacheOptions cache = module_cache(env);
    switch (action_) {
      case Action::dir: *env.out << cache.directory.string() << "\n"; break;
      case Action::info: {
        const auto usage = runner::cache_usage(cache);
        *env.out << fmt::format("{}: {} modules, {} (limit {})\n", cache.directory.string(), usage.entries,
                                base::size_text(usage.bytes), base::size_text(cache.max_bytes));
        break;
      }
      case Action::clean: {
        const auto removed = runner::clean_cache(cache);
        *env.out << fmt::format("removed {} modules ({}) from {}\n", removed.entries, base::size_text(removed.bytes),
                                cache.directory.string());
        break;
      }
    }
    return 0;
  }

 private:
  enum class Action { dir, info, clean };
  Action action_ = Action::dir;
};

}  // namespace

std::unique_ptr<Command> make_cache_command() { return std::make_unique<CacheCommand>(); }

}  // namespace wasibuild::driver
