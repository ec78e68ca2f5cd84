#include "sandbox_flags.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <set>
#include <poll.h>
#include <unistd.h>

#include "command.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad_flag(std::string_view flag, std::string_view value, std::string problem,
                           std::string example) {
  throw Failure{fmt::format("{} '{}': {}", flag, capped(value), problem), {std::move(example)}, kExitRunnerError};
}

runner::DirectoryGrant parse_grant(std::string_view flag, const std::string& spec, runner::Access access,
                                   const Env& env) {
  const auto separator = spec.find("::");
  const std::string host = spec.substr(0, separator);
  std::string guest = separator == std::string::npos ? host : spec.substr(separator + 2);
  if (host.empty() || guest.empty()) {
    bad_flag(flag, spec, "expected HOST or HOST::GUEST", fmt::format("for example: {} ./data::/data", flag));
  }
  return {fs::path(env.working_directory) / host, std::move(guest), access};
}

void set_variable(runner::Policy& policy, const std::string& name, const std::string& value) {
  std::erase_if(policy.environment, [&](const auto& pair) { return pair.first == name; });
  policy.environment.emplace_back(name, value);
}

// `--env-names-from VAR` copies the host variables named, comma-separated, in
// VAR. CTest's ENVIRONMENT test property sets variables on the emulator's
// process, not the guest's; the toolchain file lists their names in
// WASIBUILD_GUEST_ENV so exactly those reach the guest, and nothing else.
void add_listed_variables(runner::Policy& policy, const SandboxFlags& flags, const Env& env) {
  if (flags.env_names_from.empty()) return;
  const std::string list = env.get(flags.env_names_from).value_or("");
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    if (!name.empty()) {
      if (auto value = env.get(name)) set_variable(policy, name, *value);
    }
    start = comma + 1;
  }
}

// FNV-1a: a snapshot only has to tell a changed value from the same one.
std::uint64_t value_hash(std::string_view value) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : value) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

std::string snapshot_line(std::string_view name, std::string_view value) {
  return fmt::format("{}={:016x}", name, value_hash(value));
}

// `--env-changed-since VAR`: a test's own script (CMake's `-E env`, a
// Python runner's os.environ) sets variables for the program it starts, as
// gflags's and many projects' tests do. Those reach the guest; what the
// user's environment held when the harness started does not, unless CTest's
// ENVIRONMENT names it (--env-names-from). The script runs natively with
// the user's authority anyway: the guest gains nothing it could not have
// been handed on the command line. wasibuild's own variables stay out.
void add_changed_variables(runner::Policy& policy, const SandboxFlags& flags, const Env& env) {
  if (flags.env_changed_since.empty()) return;
  const auto snapshot = env.get(flags.env_changed_since);
  if (!snapshot) return;
  std::set<std::string, std::less<>> unchanged;
  std::size_t start = 0;
  while (start < snapshot->size()) {
    const std::size_t end = std::min(snapshot->find('\n', start), snapshot->size());
    unchanged.emplace(snapshot->substr(start, end - start));
    start = end + 1;
  }
  for (const auto& [name, value] : env.variables) {
    if (name.starts_with("WASIBUILD_") || unchanged.contains(snapshot_line(name, value))) continue;
    set_variable(policy, name, value);
  }
}

// `--env-file FILE`, as docker's: NAME=VALUE a line (the value verbatim),
// NAME alone copies the host's value (left unset if it has none), blank
// lines and # comments are skipped. A line that is none of these stops the
// run, naming the file and line.
void add_variables_from_file(runner::Policy& policy, const std::string& file, const Env& env) {
  const fs::path path = fs::path(env.working_directory) / file;
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    bad_flag("--env-file", file, fs::exists(path, error) ? "not a regular file" : "no such file",
             "for example: --env-file ./guest.env");
  }
  std::ifstream in(path);
  if (!in) bad_flag("--env-file", file, std::strerror(errno), "for example: --env-file ./guest.env");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.ends_with('\r')) line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto equals = line.find('=');
    const std::string name = line.substr(0, equals);
    if (name.empty() || name.find_first_of(" \t") != std::string::npos) {
      throw Failure{fmt::format("{}:{}: expected NAME=VALUE or NAME, not '{}'", path.string(), number, capped(line)),
                    {"a line each: NAME=VALUE, NAME (copied from the host), or # a comment"},
                    kExitRunnerError};
    }
    const std::optional<std::string> value =
        equals == std::string::npos ? env.get(name) : std::optional(line.substr(equals + 1));
    if (value) set_variable(policy, name, *value);
  }
}

void add_environment(runner::Policy& policy, const SandboxFlags& flags, const Env& env) {
  if (flags.inherit_env) {
    for (const auto& [name, value] : env.variables) policy.environment.emplace_back(name, value);
  }
  for (const std::string& file : flags.env_files) add_variables_from_file(policy, file, env);
  for (const std::string& spec : flags.env) {
    const auto equals = spec.find('=');
    const std::string name = spec.substr(0, equals);
    if (name.empty()) bad_flag("--env", spec, "the variable has no name", "for example: --env LANG=C or --env HOME");
    // Like `docker -e NAME`: a variable the host does not have is left unset.
    std::optional<std::string> value =
        equals == std::string::npos ? env.get(name) : std::optional(spec.substr(equals + 1));
    if (!value) continue;
    set_variable(policy, name, *value);
  }
  add_listed_variables(policy, flags, env);
  add_changed_variables(policy, flags, env);
}

// `--host-cwd`: the working directory's grant once more, under its host
// path, added last so that wasi-libc, which picks the longest matching
// preopen and the latest of equal ones, prefers it to a read-only grant of
// the same tree. PWD names it; the toolchain file's support code chdir()s
// there before main (cmake-modules/support/cwd.c). No new authority: the
// same directory with the same access.
void add_host_cwd(runner::Policy& policy, const Env& env) {
  const auto dot = std::find_if(policy.directories.rbegin(), policy.directories.rend(),
                                [](const runner::DirectoryGrant& grant) { return grant.guest == "."; });
  if (dot == policy.directories.rend()) {
    throw Failure{"--host-cwd: no directory is granted as `.`", {"for example: --dir-build .::. --host-cwd"},
                  kExitRunnerError};
  }
  const std::string host = fs::path(env.working_directory).lexically_normal().string();
  runner::DirectoryGrant grant = *dot;
  grant.guest = host;
  policy.directories.push_back(std::move(grant));
  set_variable(policy, "PWD", host);
}

}  // namespace

std::string environment_snapshot(const Env& env) {
  std::string snapshot;
  for (const auto& [name, value] : env.variables) {
    if (name.find('\n') != std::string::npos) continue;
    snapshot += snapshot_line(name, value);
    snapshot += '\n';
  }
  return snapshot;
}

void bind_sandbox_flags(CLI::App& app, SandboxFlags& flags) {
  for (const SandboxFlagSpec& spec : sandbox_flag_table()) {
    const char* group = spec.is_limit ? "Limits" : "Capabilities (none by default)";
    std::visit(
        [&](auto member) {
          auto& target = flags.*member;
          using Target = std::remove_reference_t<decltype(target)>;
          if constexpr (std::is_same_v<Target, bool>) {
            app.add_flag(spec.flag, target, spec.help)->group(group);
          } else if constexpr (std::is_same_v<Target, std::string>) {
            app.add_option(spec.flag, target, spec.help)
                ->type_name(spec.type_name)
                ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
                ->group(group);
          } else {
            // One value each time: `run --dir . ARG` keeps ARG for the program.
            app.add_option(spec.flag, target, spec.help)
                ->allow_extra_args(false)
                ->type_name(spec.type_name)
                ->group(group);
          }
        },
        spec.field);
  }
}

// The network grants, each flag's HOST:PORT checked here (bad_flag names
// the flag and the problem); --trace-denials prints each refusal.
runner::NetworkPolicy network_from(const SandboxFlags& flags) {
  runner::NetworkPolicy network;
  const std::pair<const char*, const std::vector<std::string>*> kinds[] = {
      {"--allow-tcp-connect", &flags.tcp_connect}, {"--allow-tcp-listen", &flags.tcp_listen}, {"--allow-udp", &flags.udp}};
  const runner::NetworkUse uses[] = {runner::NetworkUse::tcp_connect, runner::NetworkUse::tcp_listen,
                                     runner::NetworkUse::udp};
  for (std::size_t kind = 0; kind < std::size(kinds); ++kind) {
    for (const std::string& text : *kinds[kind].second) {
      auto parsed = runner::parse_network_grant(uses[kind], text);
      if (auto* problem = std::get_if<std::string>(&parsed)) {
        bad_flag(kinds[kind].first, text, *problem, "for example: " + std::string(kinds[kind].first) + " 127.0.0.1:8080");
      }
      auto& grants = std::get<std::vector<runner::NetworkGrant>>(parsed);
      network.grants.insert(network.grants.end(), grants.begin(), grants.end());
    }
  }
  network.name_lookup = flags.allow_dns;
  if (flags.trace_denials) {
    // Straight to the process's stderr, a whole line in one write: the
    // engine may call it from any of its threads, mid-run.
    network.on_denial = [](const runner::Denial& denial) {
      std::string line = fmt::format("wasibuild: denied: {} {}", denial.action, denial.address);
      if (!denial.grant.empty()) line += fmt::format(" (grant it with {})", denial.grant);
      line += '\n';
      (void)!::write(STDERR_FILENO, line.data(), line.size());
    };
  }
  return network;
}

runner::Policy policy_from(const SandboxFlags& flags, const Env& env) {
  runner::Policy policy;
  for (const auto& spec : flags.dirs) {
    // The user's own directory: links the guest makes there may point
    // anywhere, as a native program's would.
    runner::DirectoryGrant grant = parse_grant("--dir", spec, runner::Access::read_write, env);
    grant.guest_links = runner::GuestLinks::anywhere;
    policy.directories.push_back(std::move(grant));
  }
  for (const auto& spec : flags.read_only_dirs) {
    policy.directories.push_back(parse_grant("--dir-ro", spec, runner::Access::read_only, env));
  }
  for (const auto& spec : flags.build_dirs) {
    runner::DirectoryGrant grant = parse_grant("--dir-build", spec, runner::Access::read_write, env);
    grant.guard = runner::Guard::build_files;
    policy.directories.push_back(std::move(grant));
  }
  if (!flags.build_root.empty()) {
    policy.build_graph = runner::BuildGraph{fs::path(env.working_directory) / flags.build_root,
                                            env.get("PATH").value_or("")};
  }
  add_environment(policy, flags, env);
  if (flags.host_cwd) add_host_cwd(policy, env);  // its PWD wins over an inherited one
  if (flags.private_tmp) policy.private_tmp_in = env.get("TMPDIR").value_or("/tmp");
  policy.network = network_from(flags);
  return policy;
}

// Each thread is a host thread with a stack reservation of the wasm stack
// budget: past a thousand, a mistyped cap would exhaust the address space
// before the guest did anything useful.
constexpr std::uint32_t kMostThreads = 1024;

runner::Limits limits_from(const SandboxFlags& flags) {
  runner::Limits limits;
  if (!flags.max_memory.empty()) {
    limits.max_memory_bytes = base::parse_size(flags.max_memory);
    if (!limits.max_memory_bytes) {
      bad_flag("--max-memory", flags.max_memory, "not a size", "for example: --max-memory 64MiB");
    }
  }
  if (!flags.max_wasm_stack.empty()) {
    constexpr std::uint64_t kMin = std::uint64_t{64} << 10;
    constexpr std::uint64_t kMax = std::uint64_t{1} << 30;
    const auto size = base::parse_size(flags.max_wasm_stack);
    if (!size || *size < kMin || *size > kMax) {
      bad_flag("--max-wasm-stack", flags.max_wasm_stack, "not a size from 64KiB to 1GiB",
               "for example: --max-wasm-stack 64MiB");
    }
    limits.max_wasm_stack_bytes = *size;
  }
  if (!flags.timeout.empty()) {
    limits.timeout = base::parse_duration(flags.timeout);
    if (!limits.timeout || limits.timeout->count() == 0) {
      bad_flag("--timeout", flags.timeout, "not a positive duration", "for example: --timeout 250ms or --timeout 2s");
    }
  }
  if (!flags.fuel.empty()) {
    std::uint64_t fuel = 0;
    const auto* end = flags.fuel.data() + flags.fuel.size();
    const auto [stop, error] = std::from_chars(flags.fuel.data(), end, fuel);
    if (error != std::errc() || stop != end) {
      bad_flag("--fuel", flags.fuel, "not a whole number", "for example: --fuel 1000000");
    }
    limits.fuel = fuel;
  }
  if (!flags.max_threads.empty()) {
    std::uint32_t threads = 0;
    const auto* end = flags.max_threads.data() + flags.max_threads.size();
    const auto [stop, error] = std::from_chars(flags.max_threads.data(), end, threads);
    if (error != std::errc() || stop != end || threads > kMostThreads) {
      bad_flag("--max-threads", flags.max_threads, fmt::format("not a whole number up to {}", kMostThreads),
               "for example: --max-threads 8");
    }
    limits.max_threads = threads;
  }
  return limits;
}

int run_guest(const runner::Program& program, const runner::Policy& policy, const runner::Limits& limits,
              const std::optional<runner::CacheOptions>& cache, Env& env) {
  bool reported = false;
  const auto report = [&](const runner::Outcome& outcome) {
    *env.err << runner::describe(outcome) << std::flush;
    reported = true;
  };
  // Core modules have no sockets (preview 1 has none to grant): say so
  // rather than let a grant look as if it did something.
  if (!policy.network.empty() && !runner::is_component_file(program.module, program.follow_links)) {
    *env.err << fmt::format("wasibuild: warning: {}: network grants apply to components (wasm32-wasip2) only; this "
                            "core module has no sockets\n",
                            program.module.string());
  }
  // The guest writes to the process's stdout: flush what we buffered first.
  env.out->flush();
  // Landlock confines the whole process: only one that ends with the guest.
  runner::Policy confined = policy;
  confined.confine_process = env.owns_process;
  // The guest's output is already written: Wasmtime's WASI flushes each
  // write to the descriptor. Flush ours and end.
  const auto end_process = [&env](const runner::Outcome& done) {
    env.out->flush();
    env.err->flush();
    std::fflush(nullptr);
    ::_exit(runner::exit_status(done));
  };
  const auto finished = [&](const runner::Outcome& done) {
    report(done);
    if (env.owns_process) end_process(done);
  };
  // A guest blocked in a host call past its deadline cannot be unwound:
  // a process of its own ends, reporting the timeout (exit 124). In-process
  // callers (tests) wait for the call to return instead.
  runner::Stuck stuck;
  if (env.owns_process) {
    stuck = [&](const runner::Outcome& timed_out) {
      // The guest may be the one blocked, writing to a full stderr pipe:
      // the report is written only if stderr takes it soon, and the process
      // ends either way, without flushing what could block again.
      pollfd err{STDERR_FILENO, POLLOUT, 0};
      if (::poll(&err, 1, 100) == 1 && (err.revents & POLLOUT) != 0) *env.err << runner::describe(timed_out) << std::flush;
      ::_exit(runner::exit_status(timed_out));
    };
  }
  const runner::Outcome outcome = runner::run(program, confined, limits, cache, finished, stuck);
  if (!reported) report(outcome);
  return runner::exit_status(outcome);
}

}  // namespace wasibuild::driver
