#include "descriptors.hpp"

#include "engine_functions.hpp"
#include "guest_abi.hpp"
#include "pipe_calls.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <wasmtime.hh>

namespace wasibuild::runner {

// ---- The table ----

PipeEnd::PipeEnd(std::shared_ptr<Pipe> pipe, bool writes) : pipe_(std::move(pipe)), writes_(writes) {
  ++(writes_ ? pipe_->writers : pipe_->readers);
}

PipeEnd::~PipeEnd() { --(writes_ ? pipe_->writers : pipe_->readers); }

std::optional<Target> DescriptorTable::target(GuestFd guest) const {
  if (auto bound = bound_.find(guest); bound != bound_.end()) return bound->second;
  if (hidden_.contains(guest)) return std::nullopt;
  return Target{guest};
}

std::optional<EngineFd> DescriptorTable::engine_fd(GuestFd guest) const {
  const std::optional<Target> named = target(guest);
  const EngineFd* engine = named ? std::get_if<EngineFd>(&*named) : nullptr;
  if (engine == nullptr) return std::nullopt;
  return *engine;
}

std::shared_ptr<PipeEnd> DescriptorTable::pipe_end(GuestFd guest) const {
  const auto bound = bound_.find(guest);
  if (bound == bound_.end()) return nullptr;
  const auto* end = std::get_if<std::shared_ptr<PipeEnd>>(&bound->second);
  return end != nullptr ? *end : nullptr;
}

bool DescriptorTable::still_referenced(EngineFd engine) const {
  for (const auto& [guest, named] : bound_) {
    if (const auto* other = std::get_if<EngineFd>(&named); other != nullptr && *other == engine) return true;
  }
  return !bound_.contains(engine) && !hidden_.contains(engine);
}

// A number is free when it names nothing: not bound, and its own engine
// descriptor is closed or hidden. Every bound number's own engine
// descriptor is closed or hidden, so bound numbers never alias it.
bool DescriptorTable::guest_number_free(GuestFd guest, const EngineHasOpen& engine_has_open) const {
  return !bound_.contains(guest) && (hidden_.contains(guest) || !engine_has_open(guest));
}

std::optional<GuestFd> DescriptorTable::lowest_free(const EngineHasOpen& engine_has_open) const {
  for (GuestFd candidate = 0; candidate < kDescriptorLimit; ++candidate) {
    if (guest_number_free(candidate, engine_has_open)) return candidate;
  }
  return std::nullopt;
}

bool DescriptorTable::is_open(GuestFd guest, const EngineHasOpen& engine_has_open) const {
  if (bound_.contains(guest)) return true;  // a bound number's descriptor is open
  return !hidden_.contains(guest) && engine_has_open(guest);
}

std::optional<EngineFd> DescriptorTable::release(GuestFd guest) {
  const std::optional<Target> named = target(guest);
  if (!named) return std::nullopt;
  if (!bound_.erase(guest)) hidden_.insert(guest);
  const EngineFd* engine = std::get_if<EngineFd>(&*named);
  if (engine == nullptr || still_referenced(*engine)) return std::nullopt;
  hidden_.erase(*engine);
  return *engine;
}

void DescriptorTable::bind(GuestFd number, const Target& named) {
  if (const auto* engine = std::get_if<EngineFd>(&named); engine != nullptr && *engine == number) {
    hidden_.erase(number);
  } else {
    bound_[number] = named;
  }
}

std::int32_t DescriptorTable::duplicate(GuestFd guest, const EngineHasOpen& engine_has_open, GuestFd& result) {
  const std::optional<Target> named = target(guest);
  if (!named || !is_open(guest, engine_has_open)) return kWasiBadDescriptor;
  const std::optional<GuestFd> free = lowest_free(engine_has_open);
  if (!free) return kWasiTooManyFiles;
  bind(*free, *named);
  result = *free;
  return kWasiSuccess;
}

std::int32_t DescriptorTable::adopt(EngineFd opened, const EngineHasOpen& engine_has_open, GuestFd& result) {
  if (!bound_.contains(opened)) {
    result = opened;
    return kWasiSuccess;
  }
  const std::optional<GuestFd> free = lowest_free(engine_has_open);
  if (!free) return kWasiTooManyFiles;
  bound_[*free] = opened;
  hidden_.insert(opened);
  result = *free;
  return kWasiSuccess;
}

std::int32_t DescriptorTable::open_pipe(const EngineHasOpen& engine_has_open, GuestFd& read_end, GuestFd& write_end) {
  const std::optional<GuestFd> first = lowest_free(engine_has_open);
  if (!first) return kWasiTooManyFiles;
  auto pipe = std::make_shared<Pipe>(pipe_bytes_);
  bound_[*first] = std::make_shared<PipeEnd>(pipe, false);
  const std::optional<GuestFd> second = lowest_free(engine_has_open);
  if (!second) {
    bound_.erase(*first);
    return kWasiTooManyFiles;
  }
  bound_[*second] = std::make_shared<PipeEnd>(pipe, true);
  read_end = *first;
  write_end = *second;
  return kWasiSuccess;
}

// ---- The guest's functions ----

namespace {

constexpr std::string_view kWasibuild = "wasibuild";

// Where a preview 1 function takes descriptors, and where it writes one it
// opened (the index of the result pointer; -1: none). From the witx of
// wasi_snapshot_preview1; a function not listed takes no descriptor.
struct DescriptorUse {
  std::vector<std::size_t> descriptors;
  int opened_at = -1;
};

const std::unordered_map<std::string_view, DescriptorUse>& descriptor_uses() {
  static const std::unordered_map<std::string_view, DescriptorUse> uses = {
      {"fd_advise", {{0}}},           {"fd_allocate", {{0}}},
      {"fd_datasync", {{0}}},         {"fd_fdstat_get", {{0}}},
      {"fd_fdstat_set_flags", {{0}}}, {"fd_fdstat_set_rights", {{0}}},
      {"fd_filestat_get", {{0}}},     {"fd_filestat_set_size", {{0}}},
      {"fd_filestat_set_times", {{0}}}, {"fd_pread", {{0}}},
      {"fd_prestat_get", {{0}}},      {"fd_prestat_dir_name", {{0}}},
      {"fd_pwrite", {{0}}},           {"fd_read", {{0}}},
      {"fd_readdir", {{0}}},          {"fd_seek", {{0}}},
      {"fd_sync", {{0}}},             {"fd_tell", {{0}}},
      {"fd_write", {{0}}},            {"path_create_directory", {{0}}},
      {"path_filestat_get", {{0}}},   {"path_filestat_set_times", {{0}}},
      {"path_link", {{0, 4}}},        {"path_open", {{0}, 8}},
      {"path_readlink", {{0}}},       {"path_remove_directory", {{0}}},
      {"path_rename", {{0, 3}}},      {"path_symlink", {{2}}},
      {"path_unlink_file", {{0}}},    {"sock_accept", {{0}, 2}},
      {"sock_recv", {{0}}},           {"sock_send", {{0}}},
      {"sock_shutdown", {{0}}},
  };
  return uses;
}

// What the wrappers share: the table and Wasmtime's own functions.
struct Descriptors {
  DescriptorTable table;
  EngineFunctions engine;

  explicit Descriptors(CompileText compile) : engine(std::move(compile)) {}

  // Calls Wasmtime's function `name`; its errno, or the trap it raised.
  wasmtime::Result<std::int32_t, wasmtime::Trap> call(wasmtime::Caller& caller, std::string_view name,
                                                     const std::vector<wasmtime::Val>& arguments) {
    return engine.call(caller, name, arguments);
  }

  // Asks Wasmtime whether it has `fd` open: fd_fdstat_get writes 24 bytes,
  // so it writes them over the start of memory, which is put back after.
  DescriptorTable::EngineHasOpen engine_has_open(wasmtime::Caller& caller) {
    return [this, &caller](EngineFd fd) {
      constexpr std::size_t kFdstatSize = 24;
      auto memory = guest_memory(caller);
      if (memory.size() < kFdstatSize) return true;  // cannot ask: treat the number as taken
      std::array<std::uint8_t, kFdstatSize> saved;
      std::memcpy(saved.data(), memory.data(), saved.size());
      auto answer = call(caller, "fd_fdstat_get", {wasmtime::Val(static_cast<std::int32_t>(fd)), wasmtime::Val(0)});
      std::memcpy(guest_memory(caller).data(), saved.data(), saved.size());
      return !answer || answer.ok() != kWasiBadDescriptor;
    };
  }
};

using Shared = std::shared_ptr<Descriptors>;

std::vector<wasmtime::Val> copy(wasmtime::Span<const wasmtime::Val> params) { return {params.begin(), params.end()}; }

// A function that takes descriptors (and may open one): the guest's numbers
// become Wasmtime's on the way in, an opened one the guest's on the way out.
auto forwarding(Shared shared, std::string_view name, DescriptorUse use) {
  return [shared, name, use](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                             wasmtime::Span<wasmtime::Val> results) -> HostResult {
    std::vector<wasmtime::Val> arguments = copy(params);
    for (const std::size_t index : use.descriptors) {
      const auto guest = static_cast<GuestFd>(params[index].i32());
      if (auto end = shared->table.pipe_end(guest)) return pipe_call(name, index, *end, caller, params, results);
      const auto engine = shared->table.engine_fd(guest);
      if (!engine) return answer(results, kWasiBadDescriptor);
      arguments[index] = wasmtime::Val(static_cast<std::int32_t>(*engine));
    }
    auto called = shared->call(caller, name, arguments);
    if (!called || called.ok() != kWasiSuccess || use.opened_at < 0) return answer(results, called);
    const auto at = static_cast<std::uint32_t>(params[use.opened_at].i32());
    auto memory = guest_memory(caller);
    if (!in_bounds(memory, at, 4)) return answer(results, called);
    const EngineFd opened = load_u32(memory, at);
    GuestFd guest = 0;
    if (const auto error = shared->table.adopt(opened, shared->engine_has_open(caller), guest)) {
      (void)shared->call(caller, "fd_close", {wasmtime::Val(static_cast<std::int32_t>(opened))});
      return answer(results, error);
    }
    store_u32(guest_memory(caller), at, guest);
    return answer(results, called);
  };
}

// close(): the engine descriptor (or pipe end) closes with its last guest
// number.
HostResult close_descriptor(Descriptors& shared, wasmtime::Caller& caller, GuestFd guest,
                            wasmtime::Span<wasmtime::Val> results) {
  if (!shared.table.target(guest)) return answer(results, kWasiBadDescriptor);
  const std::optional<EngineFd> last = shared.table.release(guest);
  if (!last) return answer(results, kWasiSuccess);
  return answer(results, shared.call(caller, "fd_close", {wasmtime::Val(static_cast<std::int32_t>(*last))}));
}

// dup2(): `target` closes (as POSIX has it, quietly) and names `guest`'s
// descriptor.
std::int32_t duplicate_onto(Descriptors& shared, wasmtime::Caller& caller, GuestFd guest, GuestFd target) {
  const std::optional<Target> named = shared.table.target(guest);
  if (!named || target >= kDescriptorLimit) return kWasiBadDescriptor;
  if (!shared.table.is_open(guest, shared.engine_has_open(caller))) return kWasiBadDescriptor;
  if (guest == target) return kWasiSuccess;
  if (const auto closed = shared.table.release(target)) {
    (void)shared.call(caller, "fd_close", {wasmtime::Val(static_cast<std::int32_t>(*closed))});
  }
  shared.table.bind(target, *named);
  return kWasiSuccess;
}

// poll_oneoff's subscriptions name descriptors in memory. They are
// rewritten for the call and put back after it: a guest number becomes
// Wasmtime's, a pipe end a clock (pipe_calls.hpp), whose event is turned
// back into the pipe's.
HostResult poll(Descriptors& shared, wasmtime::Caller& caller, wasmtime::Span<const wasmtime::Val> params,
                wasmtime::Span<wasmtime::Val> results) {
  constexpr std::size_t kSubscriptionSize = 48;
  const auto first = static_cast<std::uint32_t>(params[0].i32());
  const auto count = static_cast<std::uint32_t>(params[2].i32());
  auto memory = guest_memory(caller);
  if (shared.table.is_identity() || !in_bounds(memory, first, std::size_t{count} * kSubscriptionSize)) {
    return answer(results, shared.call(caller, "poll_oneoff", copy(params)));
  }
  std::vector<std::pair<std::uint32_t, std::array<std::uint8_t, kSubscriptionSize>>> saved;
  std::vector<PipeSubscription> pipes;
  bool pipe_ready = false, other_waits = false;
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto subscription = static_cast<std::uint32_t>(first + i * kSubscriptionSize);
    const std::uint8_t tag = memory[subscription + 8];
    if (tag != 1 && tag != 2) {  // a clock
      other_waits = true;
      continue;
    }
    saved.emplace_back(subscription, std::array<std::uint8_t, kSubscriptionSize>{});
    std::memcpy(saved.back().second.data(), memory.data() + subscription, kSubscriptionSize);
    const GuestFd guest = load_u32(memory, subscription + 16);
    if (const auto end = shared.table.pipe_end(guest)) {
      bool ready = false;
      pipes.push_back(subscribe_pipe(memory, subscription, *end, ready));
      pipe_ready = pipe_ready || ready;
    } else {
      other_waits = true;
      store_u32(memory, subscription + 16, shared.table.engine_fd(guest).value_or(UINT32_MAX));
    }
  }
  auto restore = [&] {
    memory = guest_memory(caller);
    for (const auto& [address, bytes] : saved) std::memcpy(memory.data() + address, bytes.data(), bytes.size());
  };
  if (!pipes.empty() && !pipe_ready && !other_waits) {
    restore();
    return wait_forever("poll() on pipes none of which is ready");
  }
  auto called = shared.call(caller, "poll_oneoff", copy(params));
  restore();
  if (called && called.ok() == kWasiSuccess && !pipes.empty()) {
    report_pipe_events(memory, static_cast<std::uint32_t>(params[1].i32()), static_cast<std::uint32_t>(params[3].i32()),
                       pipes);
  }
  return answer(results, called);
}

wasmtime::Result<std::monostate> define_duplication_imports(wasmtime::Linker& linker, const Shared& shared) {
  const wasmtime::FuncType two_to_one({wasmtime::ValType::i32(), wasmtime::ValType::i32()}, {wasmtime::ValType::i32()});
  auto dup = linker.func_new(kWasibuild, "fd_dup", two_to_one,
                             [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                      wasmtime::Span<wasmtime::Val> results) -> HostResult {
                               const auto at = static_cast<std::uint32_t>(params[1].i32());
                               if (!in_bounds(guest_memory(caller), at, 4)) return answer(results, kWasiFault);
                               GuestFd duplicate = 0;
                               const auto error = shared->table.duplicate(static_cast<GuestFd>(params[0].i32()),
                                                                          shared->engine_has_open(caller), duplicate);
                               if (error == kWasiSuccess) store_u32(guest_memory(caller), at, duplicate);
                               return answer(results, error);
                             });
  if (!dup) return dup;
  const wasmtime::FuncType one_to_one({wasmtime::ValType::i32()}, {wasmtime::ValType::i32()});
  auto pipe = linker.func_new(kWasibuild, "fd_pipe", one_to_one,
                              [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                       wasmtime::Span<wasmtime::Val> results) -> HostResult {
                                const auto at = static_cast<std::uint32_t>(params[0].i32());
                                if (!in_bounds(guest_memory(caller), at, 8)) return answer(results, kWasiFault);
                                GuestFd read_end = 0, write_end = 0;
                                const auto error =
                                    shared->table.open_pipe(shared->engine_has_open(caller), read_end, write_end);
                                if (error == kWasiSuccess) {
                                  store_u32(guest_memory(caller), at, read_end);
                                  store_u32(guest_memory(caller), at + 4, write_end);
                                }
                                return answer(results, error);
                              });
  if (!pipe) return pipe;
  return linker.func_new(kWasibuild, "fd_dup2", two_to_one,
                         [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                  wasmtime::Span<wasmtime::Val> results) -> HostResult {
                           return answer(results, duplicate_onto(*shared, caller, static_cast<GuestFd>(params[0].i32()),
                                                                 static_cast<GuestFd>(params[1].i32())));
                         });
}

// fd_close, fd_renumber and poll_oneoff need more than a translation.
wasmtime::Result<std::monostate> define_special(wasmtime::Linker& linker, const Shared& shared, std::string_view name,
                                                const wasmtime::FuncType& type) {
  if (name == "fd_close") {
    return linker.func_new(kPreview1, name, type,
                           [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                    wasmtime::Span<wasmtime::Val> results) -> HostResult {
                             return close_descriptor(*shared, caller, static_cast<GuestFd>(params[0].i32()), results);
                           });
  }
  if (name == "fd_renumber") {  // dup2(from, to), then close(from)
    return linker.func_new(kPreview1, name, type,
                           [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                    wasmtime::Span<wasmtime::Val> results) -> HostResult {
                             const auto from = static_cast<GuestFd>(params[0].i32());
                             const auto to = static_cast<GuestFd>(params[1].i32());
                             if (const auto error = duplicate_onto(*shared, caller, from, to)) {
                               return answer(results, error);
                             }
                             if (from == to) return answer(results, kWasiSuccess);
                             return close_descriptor(*shared, caller, from, results);
                           });
  }
  return linker.func_new(kPreview1, name, type,
                         [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                  wasmtime::Span<wasmtime::Val> results) -> HostResult {
                           return poll(*shared, caller, params, results);
                         });
}

// The functions define_special() handles, by a name with static storage.
std::optional<std::string_view> special_name(std::string_view name) {
  for (const std::string_view special : {"fd_close", "fd_renumber", "poll_oneoff"}) {
    if (name == special) return special;
  }
  return std::nullopt;
}

}  // namespace

bool imports_descriptor_duplication(const wasmtime::Module& module) {
  for (const auto& import : module.imports()) {
    if (import.module() == kWasibuild &&
        (import.name() == "fd_dup" || import.name() == "fd_dup2" || import.name() == "fd_pipe")) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> define_descriptor_duplication(wasmtime::Linker& linker, wasmtime::Store& store,
                                                         const wasmtime::Module& module, const CompileText& compile) {
  if (!imports_descriptor_duplication(module)) return std::nullopt;
  // Wasmtime's own functions, taken before they are shadowed: those the
  // module imports, and the two the table itself calls.
  auto shared = std::make_shared<Descriptors>(compile);
  auto take = [&](std::string_view name) { return shared->engine.take(linker, store, name); };
  if (!take("fd_fdstat_get") || !take("fd_close")) return "the engine has no WASI preview 1 descriptor functions";
  for (const auto& import : module.imports()) {
    if (import.module() != kPreview1) continue;
    // The map's keys outlive the module's import list: keep those.
    if (const auto use = descriptor_uses().find(import.name()); use != descriptor_uses().end()) {
      (void)take(use->first);
    } else if (const auto special = special_name(import.name())) {
      (void)take(*special);
    }
  }
  linker.allow_shadowing(true);
  wasmtime::Result<std::monostate> defined = std::monostate();
  for (const auto& [name, type] : shared->engine.taken()) {
    if (!defined) break;
    const auto use = descriptor_uses().find(name);
    defined = use != descriptor_uses().end() ? linker.func_new(kPreview1, name, type, forwarding(shared, name, use->second))
                                             : define_special(linker, shared, name, type);
  }
  if (defined) defined = define_duplication_imports(linker, shared);
  linker.allow_shadowing(false);
  if (!defined) return defined.err().message();
  return std::nullopt;
}

}  // namespace wasibuild::runner
