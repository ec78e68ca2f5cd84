// `wasibuild doctor`: what wasibuild will use here, what is missing, and how
// to fix it. Exit 0 when everything needed is present, 1 otherwise.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "command.hpp"
#include "commands.hpp"
#include "paths.hpp"
#include "project_build.hpp"
#include "toolchains.hpp"
#include "wasm_opt.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

namespace {

// Which of a toolchain's targets the embedded runner runs: a toolchain may
// build what `run` and `test` cannot start yet (components, threads).
std::string runnable_targets(const std::vector<std::string>& targets) {
  std::vector<std::string> runs;
  std::vector<std::string> not_yet;
  for (const std::string& target : targets) {
    const std::string why = runner::why_target_cannot_run(target);
    if (why.empty()) runs.push_back(target);
    else not_yet.push_back(fmt::format("{} ({})", target, why));
  }
  std::string text = fmt::format("          runs here: {}", runs.empty() ? "none" : fmt::format("{}", fmt::join(runs, ", ")));
  if (!not_yet.empty()) text += fmt::format("; builds, but does not run here yet: {}", fmt::join(not_yet, ", "));
  return text + "\n";
}

// Debian 12's packages have no threads sysroot (its wasi-libc is the
// 2022 single-threaded one): the toolchains that have one.
constexpr const char* kNoThreadsHint =
    "          threads (std::thread, pthread_create) need a toolchain with wasm32-wasip1-threads: a WASI SDK "
    "(wasibuild toolchain install) or scripts/setup.sh's debian-llvm23\n";

class DoctorCommand final : public Command {
 public:
  void setup(CLI::App&) override {}

  int run(Env& env) override {
    int problems = 0;
    const auto line = [&](bool ok, const std::string& what, const std::string& remedy = {}) {
      *env.out << fmt::format("  {:<8}{}\n", ok ? "ok" : "missing", what);
      if (!ok && !remedy.empty()) *env.out << fmt::format("          fix: {}\n", remedy);
    };
    *env.out << fmt::format("wasibuild 0.1.0 (Wasmtime {})\n", runner::engine_version());

    const auto missing = [&](const Failure& failure) {
      ++problems;
      line(false, failure.message, failure.help.empty() ? std::string() : failure.help.front());
      for (std::size_t i = 1; i < failure.help.size(); ++i) *env.out << fmt::format("          {}\n", failure.help[i]);
    };
    // A wasibuild.toml that does not load is one problem among the others.
    std::optional<tc::Result<tc::Resolution>> attempt;
    try {
      attempt.emplace(resolve_toolchain(env, std::nullopt));
    } catch (const Failure& failure) {
      missing(failure);
    }
    if (!attempt) {
      // reported above
    } else if (auto& resolved = *attempt; resolved && resolved.value().toolchain) {
      const tc::Toolchain& toolchain = *resolved.value().toolchain;
      line(true, fmt::format("toolchain {} ({}), clang {}", toolchain.name,
                             tc::rule_description(resolved.value().rule), toolchain.version));
      const auto& caps = toolchain.capabilities;
      std::string targets;
      for (const auto& target : caps.targets) targets += (targets.empty() ? "" : ", ") + target;
      *env.out << fmt::format("          targets {}; C++ exceptions {}, <filesystem> {}, threads {}, setjmp {}\n",
                              targets, caps.exceptions ? "yes" : "no", caps.filesystem ? "yes" : "no",
                              caps.threads ? "yes" : "no", caps.setjmp ? "yes" : "no");
      *env.out << runnable_targets(caps.targets);
      if (!caps.threads) *env.out << kNoThreadsHint;
    } else if (!resolved) {
      // A choice that names what is not there (a removed default): the
      // fixes are the resolver's, the system toolchain among them.
      missing(failure_of(resolved.error()));
    } else {
      ++problems;
      line(false, "a WASI toolchain", "wasibuild toolchain install, or apt-get install clang-19 lld-19 wasi-libc "
                                      "libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32");
    }
    for (const char* tool : {"cmake", "ninja"}) {
      const auto found = find_on_path(env, tool);
      if (!found) ++problems;
      line(found.has_value(), found ? fmt::format("{} ({})", tool, found->string()) : std::string(tool),
           fmt::format("apt-get install {}", std::string(tool) == "ninja" ? "ninja-build" : tool));
    }
    const auto ccache = find_on_path(env, "ccache");
    *env.out << fmt::format("  {:<8}{} (optional: [build] launcher = \"ccache\")\n", ccache ? "ok" : "absent",
                            ccache ? fmt::format("ccache ({})", ccache->string()) : "ccache");
    // WASIBUILD_WASM_OPT or PATH, as `build` finds it.
    const auto wasm_opt = find_wasm_opt(env);
    const auto version = wasm_opt ? wasm_opt_version(*wasm_opt) : std::nullopt;
    *env.out << fmt::format("  {:<8}{} (optional: release post-processing{})\n",
                            !wasm_opt ? "absent" : version ? "ok" : "broken",
                            !wasm_opt  ? std::string("wasm-opt")
                            : version ? fmt::format("wasm-opt {} ({})", *version, wasm_opt->string())
                                      : fmt::format("wasm-opt ({} does not run)", wasm_opt->string()),
                            wasm_opt && version ? "" : "; apt-get install binaryen");
    // `toolchain install binaryen`: setjmp/longjmp for a toolchain without
    // them (docs/setjmp.md). Its wasm-opt is a node script.
    const bool needs_binaryen = attempt && *attempt && attempt->value().toolchain &&
                                !attempt->value().toolchain->capabilities.setjmp;
    if (const auto binaryen = installed_wasm_opt(env)) {
      const auto node = find_on_path(env, "node");
      if (!node) ++problems;
      line(node.has_value(),
           node ? fmt::format("binaryen for setjmp/longjmp ({}), run by node ({})", binaryen->string(), node->string())
                : fmt::format("node, which runs the installed binaryen's wasm-opt ({})", binaryen->string()),
           "apt-get install nodejs");
    } else if (needs_binaryen) {
      *env.out << fmt::format("  {:<8}binaryen for setjmp/longjmp (the toolchain has none; projects that include "
                              "<setjmp.h> need: wasibuild toolchain install binaryen)\n", "absent");
    }
    const bool has_file = fs::exists(toolchain_file(env));
    if (!has_file) ++problems;
    line(has_file, fmt::format("CMake toolchain file {}", toolchain_file(env).string()), "reinstall wasibuild");
    // Tests guard their working directory (exec --dir-build) in a private
    // mount namespace; where none is allowed, they fail until told otherwise.
    const auto no_guard = runner::build_guard_unavailable();
    if (no_guard) ++problems;
    line(!no_guard,
         no_guard ? fmt::format("test sandbox: no private mount namespace ({})", *no_guard)
                  : std::string("test sandbox: private mount namespaces (tests cannot rewrite build files)"),
         "allow namespaces (e.g. docker --security-opt seccomp=unconfined), or configure with "
         "-DWASIBUILD_TEST_CWD=writable");
    // exec's second wall (docs/security.md); optional: the runner's grants hold without it.
    const int landlock = runner::landlock_version();
    *env.out << fmt::format(
        "  {:<8}{}\n", landlock > 0 ? "ok" : "absent",
        landlock > 0 ? fmt::format("kernel confinement: Landlock ABI {} (exec confines itself to its grants{})", landlock,
                                   landlock >= 4 ? ", TCP only on granted ports" : "")
                     : std::string("kernel confinement: this kernel has no Landlock; the runner's grants still hold, "
                                   "without the kernel as a second wall"));
    const Directories dirs = directories(env);
    const auto usage = runner::cache_usage(module_cache(env));
    *env.out << fmt::format("  {:<8}data {}\n  {:<8}cache {} ({} compiled modules)\n  {:<8}config {}\n", "info",
                            dirs.data.string(), "info", dirs.cache.string(), usage.entries, "info",
                            dirs.config.string());
    *env.out << (problems == 0 ? "everything wasibuild needs is here\n"
                               : fmt::format("{} problem{}: see the fixes above\n", problems, problems == 1 ? "" : "s"));
    return problems == 0 ? 0 : 1;
  }
};

}  // namespace

std::unique_ptr<Command> make_doctor_command() { return std::make_unique<DoctorCommand>(); }

}  // namespace wasibuild::driver
