// Descriptor duplication (dup, dup2) and pipes for WASI preview 1 modules.
//
// Preview 1 has no way to duplicate a descriptor, and Wasmtime keeps its
// descriptor table private, so the runner puts a table of its own between
// the guest's descriptor numbers and Wasmtime's: a number the guest sees
// ("guest descriptor") names one of Wasmtime's descriptors ("engine
// descriptor"), and a duplicate is a second guest number for the same engine
// descriptor, sharing its offset and flags, as POSIX wants. The engine
// descriptor is closed when the last guest number for it is. Until a module
// duplicates anything the two numberings are the same. A guest number may
// also name a pipe the runner keeps itself (pipe()).
//
// The table is installed only for a module that imports wasibuild's
// `fd_dup`, `fd_dup2` or `fd_pipe` (the POSIX gap layer's dup() and pipe());
// every other module runs on Wasmtime's functions directly. docs/posix.md has the guest's side.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include <wasmtime.hh>

#include "engine_functions.hpp"

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

// A pipe (pipe()), kept by the runner: preview 1 has none, and a program
// without threads can only ever read what it wrote itself. Its capacity is
// Linux's default, 64 KiB; all of a module's pipes together hold at most
// 1 MiB, as this memory is the runner's, outside --max-memory.
struct Pipe {
  static constexpr std::size_t kCapacity = 65536;
  static constexpr std::size_t kAllPipesCapacity = 1 << 20;
  explicit Pipe(std::shared_ptr<std::size_t> module_buffered) : all_buffered(std::move(module_buffered)) {}
  ~Pipe() { *all_buffered -= buffer.size(); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // How many more bytes a write may add.
  [[nodiscard]] std::size_t room() const {
    return std::min(kCapacity - buffer.size(), kAllPipesCapacity - *all_buffered);
  }

  std::deque<std::uint8_t> buffer;
  std::shared_ptr<std::size_t> all_buffered;  // by all pipes of the module
  int readers = 0;  // open read ends (PipeEnd objects)
  int writers = 0;
};

// One end of a pipe as opened: every guest number that duplicates it shares
// it, and with it its O_NONBLOCK flag, as POSIX's open file description.
// The pipe counts it while it exists.
class PipeEnd {
 public:
  PipeEnd(std::shared_ptr<Pipe> pipe, bool writes);
  ~PipeEnd();
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;

  [[nodiscard]] Pipe& pipe() const { return *pipe_; }
  [[nodiscard]] bool writes() const { return writes_; }
  bool nonblocking = false;

 private:
  std::shared_ptr<Pipe> pipe_;
  bool writes_;
};

// What a guest number names: one of Wasmtime's descriptors, or a pipe end.
using Target = std::variant<EngineFd, std::shared_ptr<PipeEnd>>;

class DescriptorTable {
 public:
  // Whether Wasmtime has this descriptor open (asked of the engine).
  using EngineHasOpen = std::function<bool(EngineFd)>;

  // What a guest number names, if anything. A number the table has no
  // entry for names the engine descriptor of the same number (which may be
  // closed: Wasmtime then answers EBADF itself).
  [[nodiscard]] std::optional<Target> target(GuestFd guest) const;

  // The engine descriptor a guest number names, if it names one.
  [[nodiscard]] std::optional<EngineFd> engine_fd(GuestFd guest) const;

  // The pipe end a guest number names, if it names one.
  [[nodiscard]] std::shared_ptr<PipeEnd> pipe_end(GuestFd guest) const;

  // Whether `guest` names an open descriptor.
  [[nodiscard]] bool is_open(GuestFd guest, const EngineHasOpen& engine_has_open) const;

  // Forgets `guest`. Returns the engine descriptor to close when that was
  // its last guest number; nullopt when it stays open, or `guest` named a
  // pipe end (which closes with its last number by itself) or nothing.
  [[nodiscard]] std::optional<EngineFd> release(GuestFd guest);

  // dup(): the lowest free guest number for what `guest` names, which must
  // be open; EMFILE past kDescriptorLimit.
  [[nodiscard]] std::int32_t duplicate(GuestFd guest, const EngineHasOpen& engine_has_open, GuestFd& result);

  // dup2() once `number` has been released: `number` names `target`.
  void bind(GuestFd number, const Target& target);

  // A descriptor Wasmtime just opened (path_open, sock_accept): its guest
  // number, which is its own unless that number is taken.
  [[nodiscard]] std::int32_t adopt(EngineFd opened, const EngineHasOpen& engine_has_open, GuestFd& result);

  // pipe(): a new pipe, its read end at the lowest free number and its
  // write end at the next.
  [[nodiscard]] std::int32_t open_pipe(const EngineHasOpen& engine_has_open, GuestFd& read_end, GuestFd& write_end);

  // Whether the numberings still agree everywhere (nothing duplicated, or
  // every duplicate closed again).
  [[nodiscard]] bool is_identity() const { return bound_.empty() && hidden_.empty(); }

 private:
  [[nodiscard]] bool still_referenced(EngineFd engine) const;
  [[nodiscard]] bool guest_number_free(GuestFd guest, const EngineHasOpen& engine_has_open) const;
  [[nodiscard]] std::optional<GuestFd> lowest_free(const EngineHasOpen& engine_has_open) const;

  std::shared_ptr<std::size_t> pipe_bytes_ = std::make_shared<std::size_t>(0);
  // Guest numbers that name a pipe end, or another engine descriptor than
  // their own number.
  std::map<GuestFd, Target> bound_;
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
// `compile` turns the trampoline's text into a module (engine_functions.hpp).
[[nodiscard]] std::optional<std::string> define_descriptor_duplication(wasmtime::Linker& linker,
                                                                       wasmtime::Store& store,
                                                                       const wasmtime::Module& module,
                                                                       const CompileText& compile);

}  // namespace wasibuild::runner
