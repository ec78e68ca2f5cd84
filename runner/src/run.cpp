// Loading, sandboxing and running one WASI command module.
#include <fmt/format.h>
#include <stdlib.h>
#include <pthread.h>
#include <unistd.h>
#include <wasmtime.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <wasmtime.hh>

#include "atomic_file.hpp"
#include "build_guard.hpp"
#include "compiled.hpp"
#include "components.hpp"
#include "descriptors.hpp"
#include "link_reading.hpp"
#include "engine.hpp"
#include "landlock.hpp"
#include "mapped_file.hpp"
#include "messages.hpp"
#include "network.hpp"
#include "private_tmp.hpp"
#include "sha256.hpp"
#include "store_limits.hpp"
#include "threads.hpp"
#include "wasibuild/runner.hpp"
#include "wasibuild/text.hpp"

namespace wasibuild::runner {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

enum class Format { binary, component, text, precompiled };

constexpr std::uint8_t kWasmMagic[] = {0x00, 'a', 's', 'm'};
constexpr std::uint8_t kElfMagic[] = {0x7f, 'E', 'L', 'F'};

bool starts_with(std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> magic) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

// A little-endian integer of `Size` bytes at `offset`, if in bounds.
template <typename Integer>
std::optional<Integer> read_at(std::span<const std::uint8_t> bytes, std::uint64_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(Integer)) return std::nullopt;
  Integer value = 0;
  for (std::size_t i = 0; i < sizeof(Integer); ++i) value |= static_cast<Integer>(Integer{bytes[offset + i]} << (8 * i));
  return value;
}

// Whether a 64-bit little-endian ELF image has a section called `name`;
// nothing when its section table cannot be read.
std::optional<bool> elf_has_section(std::span<const std::uint8_t> bytes, std::string_view name) {
  constexpr std::uint8_t kElf64 = 2;
  constexpr std::uint8_t kLittleEndian = 1;
  constexpr std::uint64_t kHeaderSize = 64;
  if (bytes.size() < kHeaderSize || bytes[4] != kElf64 || bytes[5] != kLittleEndian) return std::nullopt;
  const auto table = read_at<std::uint64_t>(bytes, 0x28);
  const auto entry_size = read_at<std::uint16_t>(bytes, 0x3a);
  const auto count = read_at<std::uint16_t>(bytes, 0x3c);
  const auto names_index = read_at<std::uint16_t>(bytes, 0x3e);
  if (!table || !entry_size || !count || !names_index || *entry_size < 0x28 || *names_index >= *count) {
    return std::nullopt;
  }
  const auto names_offset = read_at<std::uint64_t>(bytes, *table + std::uint64_t{*names_index} * *entry_size + 0x18);
  const auto names_size = read_at<std::uint64_t>(bytes, *table + std::uint64_t{*names_index} * *entry_size + 0x20);
  if (!names_offset || !names_size || *names_offset > bytes.size() || bytes.size() - *names_offset < *names_size) {
    return std::nullopt;
  }
  const std::string_view names(reinterpret_cast<const char*>(bytes.data() + *names_offset), *names_size);
  for (std::uint16_t i = 0; i < *count; ++i) {
    const auto name_at = read_at<std::uint32_t>(bytes, *table + std::uint64_t{i} * *entry_size);
    if (!name_at) return std::nullopt;
    if (*name_at < names.size() && names.substr(*name_at).substr(0, names.substr(*name_at).find('\0')) == name) {
      return true;
    }
  }
  return false;
}

// Wasmtime marks a precompiled component in the ELF header's e_flags.
bool is_precompiled_component(std::span<const std::uint8_t> bytes) {
  constexpr std::uint32_t kWasmtimeComponentFlag = 1u << 1;
  const auto flags = read_at<std::uint32_t>(bytes, 0x30);
  return flags && (*flags & kWasmtimeComponentFlag) != 0;
}

bool looks_like_text(const fs::path& path, std::span<const std::uint8_t> bytes) {
  if (path.extension() == ".wat") return true;
  const auto first = std::find_if(bytes.begin(), bytes.end(), [](std::uint8_t c) { return !std::isspace(c); });
  return first != bytes.end() && (*first == '(' || *first == ';');
}

std::variant<Format, Error> classify(const fs::path& path, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return Error{Error::Kind::empty_file, path, {}};
  if (starts_with(bytes, kWasmMagic)) return is_component(bytes) ? Format::component : Format::binary;
  // Wasmtime's precompiled artifacts are ELF images with a section of the
  // engine's settings; any other ELF file is a native program. One whose
  // sections cannot be read (a cut .cwasm) is left to Wasmtime to refuse.
  if (starts_with(bytes, kElfMagic)) {
    const auto has_section = elf_has_section(bytes, ".wasmtime.engine");
    if (has_section == false) return Error{Error::Kind::native_program, path, {}};
    return Format::precompiled;
  }
  if (looks_like_text(path, bytes)) return Format::text;
  return Error{Error::Kind::not_webassembly, path, {}};
}

wasmtime::Result<wasmtime::Module> compile(wasmtime::Engine& engine, Format format,
                                           std::span<const std::uint8_t> bytes) {
  if (format == Format::text) {
    return wasmtime::Module::compile(engine,
                                     std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return wasmtime::Module::compile(engine, wasmtime::Span<uint8_t>(const_cast<std::uint8_t*>(bytes.data()), bytes.size()));
}

std::variant<wasmtime::Module, Error> load_module(wasmtime::Engine& engine, const EngineSettings& settings,
                                                  const Program& program, Format format,
                                                  std::span<const std::uint8_t> bytes,
                                                  const std::optional<CacheOptions>& cache_options) {
  auto module = format == Format::text ? compile(engine, format, bytes)
                                       : compile_through_cache<wasmtime::Module>(engine, settings, bytes, cache_options);
  if (!module) return Error{Error::Kind::invalid_module, program.module, one_line(module.err().message())};
  return module.ok();
}

constexpr std::uint64_t kUnlimitedFuel = static_cast<std::uint64_t>(INT64_MAX);
constexpr std::uint64_t kNeverEpoch = std::uint64_t{1} << 62;  // no one advances the epoch without --timeout

// Wasmtime loads a .cwasm only into an engine with the fuel and epoch
// settings it was compiled with ("Module was compiled with[out] <setting>
// but it is[ not] enabled for the host"). A setting the file has and the
// run does not need is switched on in `settings` and `engine` (the store
// then gets no budget); one the run needs and the file lacks is an Error
// that says how to compile it.
template <class Artifact>
std::variant<Artifact, Error> load_precompiled(const Program& program, EngineSettings& settings,
                                               wasmtime::Engine& engine) {
  if (!program.allow_precompiled) return Error{Error::Kind::precompiled_not_allowed, program.module, {}};
  struct Setting {
    bool EngineSettings::*member;
    const char* wasmtime_name;
    const char* flag;
  };
  constexpr Setting kSettings[] = {{&EngineSettings::epoch_interruption, "epoch interruption", "timeout"},
                                   {&EngineSettings::consume_fuel, "fuel support", "fuel"}};
  for (;;) {
    auto module = Artifact::deserialize_file(engine, program.module.string());
    if (module) return module.ok();
    const std::string message = module.err().message();
    const Setting* extra = nullptr;
    for (const Setting& setting : kSettings) {
      if (message.find(fmt::format("compiled with {} but it is not enabled", setting.wasmtime_name)) !=
          std::string::npos) {
        extra = &setting;
      } else if (message.find(fmt::format("compiled without {} but it is enabled", setting.wasmtime_name)) !=
                 std::string::npos) {
        return Error{Error::Kind::incompatible_precompiled, program.module,
                     fmt::format("it was compiled without support for --{}", setting.flag),
                     {fmt::format("compile it with: wasibuild compile --with-{} MODULE.wasm", setting.flag),
                      fmt::format("or run it without --{}", setting.flag)}};
      }
    }
    if (extra == nullptr || settings.*(extra->member)) {
      return Error{Error::Kind::incompatible_precompiled, program.module, one_line(message)};
    }
    settings.*(extra->member) = true;
    engine = make_engine(settings);
  }
}

// `_start` as a function: the C++ API aborts when it converts an export of
// another kind it has no class for (a shared memory), so the kind is
// checked before the instance is ever asked for it.
bool exports_start(const wasmtime::Module& module) { return exports_function(module, "_start"); }

std::string guest_name(const DirectoryGrant& grant) {
  std::string name = (grant.guest.empty() ? grant.host : fs::path(grant.guest)).lexically_normal().string();
  while (name.size() > 1 && name.ends_with('/')) name.pop_back();
  return name;
}

// Two different directories granted under one guest name: which one the
// guest sees would depend on wasi-libc's choice, so it is refused. The same
// directory twice (a default grant and a test's own) is fine.
std::optional<Error> conflicting_grant(const std::vector<DirectoryGrant>& grants) {
  for (std::size_t later = 1; later < grants.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      if (guest_name(grants[earlier]) != guest_name(grants[later])) continue;
      std::error_code error;
      if (fs::equivalent(grants[earlier].host, grants[later].host, error)) continue;
      return Error{Error::Kind::bad_grant, grants[later].host,
                   fmt::format("cannot grant it as {}: {} is granted there already", guest_name(grants[later]),
                               grants[earlier].host.string()),
                   {"give each directory its own guest path (HOST::GUEST)"}};
    }
  }
  return std::nullopt;
}

std::optional<Error> grant_directories(wasmtime::WasiConfig& wasi, const std::vector<DirectoryGrant>& grants) {
  if (auto error = conflicting_grant(grants)) return error;
  for (const DirectoryGrant& grant : grants) {
    std::error_code error;
    const auto status = fs::status(grant.host, error);
    if (error || !fs::exists(status)) {
      return Error{Error::Kind::bad_grant, grant.host, "cannot grant a directory that does not exist"};
    }
    if (!fs::is_directory(status)) return Error{Error::Kind::bad_grant, grant.host, "cannot grant it: not a directory"};
    const bool writable = grant.access == Access::read_write;
    const std::string guest = grant.guest.empty() ? grant.host.string() : grant.guest;
    if (!wasi.preopen_dir(grant.host.string(), guest, writable)) {
      return Error{Error::Kind::bad_grant, grant.host, "Wasmtime could not open it"};
    }
  }
  return std::nullopt;
}

// The program's name as a native build of it has it: the file name (its
// host path would tell the guest where it lives on the host, which no grant
// gave it) without the .wasm that only the WASI build adds. Tests compare
// usage lines and reports that print it (Catch2's approval tests).
std::string default_argv0(const fs::path& module) {
  const fs::path extension = module.extension();
  return extension == ".wasm" || extension == ".cwasm" ? module.stem().string() : module.filename().string();
}

// Whether the guest's last byte on stderr was not a newline, so that the
// runner's own error (a trap, a timeout) starts a line of its own rather
// than finishing the guest's ("partial messagewasibuild: error: ..."). Known
// only where stderr is not a terminal (logs, CTest, pipes): there the runner
// writes the guest's stderr itself. A terminal stays Wasmtime's own, so
// that the guest's isatty(2) is still true.
std::atomic<bool> guest_stderr_mid_line{false};

ptrdiff_t write_guest_stderr(void* /*unused*/, const unsigned char* bytes, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t wrote = ::write(STDERR_FILENO, bytes + done, size - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return -errno;
    done += static_cast<std::size_t>(wrote);
  }
  if (size > 0) guest_stderr_mid_line.store(bytes[size - 1] != '\n', std::memory_order_relaxed);
  return static_cast<ptrdiff_t>(size);
}

wasmtime::WasiConfig make_wasi(const Program& program, const Policy& policy) {
  wasmtime::WasiConfig wasi;
  std::vector<std::string> argv{program.argv0.value_or(default_argv0(program.module))};
  argv.insert(argv.end(), program.arguments.begin(), program.arguments.end());
  wasi.argv(argv);
  wasi.env(policy.environment);
  wasi.inherit_stdin();
  wasi.inherit_stdout();
  if (::isatty(STDERR_FILENO) == 1) {
    wasi.inherit_stderr();
  } else {
    wasi_config_set_stderr_custom(wasi.capi(), write_guest_stderr, nullptr, nullptr);
  }
  return wasi;
}

// Ends a run at its wall-clock deadline. An epoch tick stops a guest that is
// executing wasm; a guest blocked in a host call (sleep, a stdin read) never
// sees the tick, so after a short grace period the caller's `stuck` hook
// gets the timeout (run()'s contract says what it may do).
class Deadline {
 public:
  Deadline(const wasmtime::Engine& engine, std::chrono::milliseconds limit, TimedOut timed_out, Stuck stuck)
      : engine_(engine),
        limit_(limit),
        timed_out_(std::move(timed_out)),
        stuck_(std::move(stuck)),
        thread_([this] { watch(); }) {}
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  // Long enough for a guest that saw the tick to unwind on a loaded machine
  // or under the sanitizers (50 ms was not: the process then ended from
  // here, with the right status but skipping the caller's own clean-up);
  // short enough that a guest blocked in the host ends soon after its limit.
  static constexpr auto kGrace = 500ms;

  // Past the limit the epoch keeps ticking: a store's deadline counts from
  // the epoch when it was set, so a store made after the first tick (a
  // compile that outlasted the limit) still sees one.
  static constexpr auto kTick = 10ms;

  // Ticks until the guest is done or `span` has passed; true when done.
  bool tick_for(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::duration span) {
    const auto until = std::chrono::steady_clock::now() + span;
    do {
      engine_.increment_epoch();
      if (wake_.wait_for(lock, kTick, [this] { return done_; })) return true;
    } while (std::chrono::steady_clock::now() < until);
    return false;
  }

  void watch() {
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, limit_, [this] { return done_; })) return;
    if (tick_for(lock, kGrace)) return;
    // Still blocked in the host: nothing can unwind the guest's thread.
    if (stuck_) {
      timed_out_.after_partial_line = guest_stderr_mid_line.load(std::memory_order_relaxed);
      lock.unlock();
      stuck_(timed_out_);
      lock.lock();
    }
    while (!tick_for(lock, 1s)) {
    }
  }

  const wasmtime::Engine& engine_;
  std::chrono::milliseconds limit_;
  TimedOut timed_out_;
  Stuck stuck_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;  // last: it starts once everything above exists
};

// Room for the host calls made at the guest's deepest point.
constexpr std::uint64_t kHostRoom = std::uint64_t{4} << 20;

enum class Join { wait, detach };

// Runs `work` on a thread whose native stack holds Wasmtime's whole wasm
// stack budget plus room for the host calls made at the deepest point
// (Wasmtime counts its budget from where wasm is entered and does not check
// that the thread has that much: without the room, an overflow would crash
// the host instead of trapping). The stack is reserved, not committed:
// pages cost memory only once touched. A thread started after Landlock
// confinement inherits it. `wait`: returns once `work` has run; `detach`:
// at once, the thread owning `work` (a wasi-threads thread). Returns false
// if no such thread can be made.
bool start_on_large_stack(std::uint64_t wasm_stack_bytes, std::function<void()> work, Join join) {
  pthread_attr_t attributes;
  if (::pthread_attr_init(&attributes) != 0) return false;
  bool set = ::pthread_attr_setstacksize(&attributes, static_cast<std::size_t>(wasm_stack_bytes + kHostRoom)) == 0;
  if (join == Join::detach) set = set && ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED) == 0;
  auto owned = std::make_unique<std::function<void()>>(std::move(work));
  auto entry = [](void* argument) -> void* {
    std::unique_ptr<std::function<void()>> owned_work(static_cast<std::function<void()>*>(argument));
    (*owned_work)();
    return nullptr;
  };
  pthread_t thread;
  const bool started = set && ::pthread_create(&thread, &attributes, entry, owned.get()) == 0;
  ::pthread_attr_destroy(&attributes);
  if (!started) return false;
  (void)owned.release();
  if (join == Join::wait) ::pthread_join(thread, nullptr);
  return true;
}

bool run_on_large_stack(std::uint64_t wasm_stack_bytes, const std::function<void()>& work) {
  return start_on_large_stack(wasm_stack_bytes, work, Join::wait);
}

// Wasmtime's WASI preview1 runs each host call to completion on the calling
// thread, inside a Tokio runtime it creates on the first call; that
// runtime's worker threads only drive timers and I/O readiness. Tokio starts
// one worker per core (after reading the cgroup CPU quota), and one is
// enough here: the blocking file operations run on Tokio's separate
// blocking pool, and stdin on a thread of its own. TOKIO_WORKER_THREADS is
// Tokio's documented override; an explicit setting by the user wins.
// Measured: one thread and ~0.2 ms less per `exec` (docs/performance.md).
void use_one_wasi_runtime_worker() { ::setenv("TOKIO_WORKER_THREADS", "1", 0); }

// wasi-libc's exit() ends in proc_exit, and Wasmtime's refuses a status of
// 126 or more, yet a native program's exit(200) ends with 200: test
// frameworks return failure and test counts that way (Catch2 exits with the
// number of tests it listed). This proc_exit shadows Wasmtime's: it keeps
// the status as a native exit does (its low 8 bits) and unwinds the guest
// with a trap, which the outcome then reads as that exit.
std::optional<std::string> define_native_proc_exit(wasmtime::Linker& linker, std::optional<int>& exit_request) {
  linker.allow_shadowing(true);
  auto defined = linker.func_wrap(
      "wasi_snapshot_preview1", "proc_exit",
      [&exit_request](std::int32_t status) -> wasmtime::Result<std::monostate, wasmtime::Trap> {
        exit_request = static_cast<int>(static_cast<std::uint32_t>(status) & 0xffu);
        return wasmtime::Trap("proc_exit");
      });
  linker.allow_shadowing(false);
  if (!defined) return one_line(defined.err().message());
  return std::nullopt;
}

Outcome outcome_of_failure(const Program& program, const Limits& limits, const wasmtime::TrapError& failure,
                           std::optional<int> exit_request) {
  if (exit_request) return Exited{*exit_request};
  if (const auto* error = std::get_if<wasmtime::Error>(&failure.data)) {
    if (auto code = error->i32_exit()) return Exited{*code};
  }
  const std::string message = failure.message();
  std::optional<std::uint64_t> exhausted_stack;
  if (const auto* trap = std::get_if<wasmtime::Trap>(&failure.data)) {
    if (trap->code() == WASMTIME_TRAP_CODE_INTERRUPT && limits.timeout) {
      return TimedOut{program.module, *limits.timeout};
    }
    if (trap->code() == WASMTIME_TRAP_CODE_STACK_OVERFLOW) exhausted_stack = limits.max_wasm_stack_bytes;
  }
  auto [reason, backtrace] = split_trap_message(message);
  return Trapped{program.module, std::move(reason), std::move(backtrace), exhausted_stack};
}

// Instantiation runs the module's start function, so it ends like a run
// when that function traps, times out or calls proc_exit. Any other error
// (an unknown import, a limit the module's declarations exceed) is the
// runner's: the guest never ran.
Outcome outcome_of_instantiation_failure(const Program& program, const Limits& limits,
                                         const wasmtime::TrapError& failure, std::optional<int> exit_request) {
  if (const auto* error = std::get_if<wasmtime::Error>(&failure.data); error && !exit_request) {
    return Error{Error::Kind::instantiation_failed, program.module, one_line(error->message())};
  }
  return outcome_of_failure(program, limits, failure, exit_request);
}

// Wasmtime would say only "memory minimum size of 129 pages exceeds memory
// limits": say how much the module needs, and what --max-memory gives it.
std::optional<Error> memory_below_declared_minimum(const Program& program, const std::optional<ModuleShape>& shape,
                                                   const StoreLimits& bounds, const Limits& limits) {
  if (!shape || !limits.max_memory_bytes || bounds.memory_bytes < 0 ||
      shape->memory_minimum_bytes <= static_cast<std::uint64_t>(bounds.memory_bytes)) {
    return std::nullopt;
  }
  return Error{Error::Kind::memory_limit_too_small, program.module,
               fmt::format("its memory starts at {} (its declared minimum), more than --max-memory {} allows one "
                           "memory ({}; docs/exit-status.md#limits)",
                           base::size_text(shape->memory_minimum_bytes, base::Rounding::up),
                           base::size_text(*limits.max_memory_bytes, base::Rounding::nearest),
                           base::size_text(static_cast<std::uint64_t>(bounds.memory_bytes), base::Rounding::down)),
               {fmt::format("give it at least --max-memory {}",
                            base::size_text(smallest_budget_for(*shape), base::Rounding::up))}};
}

// What a module's and a component's store share: the limits, fuel and
// epoch deadline, and the WASI context with the grants (network grants do
// nothing for a core module: preview 1 has no sockets). A .cwasm compiled
// with fuel or epoch support the run does not use gets it switched on
// without a budget (load_precompiled).
std::optional<Error> set_up_store(wasmtime::Store& store, const StoreLimits& bounds, const Program& program,
                                  const Policy& policy, const std::vector<DirectoryGrant>& grants,
                                  const Limits& limits, const EngineSettings& settings) {
  store.limiter(bounds.memory_bytes, bounds.table_elements, bounds.instances, bounds.tables, bounds.memories);
  if (settings.consume_fuel) (void)store.context().set_fuel(limits.fuel.value_or(kUnlimitedFuel));
  if (settings.epoch_interruption) store.context().set_epoch_deadline(limits.timeout ? 1 : kNeverEpoch);
  use_one_wasi_runtime_worker();
  wasmtime::WasiConfig wasi = make_wasi(program, policy);
  if (auto error = grant_directories(wasi, grants)) return error;
  grant_network(wasi, policy.network);
  if (auto set = store.context().set_wasi(std::move(wasi)); !set) {
    return Error{Error::Kind::instantiation_failed, program.module, one_line(set.err().message())};
  }
  return std::nullopt;
}

// A component's error: an exit, a timeout, or a trap with its backtrace.
// The C API gives a component's error no trap code: the reason is read from
// the message, as Wasmtime formats it ("wasm trap: interrupt").
Outcome outcome_of_component_error(const Program& program, const Limits& limits, const wasmtime::Error& error) {
  if (auto code = error.i32_exit()) return Exited{*code};
  // The reason only: the backtrace holds the guest's own function names.
  auto [reason, backtrace] = split_trap_message(error.message());
  if (limits.timeout && reason.starts_with("wasm trap: interrupt")) return TimedOut{program.module, *limits.timeout};
  const bool stack = reason.starts_with("wasm trap: call stack exhausted");
  return Trapped{program.module, std::move(reason), std::move(backtrace),
                 stack ? std::optional<std::uint64_t>(limits.max_wasm_stack_bytes) : std::nullopt};
}

Outcome outcome_of_component_run(const Program& program, const Limits& limits, ComponentRun&& run) {
  if (auto* returned = std::get_if<RunReturned>(&run)) return Exited{returned->success ? 0 : 1};
  if (auto* failed = std::get_if<RunFailed>(&run)) return outcome_of_component_error(program, limits, failed->error);
  auto& not_run = std::get<NotRun>(run);
  if (not_run.not_a_command) return Error{Error::Kind::not_a_command, program.module, not_run.reason};
  if (not_run.reason.find("@0.3.") != std::string::npos) {
    return Error{Error::Kind::component, program.module, not_run.reason,
                 {"build it for wasm32-wasip2 (or wasm32-wasip1): --target wasm32-wasip2"}};
  }
  return Error{Error::Kind::instantiation_failed, program.module, not_run.reason};
}

// A WASI 0.2 component: the same grants, limits, deadline, cache and
// outcomes as a core module, with WASI 0.2 from Wasmtime (where the
// network grants apply) instead of the runner's preview-1 shadows.
Outcome run_component(const Program& program, const Policy& policy, const std::vector<DirectoryGrant>& grants,
                      const Limits& limits, wasmtime::Engine& engine, const EngineSettings& settings,
                      std::span<const std::uint8_t> bytes, const std::optional<CacheOptions>& cache,
                      std::optional<Deadline>& deadline, std::optional<wasmtime::component::Component> precompiled) {
  if (precompiled && limits.max_memory_bytes) {
    // Its core modules cannot be read from native code: the budget could
    // not be split so that the caps add up to --max-memory.
    return Error{Error::Kind::incompatible_precompiled, program.module,
                 "a precompiled component's memories and tables cannot be counted for --max-memory",
                 {"run the component's .wasm with --max-memory (its compiled code is cached just the same)"}};
  }
  auto component = precompiled ? wasmtime::Result<wasmtime::component::Component>(std::move(*precompiled))
                               : compile_through_cache<wasmtime::component::Component>(engine, settings, bytes, cache);
  if (!component) return Error{Error::Kind::invalid_module, program.module, one_line(component.err().message())};
  // A .cwasm's shape is unknown: counts are bounded, memory as the budget says.
  const auto shape = precompiled ? std::nullopt : component_shape(bytes);
  wasmtime::Store store(engine);
  StoreLimits bounds = store_limits(shape ? std::optional<ModuleShape>(shape->total) : std::nullopt, limits.max_memory_bytes);
  bounds.instances = shape ? shape->instances : kMaxUnknownCount;
  if (auto error = memory_below_declared_minimum(program, shape ? std::optional<ModuleShape>(shape->total) : std::nullopt,
                                                 bounds, limits)) {
    return *error;
  }
  if (auto error = set_up_store(store, bounds, program, policy, grants, limits, settings)) return *error;
  if (auto error = policy.confine_process ? confine_to_grants(grants, policy.network) : std::nullopt) {
    return Error{Error::Kind::confinement_failed, program.module, *error};
  }
  std::optional<Outcome> outcome;
  const bool on_thread = run_on_large_stack(limits.max_wasm_stack_bytes, [&] {
    auto run = run_command_component(engine, store, component.ok());
    deadline.reset();
    outcome = outcome_of_component_run(program, limits, std::move(run));
  });
  if (!on_thread) {
    return Error{Error::Kind::instantiation_failed, program.module,
                 fmt::format("cannot start a thread with a {} byte stack for the guest", limits.max_wasm_stack_bytes)};
  }
  return std::move(*outcome);
}

}  // namespace

// Fuel is counted per store, and a threads run has one store per thread:
// one budget for all of them is not built yet (docs/design-notes.md).
Error fuel_with_threads_refusal(const Program& program) {
  return Error{Error::Kind::needs_threads, program.module,
               "--fuel counts one thread's instructions, not yet a whole threads run's",
               {"use --timeout to bound a threads module"}};
}

// --max-memory for a threads run, the total of everything its threads
// allocate: the shared memory may grow to 7/8 of it (its declared maximum
// lowered to that, since a shared memory's growth never asks a limiter);
// what is left, split evenly over --max-threads + 1 stores, bounds each
// thread's tables and any memory of its own. Sets `memory`'s maximum and
// returns each store's share (nullopt: unbounded), or the Error of a
// module whose shared memory starts above its part.
std::variant<std::optional<std::uint64_t>, Error> threads_memory_budget(const Program& program,
                                                                         SharedMemoryImport& memory,
                                                                         const Limits& limits) {
  if (!limits.max_memory_bytes) return std::optional<std::uint64_t>();
  constexpr std::uint64_t kPage = 65536;
  const std::uint64_t budget = *limits.max_memory_bytes;
  const std::uint64_t shared_cap = budget / 8 * 7 / kPage;
  if (memory.minimum_pages > shared_cap) {
    const std::uint64_t needed = (memory.minimum_pages * kPage + 6) / 7 * 8;
    return Error{Error::Kind::memory_limit_too_small, program.module,
                 fmt::format("its shared memory starts at {} (its declared minimum), more than the 7/8 of "
                             "--max-memory {} a threads module's shared memory may have",
                             base::size_text(memory.minimum_pages * kPage, base::Rounding::up),
                             base::size_text(budget, base::Rounding::nearest)),
                 {fmt::format("give it at least --max-memory {}", base::size_text(needed, base::Rounding::up))}};
  }
  memory.maximum_pages = std::min(memory.maximum_pages.value_or(shared_cap), shared_cap);
  return std::optional<std::uint64_t>((budget - *memory.maximum_pages * kPage) / (limits.max_threads + std::uint64_t{1}));
}

// A threads module (wasm32-wasip1-threads): each thread gets the store
// limits, the epoch deadline, and a share of nothing else; the one shared
// memory is capped by --max-memory in its type, since growing a shared
// memory does not ask the store's limiter.
Outcome run_threads_module(const Program& program, const Policy& policy, const std::vector<DirectoryGrant>& grants,
                           const Limits& limits, wasmtime::Engine& engine, const EngineSettings& settings,
                           const wasmtime::Module& module, const std::optional<ModuleShape>& shape,
                           std::optional<Deadline>& deadline) {
  if (auto problem = threads_module_problem(module)) {
    return Error{Error::Kind::needs_threads, program.module, *problem};
  }
  // The runner's descriptor table (dup, dup2, pipe) is one store's, with a
  // trampoline over an unshared memory: not built for threads yet.
  if (imports_descriptor_duplication(module)) {
    return Error{Error::Kind::needs_threads, program.module,
                 "it calls dup(), dup2() or pipe(), which the runner gives single-threaded modules only"};
  }
  SharedMemoryImport memory = *shared_memory_import(module);
  auto budget = threads_memory_budget(program, memory, limits);
  if (auto* error = std::get_if<Error>(&budget)) return *error;
  const StoreLimits bounds = store_limits(shape, std::get<std::optional<std::uint64_t>>(budget));
  wasmtime::WasiConfig wasi = make_wasi(program, policy);
  if (auto error = grant_directories(wasi, grants)) return *error;
  if (auto error = policy.confine_process ? confine_to_grants(grants) : std::nullopt) {
    return Error{Error::Kind::confinement_failed, program.module, *error};
  }
  use_one_wasi_runtime_worker();
  Outcome outcome = run_threads(ThreadsRun{
      .engine = engine,
      .module = module,
      .file = program.module,
      .wasi = std::move(wasi),
      .memory = memory,
      .max_threads = limits.max_threads,
      .max_wasm_stack_bytes = limits.max_wasm_stack_bytes,
      .timeout = limits.timeout,
      .prepare_store =
          [bounds, settings](wasmtime::Store& store) {
            store.limiter(bounds.memory_bytes, bounds.table_elements, bounds.instances, bounds.tables,
                          bounds.memories);
            if (settings.consume_fuel) (void)store.context().set_fuel(kUnlimitedFuel);
            store.context().set_epoch_deadline(1);
          },
      .outcome_of_failure = [program, limits](const wasmtime::TrapError& failure) {
        return outcome_of_failure(program, limits, failure, std::nullopt);
      },
      .outcome_of_instantiation_failure = [program, limits](const wasmtime::TrapError& failure) {
        return outcome_of_instantiation_failure(program, limits, failure, std::nullopt);
      },
      .ended = [&deadline] { deadline.reset(); },
      .start_thread = [stack = limits.max_wasm_stack_bytes](std::function<void()> work) {
        return start_on_large_stack(stack, std::move(work), Join::detach);
      },
  });
  deadline.reset();
  return outcome;
}

Outcome run(const Program& program, const Policy& policy, const Limits& limits,
            const std::optional<CacheOptions>& cache, const Finished& finished, const Stuck& stuck) {
  // First, while the process has one thread: the private /tmp forks its
  // reaper, and the build guard enters a mount namespace of its own.
  std::vector<DirectoryGrant> grants = policy.directories;
  std::optional<PrivateTmp> tmp;
  if (policy.private_tmp_in) {
    if (const auto& error = tmp.emplace(*policy.private_tmp_in).error()) return *error;
    grants.push_back(tmp->grant());
  }
  if (auto error = guard_build_directories(policy)) return *error;
  // A caller that ends the process in `finished` skips every destructor:
  // the private /tmp goes first (its reaper would only remove it later).
  // Once the guest has run (a trap, an exit or a timeout; an Error means it
  // never did): its stderr's last line is noted, and `finished` called.
  const auto conclude = [&](Outcome outcome) {
    const bool mid_line = guest_stderr_mid_line.exchange(false, std::memory_order_relaxed);
    if (auto* trapped = std::get_if<Trapped>(&outcome)) trapped->after_partial_line = mid_line;
    if (auto* timed_out = std::get_if<TimedOut>(&outcome)) timed_out->after_partial_line = mid_line;
    if (finished && !std::holds_alternative<Error>(outcome)) {
      tmp.reset();
      finished(outcome);
    }
    return outcome;
  };

  MappedFile file(program.module, AT_FDCWD, program.follow_links ? Links::follow : Links::refuse);
  if (file.error()) return Error{Error::Kind::unreadable_file, program.module, file.error().message()};
  auto format = classify(program.module, file.bytes());
  if (auto* error = std::get_if<Error>(&format)) return *error;

  // Text is turned into a binary first: the limits below read its sections.
  std::span<const std::uint8_t> bytes = file.bytes();
  std::vector<std::uint8_t> converted;
  if (std::get<Format>(format) == Format::text) {
    auto binary = wasmtime::wat2wasm(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!binary) return Error{Error::Kind::invalid_module, program.module, one_line(binary.err().message())};
    converted = std::move(binary.ok());
    bytes = converted;
    format = Format::binary;
    if (is_component(bytes)) format = Format::component;  // (component ...) text
  }
  const std::optional<ModuleShape> shape =
      std::get<Format>(format) == Format::binary ? module_shape(bytes) : std::nullopt;
  const bool threads = shape && !shape->threads_need.empty();

  // A threads run always has epoch interruption: an epoch tick is how the
  // run stops the other threads when one of them ends it (threads.hpp).
  EngineSettings settings{.consume_fuel = limits.fuel.has_value(),
                          .epoch_interruption = limits.timeout.has_value() || threads,
                          .max_wasm_stack = limits.max_wasm_stack_bytes};
  wasmtime::Engine engine = make_engine(settings);
  std::optional<wasmtime::Module> artifact;  // a .cwasm, loaded before the deadline starts
  std::optional<wasmtime::component::Component> component_artifact;
  if (std::get<Format>(format) == Format::precompiled && is_precompiled_component(file.bytes())) {
    auto loaded = load_precompiled<wasmtime::component::Component>(program, settings, engine);
    if (auto* error = std::get_if<Error>(&loaded)) return *error;
    component_artifact = std::move(std::get<wasmtime::component::Component>(loaded));
  } else if (std::get<Format>(format) == Format::precompiled) {
    auto loaded = load_precompiled<wasmtime::Module>(program, settings, engine);
    if (auto* error = std::get_if<Error>(&loaded)) return *error;
    artifact = std::move(std::get<wasmtime::Module>(loaded));
  }
  // The deadline covers everything from here: compiling (a huge module),
  // instantiating (a start function that loops or sleeps) and running.
  std::optional<Deadline> deadline;
  if (limits.timeout) {
    deadline.emplace(engine, *limits.timeout, TimedOut{program.module, *limits.timeout}, stuck);
  }

  if (std::get<Format>(format) == Format::component || component_artifact) {
    return conclude(run_component(program, policy, grants, limits, engine, settings, bytes, cache, deadline,
                                  std::move(component_artifact)));
  }
  auto loaded = artifact ? std::variant<wasmtime::Module, Error>(std::move(*artifact))
                         : load_module(engine, settings, program, std::get<Format>(format), bytes, cache);
  if (auto* error = std::get_if<Error>(&loaded)) return *error;
  auto& module = std::get<wasmtime::Module>(loaded);
  if (!exports_start(module)) return Error{Error::Kind::not_a_command, program.module, {}};
  if (threads || (!shape && needs_wasi_threads(module))) {
    if (limits.fuel) return fuel_with_threads_refusal(program);
    return conclude(run_threads_module(program, policy, grants, limits, engine, settings, module, shape, deadline));
  }

  wasmtime::Store store(engine);
  StoreLimits bounds = store_limits(shape, limits.max_memory_bytes);
  // Each shadow of Wasmtime's functions may instantiate its trampoline.
  if (imports_link_reading(module) && bounds.instances >= 0) ++bounds.instances;
  if (imports_descriptor_duplication(module) && bounds.instances >= 0) ++bounds.instances;
  if (auto error = memory_below_declared_minimum(program, shape, bounds, limits)) return *error;
  if (auto error = set_up_store(store, bounds, program, policy, grants, limits, settings)) return *error;
  std::optional<int> exit_request;  // set by the guest's proc_exit; outlives the linker
  wasmtime::Linker linker(engine);
  if (auto defined = linker.define_wasi(); !defined) {
    return Error{Error::Kind::instantiation_failed, program.module, one_line(defined.err().message())};
  }
  if (auto error = define_native_proc_exit(linker, exit_request)) {
    return Error{Error::Kind::instantiation_failed, program.module, *error};
  }
  // The trampolines of the descriptor table and of link reading go through
  // the cache too: compiling one costs a few milliseconds (docs/performance.md).
  const auto compile_helper = [&](std::string_view text) -> wasmtime::Result<wasmtime::Module> {
    auto binary = wasmtime::wat2wasm(text);
    if (!binary) return binary.err();
    return compile_through_cache<wasmtime::Module>(engine, settings, binary.ok(), cache);
  };
  // Link reading first: the descriptor table then hands it Wasmtime's numbers.
  if (auto error = define_link_reading(linker, store, module, grants, compile_helper)) {
    return Error{Error::Kind::instantiation_failed, program.module, *error};
  }
  if (auto error = define_descriptor_duplication(linker, store, module, compile_helper)) {
    return Error{Error::Kind::instantiation_failed, program.module, *error};
  }
  // The module is compiled, the cache written and the grants opened: from
  // the guest's first instruction on, the kernel holds the grants too.
  if (auto error = policy.confine_process ? confine_to_grants(grants) : std::nullopt) {
    return Error{Error::Kind::confinement_failed, program.module, *error};
  }
  // The guest's code (start function, then _start) runs on a thread with
  // room for its whole stack budget.
  std::optional<Outcome> outcome;
  const bool on_thread = run_on_large_stack(limits.max_wasm_stack_bytes, [&] {
    auto instance = linker.instantiate(store, module);
    if (!instance) {
      deadline.reset();
      outcome = outcome_of_instantiation_failure(program, limits, instance.err(), exit_request);
      return;
    }
    auto start = instance.ok().get(store, "_start");
    auto* start_func = start ? std::get_if<wasmtime::Func>(&*start) : nullptr;
    if (start_func == nullptr) {
      outcome = Error{Error::Kind::not_a_command, program.module, {}};
      return;
    }
    auto result = start_func->call(store, {});
    deadline.reset();
    outcome = result ? Outcome{Exited{0}} : outcome_of_failure(program, limits, result.err(), exit_request);
  });
  if (!on_thread) {
    return Error{Error::Kind::instantiation_failed, program.module,
                 fmt::format("cannot start a thread with a {} byte stack for the guest", limits.max_wasm_stack_bytes)};
  }
  return conclude(std::move(*outcome));
}

std::optional<Error> precompile(const fs::path& input, const fs::path& output, const PrecompileOptions& options) {
  MappedFile file(input);
  if (file.error()) return Error{Error::Kind::unreadable_file, input, file.error().message()};
  auto format = classify(input, file.bytes());
  if (auto* error = std::get_if<Error>(&format)) return *error;
  if (std::get<Format>(format) == Format::precompiled) {
    return Error{Error::Kind::invalid_module, input, "it is already a precompiled .cwasm"};
  }
  // Text may hold a component: turned into a binary first, as run() does.
  std::span<const std::uint8_t> bytes = file.bytes();
  std::vector<std::uint8_t> converted;
  if (std::get<Format>(format) == Format::text) {
    auto binary = wasmtime::wat2wasm(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!binary) return Error{Error::Kind::invalid_module, input, one_line(binary.err().message())};
    converted = std::move(binary.ok());
    bytes = converted;
    format = is_component(bytes) ? Format::component : Format::binary;
  }
  // A threads module gets epoch interruption always, as run() gives it.
  std::optional<ModuleShape> shape;
  if (std::get<Format>(format) == Format::binary) shape = module_shape(bytes);
  const bool threads = shape && !shape->threads_need.empty();
  wasmtime::Engine engine = make_engine(
      {.consume_fuel = options.fuel_support, .epoch_interruption = options.timeout_support || threads});
  if (std::get<Format>(format) == Format::component) {
    auto component = wasmtime::component::Component::compile(
        engine, wasmtime::Span<uint8_t>(const_cast<std::uint8_t*>(bytes.data()), bytes.size()));
    if (!component) return Error{Error::Kind::invalid_module, input, one_line(component.err().message())};
    auto artifact = component.ok().serialize();
    if (!artifact) return Error{Error::Kind::invalid_module, input, one_line(artifact.err().message())};
    if (auto error = write_file_atomically(output, {std::span<const std::uint8_t>(artifact.ok())})) {
      return Error{Error::Kind::output_failure, output, *error};
    }
    return std::nullopt;
  }
  auto module = compile(engine, std::get<Format>(format), bytes);
  if (!module) return Error{Error::Kind::invalid_module, input, one_line(module.err().message())};
  auto artifact = module.ok().serialize();
  if (!artifact) return Error{Error::Kind::invalid_module, input, one_line(artifact.err().message())};
  if (auto error = write_file_atomically(output, {std::span<const std::uint8_t>(artifact.ok())})) {
    return Error{Error::Kind::output_failure, output, *error};
  }
  return std::nullopt;
}

std::string why_target_cannot_run(std::string_view triple) {
  if (triple == "wasm32-wasi" || triple == "wasm32-wasip1" || triple == "wasm32-wasip2") return "";
  if (triple == "wasm32-wasip1-threads" || triple == "wasm32-wasi-threads") return "";
  if (triple == "wasm32-wasip3") return "a WASI 0.3 component";
  return "not a WASI preview 1 target";
}

std::string engine_version() { return WASMTIME_VERSION; }

bool is_component_file(const fs::path& file, bool follow_links) {
  MappedFile mapped(file, AT_FDCWD, follow_links ? Links::follow : Links::refuse);
  if (mapped.error()) return false;
  const auto bytes = mapped.bytes();
  if (starts_with(bytes, kElfMagic)) return is_precompiled_component(bytes);
  if (looks_like_text(file, bytes)) {  // the first form decides: (component ...) or (module ...)
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), std::min<std::size_t>(bytes.size(), 4096));
    const auto component = text.find("(component");
    return component != std::string_view::npos && component < text.find("(module");
  }
  return is_component(bytes);
}

}  // namespace wasibuild::runner
