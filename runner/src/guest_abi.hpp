// How the runner's host functions read and answer a guest's preview 1
// call: its memory, bounds, little-endian words, and the errno result.
// Internal to the runner (descriptors.cpp, pipe_calls.cpp, link_reading.cpp).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <wasmtime.hh>

namespace wasibuild::runner {

// WASI preview 1 errno values the runner's own functions return.
inline constexpr std::int32_t kWasiAgain = 6;  // EAGAIN
inline constexpr std::int32_t kWasiFault = 21;  // EFAULT
inline constexpr std::int32_t kWasiInvalid = 28;  // EINVAL
inline constexpr std::int32_t kWasiNotDirectory = 54;
inline constexpr std::int32_t kWasiNotSocket = 57;
inline constexpr std::int32_t kWasiBrokenPipe = 64;  // EPIPE
inline constexpr std::int32_t kWasiNoSeek = 70;  // ESPIPE
inline constexpr std::int32_t kWasiPermission = 63;  // EPERM

// The guest's memory as the calling instance exports it; empty if none.
inline std::span<std::uint8_t> guest_memory(wasmtime::Caller& caller) {
  auto exported = caller.get_export("memory");
  auto* memory = exported ? std::get_if<wasmtime::Memory>(&*exported) : nullptr;
  if (memory == nullptr) return {};
  auto data = memory->data(caller.context());
  return {data.data(), data.size()};
}

inline bool in_bounds(std::span<const std::uint8_t> memory, std::uint32_t address, std::size_t size) {
  return address <= memory.size() && memory.size() - address >= size;
}

inline std::uint32_t load_u32(std::span<const std::uint8_t> memory, std::uint32_t address) {
  std::uint32_t value;
  std::memcpy(&value, memory.data() + address, sizeof value);
  return value;
}

inline void store_u32(std::span<std::uint8_t> memory, std::uint32_t address, std::uint32_t value) {
  std::memcpy(memory.data() + address, &value, sizeof value);
}

using HostResult = wasmtime::Result<std::monostate, wasmtime::Trap>;

// A preview 1 function's one result: its errno.
inline HostResult answer(wasmtime::Span<wasmtime::Val> results, std::int32_t errno_value) {
  results[0] = wasmtime::Val(errno_value);
  return std::monostate();
}

// What a call of Wasmtime's own function returned (its errno or its trap)
// as this function's result. (The same name as above, in the same scope: an
// overload in a nested namespace would hide that one and recurse.)
inline HostResult answer(wasmtime::Span<wasmtime::Val> results,
                         const wasmtime::Result<std::int32_t, wasmtime::Trap>& called) {
  if (!called) return wasmtime::Trap(called.err().message());
  return answer(results, called.ok());
}

}  // namespace wasibuild::runner
