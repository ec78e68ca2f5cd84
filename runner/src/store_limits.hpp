// How --max-memory becomes Wasmtime's store limits.
//
// Wasmtime's store limiter (wasmtime_store_limiter) caps each linear memory
// and each table separately, plus the number of instances, tables and
// memories in the store; it has no total. A module may declare many memories
// and tables, so a per-memory cap alone lets a guest reach many times its
// budget (100 memories of 64 MiB each, or one table.grow of 100M elements).
// We therefore read how many memories and tables the module defines from its
// binary (imports of either would fail to link: WASI provides functions
// only), fix the counts to exactly that, and split the byte budget between
// them so the caps add up to at most --max-memory:
//   - tables together get an eighth, counted at kTableElementBytes each
//     (more than Wasmtime's own 8-byte slots: conservative);
//   - the rest is split evenly between the memories and, when the module
//     may allocate GC objects or exceptions (a tag section or any non-function
//     type), Wasmtime's GC heap, which grows through the same per-memory cap.
// The split is even rather than weighted by the declared minimums because the
// limiter has one cap for all memories and one for all tables.
// A C or C++ module (one memory, one table) keeps 7/8 of the budget for its
// heap; one that also uses exceptions keeps 7/16.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace wasibuild::runner {

// What a module defines that takes memory in its store.
struct ModuleShape {
  std::uint32_t memories = 0;
  std::uint32_t tables = 0;
  bool may_use_gc_heap = false;
  // The largest initial size the module declares for a memory it defines.
  std::uint64_t memory_minimum_bytes = 0;
  // Why it needs a wasi-threads host (built for wasm32-wasip1-threads, or
  // with -pthread): "imports wasi::thread-spawn", "imports a shared memory"
  // or "defines a shared memory"; empty when it does not.
  std::string threads_need = {};
};

// Reads the section headers of a WebAssembly binary (and the entries of its
// type section); nullopt when it is not a well-formed binary.
[[nodiscard]] std::optional<ModuleShape> module_shape(std::span<const std::uint8_t> binary);

// What a component's core instances take together: the shapes of the
// core modules it instantiates, each counted once per instantiation (a
// nested component's as if instantiated once), and how many core instances
// it makes. nullopt when the binary cannot be read.
struct ComponentShape {
  ModuleShape total;
  std::uint32_t instances = 0;
};
[[nodiscard]] std::optional<ComponentShape> component_shape(std::span<const std::uint8_t> binary);

// The arguments of wasmtime_store_limiter; -1 means "no limit".
struct StoreLimits {
  std::int64_t memory_bytes = -1;  // per memory (and the GC heap)
  std::int64_t table_elements = -1;  // per table
  std::int64_t instances = -1;
  std::int64_t tables = -1;
  std::int64_t memories = -1;
};

inline constexpr std::uint64_t kTableElementBytes = 16;
// Without --max-memory only the counts are bounded, for a module whose shape
// is unknown (a precompiled .cwasm).
inline constexpr std::int64_t kMaxUnknownCount = 100;

// `shape` is nullopt for a precompiled module: it is then assumed to define
// one memory and one table (what C compilers emit) and may use the GC heap.
[[nodiscard]] StoreLimits store_limits(const std::optional<ModuleShape>& shape,
                                       std::optional<std::uint64_t> max_memory_bytes);

// The smallest --max-memory under which every memory of `shape` can be
// created at its declared minimum size.
[[nodiscard]] std::uint64_t smallest_budget_for(const ModuleShape& shape);

}  // namespace wasibuild::runner
