// The embedded WebAssembly runner: runs a WASI preview1 command module in
// Wasmtime (Cranelift JIT) with exactly the authority it was granted.
//
// The runner knows nothing about CMake or toolchains. It never prints: every
// result comes back as a value, and `describe()` / `exit_status()` turn it into
// the documented stderr text and process exit code (docs/exit-status.md).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "wasibuild/network_grant.hpp"

namespace wasibuild::runner {

// ---- What the guest may touch (deny by default) ---------------------------

enum class Access { read_only, read_write };

// Whether the guest may create symbolic links in the directory. contained:
// no (tests' build directories, the private /tmp), so no link a guest made
// can point out of its grant for a later tool to follow; enforced with
// Landlock where the kernel has it (docs/security.md). anywhere: the user's
// own `--dir`, as a native program would have it.
enum class GuestLinks { contained, anywhere };

// What stays read-only inside a read-write grant. build_files (a test's
// build directory, `--dir-build`): what the build graph reads or produces,
// build scripts, CMake and CTest state, executables; the guest may still
// write its own files there. Kept read-only in a private mount namespace of
// the process (docs/testing.md); where the system allows none, the run
// fails rather than grant more.
enum class Guard { none, build_files };

struct DirectoryGrant {
  std::filesystem::path host;  // must be an existing directory
  std::string guest;           // the name the guest opens it by
  Access access = Access::read_write;
  GuestLinks guest_links = GuestLinks::contained;
  Guard guard = Guard::none;
};

// The top of a Ninja build tree, as the toolchain file names it, never as
// found near a grant (a guest can write a build.ninja there): every file its
// build graph reads or produces stays read-only in build_files grants.
struct BuildGraph {
  std::filesystem::path root;
  std::string search_path;  // the PATH where `ninja` is looked for
};

// ---- What the guest may reach on the network (components only) ----------
//
// Preview-1 modules have no sockets at all; a component (wasm32-wasip2)
// gets none unless a grant names the address. Each grant is checked by the
// engine at every bind, listen, accept, connect, send and receive.

using base::NetworkGrant;
using base::NetworkUse;
using base::parse_network_grant;

// A socket call the grants refused, as `--trace-denials` reports it.
struct Denial {
  std::string action;   // "tcp connect", "tcp bind", "tcp listen", "tcp accept", "udp bind", "udp send", "udp receive"
  std::string address;  // "127.0.0.1:8080", "[::1]:53"
  std::string grant;    // the flag that would allow it, "--allow-tcp-connect 127.0.0.1:8080"; empty for a dropped peer
};

struct NetworkPolicy {
  std::vector<NetworkGrant> grants;
  bool name_lookup = false;  // --allow-dns: resolve names (through the host's resolver)
  // Called for each refused socket address, on whichever thread the guest's
  // call runs; may be empty. The runner never prints (the driver does).
  // The engine's background tasks (an accept or receive loop) may call it
  // briefly after run() returns: it must capture nothing that dies with the
  // run() call. Set, it also makes every kind of socket creatable, so that
  // each refusal has an address to report (the grants still decide).
  std::function<void(const Denial&)> on_denial = {};

  [[nodiscard]] bool empty() const { return grants.empty() && !name_lookup; }
};

// An empty policy grants argv, stdio, clocks and random numbers, nothing else.
struct Policy {
  std::vector<DirectoryGrant> directories;
  std::vector<std::pair<std::string, std::string>> environment;
  // Once set up, confine the whole process to `directories` with Landlock,
  // where the kernel has it (docs/security.md). Only for a process that
  // does nothing else afterwards, as `exec` and `run` are.
  bool confine_process = true;
  std::optional<BuildGraph> build_graph = {};  // for the build_files grants
  // A fresh, empty directory made in this host directory and granted
  // read-write as the guest's /tmp, removed with everything in it once the
  // run ends, however the process ends (`--private-tmp`).
  std::optional<std::filesystem::path> private_tmp_in = {};
  NetworkPolicy network = {};  // components only: preview-1 modules have no sockets
};

// Wasmtime's own default (512 KiB) is far below the 8 MiB native stack
// that deeply recursive tests expect, and below the toolchain file's 8 MiB
// linear-memory stack: the runner's default matches those.
inline constexpr std::uint64_t kDefaultMaxWasmStack = std::uint64_t{8} << 20;
// Each thread costs a store, an instance and a host thread whose stack
// reserves the wasm stack budget (reserved, not committed): 64 threads
// reserve under 1 GiB of address space with the default budget.
inline constexpr std::uint32_t kDefaultMaxThreads = 64;

struct Limits {
  std::optional<std::uint64_t> max_memory_bytes;    // all memories and tables together
  std::uint64_t max_wasm_stack_bytes = kDefaultMaxWasmStack;  // native stack for wasm frames
  std::optional<std::chrono::milliseconds> timeout;  // wall clock
  std::optional<std::uint64_t> fuel;                 // deterministic budget
  // Threads a wasm32-wasip1-threads module may run at once besides its
  // main one; thread-spawn fails past it (pthread_create: EAGAIN).
  std::uint32_t max_threads = kDefaultMaxThreads;
};

// ---- Compiled-code cache ---------------------------------------------------

struct CacheOptions {
  std::filesystem::path directory;
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
};

struct CacheUsage {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

// ---- Running ----------------------------------------------------------------

struct Program {
  std::filesystem::path module;         // .wasm, .wat, or .cwasm
  std::vector<std::string> arguments;   // argv[1..] of the guest
  bool allow_precompiled = false;       // a .cwasm is native code: opt in
  bool follow_links = true;             // false: a symlink as the module's last component is refused
  std::optional<std::string> argv0 = std::nullopt;  // the guest's argv[0]; default: the file name without .wasm/.cwasm
};

// Why a run could not start or finish, with the data its message needs.
struct Error {
  enum class Kind {
    unreadable_file,         // detail: the OS error
    empty_file,
    not_webassembly,         // neither a wasm binary, text, nor a .cwasm
    invalid_module,          // detail: the validator's reason and offset
    precompiled_not_allowed,
    incompatible_precompiled,  // detail: why Wasmtime refused the artifact
    not_a_command,           // no `_start` export
    instantiation_failed,    // detail: e.g. the unknown import
    memory_limit_too_small,  // detail: the declared minimum and the cap; help: the --max-memory it needs
    native_program,          // an ELF file that is not a Wasmtime .cwasm
    component,               // a WebAssembly component (wasm32-wasip2/p3), not a core module
    needs_threads,           // detail: why it needs wasi-threads, "imports wasi::thread-spawn" (wasm32-wasip1-threads)
    bad_grant,               // detail: the host path and the OS error
    confinement_failed,      // detail: the Landlock step and the OS error
    build_guard_failed,      // file: the build_files grant; detail: why its files cannot stay read-only
    private_tmp_failed,      // file: the directory; detail: the step and the OS error
    output_failure,          // detail: the output path and the OS error
  };
  Kind kind;
  std::filesystem::path file;
  std::string detail;
  std::vector<std::string> help = {};  // remedies, printed as "help: " lines

  [[nodiscard]] std::string message() const;
};

struct Exited { int code; };
struct Trapped {
  std::filesystem::path file;
  std::string reason;     // e.g. "wasm trap: integer divide by zero"
  std::string backtrace;  // symbolized frames, one per line
  std::optional<std::uint64_t> exhausted_stack_bytes;  // set when the trap is a call-stack overflow
  bool after_partial_line = false;  // the guest's stderr ended mid-line: describe() starts a new one
};
struct TimedOut {
  std::filesystem::path file;
  std::chrono::milliseconds limit;
  bool after_partial_line = false;
};

using Outcome = std::variant<Exited, Trapped, TimedOut, Error>;

// Runs `program` to completion. Guest stdio is the process's own stdio.
// With a timeout, a guest blocked in a host call (sleep, a stdin read) cannot
// be interrupted by Wasmtime. If it is still running a short grace period
// after the deadline, `stuck` is called on the deadline's own thread with
// the TimedOut outcome: a caller that owns its process (`exec`) reports it
// and ends the process there, with status 124. The runner itself never
// prints or exits; without `stuck` (or if it returns), run() waits for the
// host call to return, and the guest stops at its next wasm instruction.
//
// `finished`, when given, is called with the outcome once the guest has run,
// while the engine, module and store still exist: a caller that owns its
// process (`exec`) may report and end the process there, leaving their
// teardown (unmapping the memory reservations and code) to the kernel. The
// private /tmp is removed before it is called.
using Finished = std::function<void(const Outcome&)>;
using Stuck = std::function<void(const Outcome&)>;
[[nodiscard]] Outcome run(const Program& program, const Policy& policy, const Limits& limits,
                          const std::optional<CacheOptions>& cache, const Finished& finished = {},
                          const Stuck& stuck = {});

// The process exit status for an outcome, as documented in docs/exit-status.md:
// the guest's code, 134 for a trap, 124 for a timeout, 125 for a runner error.
[[nodiscard]] int exit_status(const Outcome& outcome);

// What to print on stderr for an outcome: whole lines, the first starting
// with "wasibuild: error: ", then an error's "help: " lines; or "" for a
// guest that exited.
[[nodiscard]] std::string describe(const Outcome& outcome);

// What a `.cwasm` supports beyond the default engine: --timeout needs
// epoch interruption, --fuel fuel accounting, both compiled into the code
// (and both slow it a little, so they are asked for).
struct PrecompileOptions {
  bool timeout_support = false;
  bool fuel_support = false;
};

// Compiles `input` ahead of time into a `.cwasm` artifact for this host.
[[nodiscard]] std::optional<Error> precompile(const std::filesystem::path& input, const std::filesystem::path& output,
                                              const PrecompileOptions& options = {});

[[nodiscard]] CacheUsage cache_usage(const CacheOptions& cache);
// Removes every entry; returns what was removed.
[[nodiscard]] CacheUsage clean_cache(const CacheOptions& cache);

// Whether what a toolchain builds for `triple` runs here, and if not, why:
// core preview-1 modules (wasm32-wasi, wasm32-wasip1) and WASI 0.2
// components (wasm32-wasip2) and wasi-threads modules (wasm32-wasip1-threads)
// run; WASI 0.3 components (wasm32-wasip3, which Wasmtime 48's C API cannot
// link) do not yet. Empty: it runs.
[[nodiscard]] std::string why_target_cannot_run(std::string_view triple);

// Whether the file starts with a WebAssembly component's header (what
// wasm32-wasip2 builds), so that a caller can say that network grants do
// nothing for a core module. False for anything unreadable, and for a
// link when `follow_links` is false (as Program::follow_links says).
[[nodiscard]] bool is_component_file(const std::filesystem::path& file, bool follow_links);

// The Wasmtime version linked into this binary.
[[nodiscard]] std::string engine_version();

// Why this system cannot keep build_files grants read-only (it allows no
// private mount namespace), or nothing when it can. Tried in a child process.
[[nodiscard]] std::optional<std::string> build_guard_unavailable();

// The Landlock ABI version this kernel offers, 0 for none. Where it has
// one, a run confines itself to its grants once set up (docs/security.md).
[[nodiscard]] int landlock_version();

}  // namespace wasibuild::runner
