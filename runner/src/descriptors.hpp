// Descriptor duplication (dup, dup2) for WASI preview 1 modules.
//
// Preview 1 has no way to duplicate a descriptor, and Wasmtime keeps its
// descriptor table private, so the runner puts a table of its own between
// the guest's descriptor numbers and Wasmtime's: a number the guest sees
// ("guest descriptor") names one of Wasmtime's descriptors ("engine
// descriptor"), and a duplicate is a second guest number for the same engine
// descriptor, sharing its offset and flags, as POSIX wants. The engine
// descriptor is closed when the last guest number for it is. Until a module
// duplicates anything the two numberings are the same.
//
// The table is installed only for a module that imports wasibuild's
// `fd_dup`/`fd_dup2` (the POSIX gap layer's dup()); every other module runs
// on Wasmtime's functions directly. docs/posix.md has the guest's side.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace wasmtime {
class Engine;
class Linker;
class Module;
class Store;
}  // namespace wasmtime

namespace wasibuild::runner {

// A descriptor number as the guest sees it, and one of Wasmtime's.
using GuestFd = std::uint32_t;
using EngineFd = std::uint32_t;

// WASI preview 1 errno values the table returns itself.
inline constexpr std::int32_t kWasiSuccess = 0;
inline constexpr std::int32_t kWasiBadDescriptor = 8;
inline constexpr std::int32_t kWasiTooManyFiles = 33;

// RLIMIT_NOFILE as the gap layer's getrlimit reports it: duplicates stay
// below it, so a guest that duplicates in a loop gets EMFILE, not the host's
// memory.
inline constexpr GuestFd kDescriptorLimit = 1024;

class DescriptorTable {
 public:
  // Whether Wasmtime has this descriptor open (asked of the engine).
  using EngineHasOpen = std::function<bool(EngineFd)>;

  // The engine descriptor a guest number names, if any.
  [[nodiscard]] std::optional<EngineFd> engine_fd(GuestFd guest) const;

  // Whether `guest` names a descriptor Wasmtime has open.
  [[nodiscard]] bool is_open(GuestFd guest, const EngineHasOpen& engine_has_open) const;

  // Forgets `guest`. Returns the engine descriptor to close when that was
  // its last guest number; nullopt when it stays open (or `guest` named none,
  // which `engine_fd` tells apart).
  [[nodiscard]] std::optional<EngineFd> release(GuestFd guest);

  // dup(): the lowest free guest number for the same engine descriptor.
  // `guest` must name one; EMFILE past kDescriptorLimit.
  [[nodiscard]] std::int32_t duplicate(GuestFd guest, const EngineHasOpen& engine_has_open, GuestFd& result);

  // dup2() once `target` has been released: `target` names `guest`'s engine
  // descriptor.
  void bind(GuestFd target, EngineFd engine);

  // A descriptor Wasmtime just opened (path_open, sock_accept): its guest
  // number, which is its own unless that number is taken.
  [[nodiscard]] std::int32_t adopt(EngineFd opened, const EngineHasOpen& engine_has_open, GuestFd& result);

  // Whether the numberings still agree everywhere (nothing duplicated, or
  // every duplicate closed again).
  [[nodiscard]] bool is_identity() const { return bound_.empty() && hidden_.empty(); }

 private:
  [[nodiscard]] bool still_referenced(EngineFd engine) const;
  [[nodiscard]] bool guest_number_free(GuestFd guest, const EngineHasOpen& engine_has_open) const;

  // Guest numbers that name another engine descriptor than their own number.
  std::map<GuestFd, EngineFd> bound_;
  // Open engine descriptors whose own number no longer names them (it was
  // closed or rebound while a duplicate kept the descriptor open).
  std::set<EngineFd> hidden_;
};

// Whether `module` imports wasibuild's descriptor functions. Its store then
// needs room for one more instance: the table calls Wasmtime's functions
// through a small module of its own (see descriptors.cpp).
[[nodiscard]] bool imports_descriptor_duplication(const wasmtime::Module& module);

// Installs the table for `module` when it imports wasibuild's descriptor
// functions: defines them and wraps every preview 1 function that takes or
// returns a descriptor. Call after the linker has WASI; the store must be
// the one the module will run in. Returns an error message on failure.
[[nodiscard]] std::optional<std::string> define_descriptor_duplication(wasmtime::Engine& engine,
                                                                       wasmtime::Linker& linker,
                                                                       wasmtime::Store& store,
                                                                       const wasmtime::Module& module);

}  // namespace wasibuild::runner
