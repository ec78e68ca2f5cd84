#include "threads.hpp"

#include <fmt/format.h>
#include <wasmtime.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "messages.hpp"

// The shim's functions (runner/wasmtime-shim/src/threads.rs): one
// preview-1 state for every thread of a run, locked for each call.
extern "C" {
struct wasibuild_shared_wasi;
wasibuild_shared_wasi* wasibuild_shared_wasi_new(wasi_config_t* config);
void wasibuild_shared_wasi_delete(wasibuild_shared_wasi* shared);
wasmtime_error_t* wasibuild_linker_define_shared_wasi(wasmtime_linker_t* linker, const wasibuild_shared_wasi* shared);
void wasibuild_store_unlock_wasi_after_host_calls(wasmtime_store_t* store);
bool wasibuild_shared_wasi_close(const wasibuild_shared_wasi* shared, std::uint32_t patience_ms);
}

namespace wasibuild::runner {

using namespace std::chrono_literals;

namespace {

constexpr std::string_view kThreadsModule = "wasi";
constexpr std::string_view kSpawn = "thread-spawn";
// wasi-threads gives thread ids in [1, 0x1FFFFFFF]: wasi-libc keeps the
// bits above for its mutexes' owner field.
constexpr std::int32_t kMaxThreadId = 0x1FFFFFFF;
// What thread-spawn returns when no thread is made; wasi-libc's
// pthread_create turns any negative value into EAGAIN.
constexpr std::int32_t kSpawnRefused = -1;

std::optional<wasmtime::MemoryType::Ref> memory_import(const wasmtime::Module& module) {
  for (const auto& import : module.imports()) {
    if (import.module() != "env" || import.name() != "memory") continue;
    auto type = wasmtime::ExternType::from_import(import);
    if (auto* memory = std::get_if<wasmtime::MemoryType::Ref>(&type)) return *memory;
  }
  return std::nullopt;
}

bool imports_spawn(const wasmtime::Module& module) {
  for (const auto& import : module.imports()) {
    if (import.module() == kThreadsModule && import.name() == kSpawn) return true;
  }
  return false;
}

bool exports_kind(const wasmtime::Module& module, std::string_view name, bool function) {
  for (const auto& exported : module.exports()) {
    if (exported.name() != name) continue;
    auto type = wasmtime::ExternType::from_export(exported);
    return function ? std::holds_alternative<wasmtime::FuncType::Ref>(type)
                    : std::holds_alternative<wasmtime::MemoryType::Ref>(type);
  }
  return false;
}

bool exports_shared_memory(const wasmtime::Module& module) {
  for (const auto& exported : module.exports()) {
    auto type = wasmtime::ExternType::from_export(exported);
    if (auto* memory = std::get_if<wasmtime::MemoryType::Ref>(&type); memory && memory->is_shared()) return true;
  }
  return false;
}

// What every thread shares. Threads hold it through a shared_ptr, so a
// thread still blocked when the run ends keeps it alive; the preview-1
// state is then deliberately not freed (a blocked call may still use it).
struct Group {
  explicit Group(ThreadsRun&& setup) : run(std::move(setup)) {}
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group() {
    linker.reset();
    if (memory != nullptr) wasmtime_sharedmemory_delete(memory);
    if (wasi != nullptr) wasibuild_shared_wasi_delete(wasi);
  }

  ThreadsRun run;
  wasibuild_shared_wasi* wasi = nullptr;
  wasmtime_sharedmemory_t* memory = nullptr;
  std::unique_ptr<wasmtime::Linker> linker;

  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Outcome> outcome;  // the first thread's end that ends the run
  std::uint32_t running = 0;       // threads not yet finished, the main one included
  std::int32_t next_id = 1;

  // The first end wins: later ones are the threads it stopped.
  void end(Outcome ended) {
    {
      std::lock_guard lock(mutex);
      if (!outcome) outcome = std::move(ended);
    }
    changed.notify_all();
  }
  bool has_ended() {
    std::lock_guard lock(mutex);
    return outcome.has_value();
  }
  void finished() {
    {
      std::lock_guard lock(mutex);
      --running;
    }
    changed.notify_all();
  }
};

// A thread's store: the run's limits, and the shared state unlocked after
// each host call.
std::unique_ptr<wasmtime::Store> thread_store(Group& group) {
  auto store = std::make_unique<wasmtime::Store>(group.run.engine);
  group.run.prepare_store(*store);
  wasibuild_store_unlock_wasi_after_host_calls(store->capi());
  return store;
}

// Runs one spawned thread to its end: a new instance of the module in a
// new store, entered at wasi_thread_start(id, start_arg).
void run_spawned(const std::shared_ptr<Group>& group, std::int32_t id, std::int32_t start_arg) {
  auto store = thread_store(*group);
  // A thread that starts after the run ended (spawned just before it)
  // would miss the stop's epoch ticks: it never enters the guest.
  if (group->has_ended()) return;
  auto instance = group->linker->instantiate(*store, group->run.module);
  if (!instance) {
    group->end(group->run.outcome_of_instantiation_failure(instance.err()));
    return;
  }
  auto entry = instance.ok().get(*store, "wasi_thread_start");
  auto* entry_func = entry ? std::get_if<wasmtime::Func>(&*entry) : nullptr;
  if (entry_func == nullptr) {
    group->end(Error{Error::Kind::needs_threads, group->run.file, "it exports no wasi_thread_start"});
    return;
  }
  auto result = entry_func->call(*store, {wasmtime::Val(id), wasmtime::Val(start_arg)});
  if (!result) group->end(group->run.outcome_of_failure(result.err()));
}

// Runs a thread's body; an exception (the host out of memory) ends the run
// as the runner's error rather than escaping a detached thread.
template <class Body>
void guarded(Group& group, Body&& body) {
  try {
    body();
  } catch (const std::exception& failure) {
    group.end(Error{Error::Kind::instantiation_failed, group.run.file, failure.what()});
  }
}

// thread-spawn(start_arg): a thread id, or a negative value when the run is
// ending, the cap is reached or the host cannot make a thread.
std::int32_t spawn(const std::shared_ptr<Group>& group, std::int32_t start_arg) {
  std::int32_t id = 0;
  {
    std::lock_guard lock(group->mutex);
    const std::uint32_t spawned = group->running - 1;  // the caller, a running thread, is counted
    if (group->outcome || spawned >= group->run.max_threads || group->next_id > kMaxThreadId) {
      return kSpawnRefused;
    }
    id = group->next_id++;
    ++group->running;
  }
  const bool started = group->run.start_thread([group, id, start_arg] {
    guarded(*group, [&] { run_spawned(group, id, start_arg); });
    group->finished();
  });
  if (started) return id;
  group->finished();
  return kSpawnRefused;
}

std::optional<std::string> define_spawn(const std::shared_ptr<Group>& group) {
  std::weak_ptr<Group> weak = group;  // the linker is the group's: no cycle
  auto defined = group->linker->func_wrap(kThreadsModule, kSpawn, [weak](std::int32_t start_arg) -> std::int32_t {
    auto shared = weak.lock();
    return shared ? spawn(shared, start_arg) : kSpawnRefused;
  });
  if (!defined) return one_line(defined.err().message());
  return std::nullopt;
}

// proc_exit from any thread ends the process with its status (the low 8
// bits, as a native exit keeps them), then unwinds the calling thread.
std::optional<std::string> define_proc_exit(const std::shared_ptr<Group>& group) {
  std::weak_ptr<Group> weak = group;
  group->linker->allow_shadowing(true);
  auto defined = group->linker->func_wrap(
      "wasi_snapshot_preview1", "proc_exit",
      [weak](std::int32_t status) -> wasmtime::Result<std::monostate, wasmtime::Trap> {
        if (auto shared = weak.lock()) shared->end(Exited{static_cast<int>(static_cast<std::uint32_t>(status) & 0xffu)});
        return wasmtime::Trap("proc_exit");
      });
  group->linker->allow_shadowing(false);
  if (!defined) return one_line(defined.err().message());
  return std::nullopt;
}

std::optional<std::string> define_shared_memory(Group& group, wasmtime::Store& store) {
  const auto& memory = group.run.memory;
  wasm_memorytype_t* type = nullptr;
  if (auto* error = wasmtime_memorytype_new(memory.minimum_pages, memory.maximum_pages.has_value(),
                                            memory.maximum_pages.value_or(0), false, true, 16, &type)) {
    return one_line(wasmtime::Error(error).message());
  }
  auto* error = wasmtime_sharedmemory_new(group.run.engine.capi(), type, &group.memory);
  wasm_memorytype_delete(type);
  if (error != nullptr) return one_line(wasmtime::Error(error).message());
  wasmtime_extern_t item{};
  item.kind = WASMTIME_EXTERN_SHAREDMEMORY;
  item.of.sharedmemory = group.memory;
  if (auto* defined = wasmtime_linker_define(group.linker->capi(), store.context().capi(), "env", 3, "memory", 6, &item)) {
    return one_line(wasmtime::Error(defined).message());
  }
  return std::nullopt;
}

// The linker every thread instantiates through: the shared preview-1
// state, proc_exit, thread-spawn and the shared memory.
std::optional<std::string> define_imports(const std::shared_ptr<Group>& group, wasmtime::Store& store) {
  group->wasi = wasibuild_shared_wasi_new(group->run.wasi.capi_release());
  group->linker = std::make_unique<wasmtime::Linker>(group->run.engine);
  if (auto* error = wasibuild_linker_define_shared_wasi(group->linker->capi(), group->wasi)) {
    return one_line(wasmtime::Error(error).message());
  }
  if (auto error = define_proc_exit(group)) return error;
  if (auto error = define_spawn(group)) return error;
  return define_shared_memory(*group, store);
}

// After the run's end: an epoch tick traps every thread executing wasm
// (each store's deadline is the next tick; a few ticks reach a store made
// just then), and the shared preview-1 state closes, so no thread makes a
// WASI call after the run, whatever it was doing. Threads waiting in
// memory.atomic.wait are not waited for: nothing would wake them.
void stop_threads(Group& group) {
  constexpr int kTicks = 3;
  // For a WASI call in flight: a write finishing. A call blocked in a read
  // or a sleep is not waited for; it stops when it returns.
  constexpr std::uint32_t kPatienceMs = 200;
  {
    std::unique_lock lock(group.mutex);
    for (int tick = 0; tick < kTicks && group.running > 0; ++tick) {
      group.run.engine.increment_epoch();
      group.changed.wait_for(lock, 10ms, [&] { return group.running == 0; });
    }
  }
  (void)wasibuild_shared_wasi_close(group.wasi, kPatienceMs);
}

// The main thread: _start, in a store of its own.
void run_main(const std::shared_ptr<Group>& group) {
  auto owned = thread_store(*group);
  wasmtime::Store& store = *owned;
  auto instance = group->linker->instantiate(store, group->run.module);
  if (!instance) {
    group->end(group->run.outcome_of_instantiation_failure(instance.err()));
    return;
  }
  auto start = instance.ok().get(store, "_start");
  auto* start_func = start ? std::get_if<wasmtime::Func>(&*start) : nullptr;
  if (start_func == nullptr) {
    group->end(Error{Error::Kind::not_a_command, group->run.file, {}});
    return;
  }
  auto result = start_func->call(store, {});
  group->end(result ? Outcome{Exited{0}} : group->run.outcome_of_failure(result.err()));
}

}  // namespace

std::optional<SharedMemoryImport> shared_memory_import(const wasmtime::Module& module) {
  auto memory = memory_import(module);
  if (!memory || !memory->is_shared() || memory->is_64()) return std::nullopt;
  return SharedMemoryImport{memory->min(), memory->max()};
}

bool needs_wasi_threads(const wasmtime::Module& module) {
  return imports_spawn(module) || shared_memory_import(module).has_value() || exports_shared_memory(module);
}

bool exports_function(const wasmtime::Module& module, std::string_view name) {
  return exports_kind(module, name, true);
}

std::optional<std::string> threads_module_problem(const wasmtime::Module& module) {
  if (!shared_memory_import(module)) {
    return "its memory is not an imported 32-bit shared memory (link it with -pthread "
           "-Wl,--import-memory,--shared-memory)";
  }
  if (!exports_kind(module, "memory", false)) {
    return "it does not export its memory, which WASI reads (link it with -Wl,--export-memory)";
  }
  // wasi-libc links wasi_thread_start in with pthread_create only: a
  // threads build that starts no thread has neither, and runs.
  if (imports_spawn(module) && !exports_function(module, "wasi_thread_start")) {
    return "it imports wasi::thread-spawn but exports no wasi_thread_start";
  }
  return std::nullopt;
}

Outcome run_threads(ThreadsRun run) {
  auto group = std::make_shared<Group>(std::move(run));
  {
    // Defining the shared memory takes a store; every thread's store can
    // then import it (a shared memory belongs to the engine).
    wasmtime::Store definer(group->run.engine);
    if (auto error = define_imports(group, definer)) {
      return Error{Error::Kind::instantiation_failed, group->run.file, *error};
    }
  }
  group->running = 1;
  if (!group->run.start_thread([group] {
        guarded(*group, [&] { run_main(group); });
        group->finished();
      })) {
    return Error{Error::Kind::instantiation_failed, group->run.file,
                 fmt::format("cannot start a thread with a {} byte stack for the guest", group->run.max_wasm_stack_bytes)};
  }
  std::unique_lock lock(group->mutex);
  const auto ended = [&] { return group->outcome.has_value(); };
  if (group->run.timeout) {
    // Past the deadline and its grace, threads blocked for good (a
    // deadlock in memory.atomic.wait, which no epoch tick reaches) end the
    // run here, should the caller's stuck hook not have ended the process.
    if (!group->changed.wait_for(lock, *group->run.timeout + 2s, ended)) {
      group->outcome = TimedOut{group->run.file, *group->run.timeout};
    }
  } else {
    group->changed.wait(lock, ended);
  }
  Outcome outcome = *group->outcome;
  lock.unlock();
  if (group->run.ended) group->run.ended();
  stop_threads(*group);
  return outcome;
}

}  // namespace wasibuild::runner
