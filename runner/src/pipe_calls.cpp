#include "pipe_calls.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <optional>

namespace wasibuild::runner {

namespace {

constexpr std::uint16_t kFdflagNonblock = 4;

// The iovec array of fd_read/fd_write: (address, length) pairs, each in bounds.
std::optional<std::vector<std::span<std::uint8_t>>> io_vectors(std::span<std::uint8_t> memory, std::uint32_t at,
                                                                std::uint32_t count) {
  if (!in_bounds(memory, at, std::size_t{count} * 8)) return std::nullopt;
  std::vector<std::span<std::uint8_t>> vectors;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t base = load_u32(memory, at + 8 * i);
    const std::uint32_t length = load_u32(memory, at + 8 * i + 4);
    if (!in_bounds(memory, base, length)) return std::nullopt;
    vectors.emplace_back(memory.data() + base, length);
  }
  return vectors;
}

HostResult pipe_read(PipeEnd& end, wasmtime::Caller& caller, wasmtime::Span<const wasmtime::Val> params,
                     wasmtime::Span<wasmtime::Val> results) {
  if (end.writes()) return answer(results, kWasiBadDescriptor);
  Pipe& pipe = end.pipe();
  auto memory = guest_memory(caller);
  const auto vectors = io_vectors(memory, static_cast<std::uint32_t>(params[1].i32()), static_cast<std::uint32_t>(params[2].i32()));
  const auto result_at = static_cast<std::uint32_t>(params[3].i32());
  if (!vectors || !in_bounds(memory, result_at, 4)) return answer(results, kWasiFault);
  if (pipe.buffer.empty() && pipe.writers > 0) {
    if (end.nonblocking) return answer(results, kWasiAgain);
    return wait_forever("read from an empty pipe");
  }
  std::uint32_t copied = 0;
  for (const auto& vector : *vectors) {
    const std::size_t n = std::min(vector.size(), pipe.buffer.size());
    std::copy_n(pipe.buffer.begin(), n, vector.begin());
    pipe.buffer.erase(pipe.buffer.begin(), pipe.buffer.begin() + static_cast<std::ptrdiff_t>(n));
    *pipe.all_buffered -= n;
    copied += static_cast<std::uint32_t>(n);
  }
  store_u32(memory, result_at, copied);
  return answer(results, kWasiSuccess);
}

HostResult pipe_write(PipeEnd& end, wasmtime::Caller& caller, wasmtime::Span<const wasmtime::Val> params,
                      wasmtime::Span<wasmtime::Val> results) {
  if (!end.writes()) return answer(results, kWasiBadDescriptor);
  Pipe& pipe = end.pipe();
  auto memory = guest_memory(caller);
  const auto vectors = io_vectors(memory, static_cast<std::uint32_t>(params[1].i32()), static_cast<std::uint32_t>(params[2].i32()));
  const auto result_at = static_cast<std::uint32_t>(params[3].i32());
  if (!vectors || !in_bounds(memory, result_at, 4)) return answer(results, kWasiFault);
  if (pipe.readers == 0) return answer(results, kWasiBrokenPipe);
  std::size_t wanted = 0;
  for (const auto& vector : *vectors) wanted += vector.size();
  if (wanted > 0 && pipe.room() == 0) {
    if (end.nonblocking) return answer(results, kWasiAgain);
    return wait_forever("write to a full pipe");
  }
  std::uint32_t copied = 0;
  for (const auto& vector : *vectors) {
    const std::size_t n = std::min(vector.size(), pipe.room());
    pipe.buffer.insert(pipe.buffer.end(), vector.begin(), vector.begin() + static_cast<std::ptrdiff_t>(n));
    *pipe.all_buffered += n;
    copied += static_cast<std::uint32_t>(n);
  }
  store_u32(memory, result_at, copied);
  return answer(results, kWasiSuccess);
}

// fdstat: filetype unknown (preview 1 has no FIFO), the O_NONBLOCK flag,
// the right to read or to write, and to poll.
HostResult pipe_fdstat(const PipeEnd& end, wasmtime::Caller& caller, std::uint32_t at,
                       wasmtime::Span<wasmtime::Val> results) {
  constexpr std::uint64_t kRightRead = 1u << 1, kRightWrite = 1u << 6, kRightPoll = 1u << 27;
  auto memory = guest_memory(caller);
  if (!in_bounds(memory, at, 24)) return answer(results, kWasiFault);
  std::array<std::uint8_t, 24> fdstat{};
  const std::uint16_t flags = end.nonblocking ? kFdflagNonblock : 0;
  const std::uint64_t rights = (end.writes() ? kRightWrite : kRightRead) | kRightPoll;
  std::memcpy(fdstat.data() + 2, &flags, sizeof flags);
  std::memcpy(fdstat.data() + 8, &rights, sizeof rights);
  std::memcpy(memory.data() + at, fdstat.data(), fdstat.size());
  return answer(results, kWasiSuccess);
}

// filestat: filetype unknown, one link, the size what is buffered.
HostResult pipe_filestat(const PipeEnd& end, wasmtime::Caller& caller, std::uint32_t at,
                         wasmtime::Span<wasmtime::Val> results) {
  auto memory = guest_memory(caller);
  if (!in_bounds(memory, at, 64)) return answer(results, kWasiFault);
  std::array<std::uint8_t, 64> filestat{};
  const std::uint64_t links = 1, size = end.pipe().buffer.size();
  std::memcpy(filestat.data() + 24, &links, sizeof links);
  std::memcpy(filestat.data() + 32, &size, sizeof size);
  std::memcpy(memory.data() + at, filestat.data(), filestat.size());
  return answer(results, kWasiSuccess);
}

// Readiness of a pipe for a read (tag 1) or write subscription, as Linux
// reports it: readable with data or without writers, writable with room or
// without readers (the write then fails with EPIPE).
PipeSubscription pipe_readiness(const PipeEnd& end, std::uint64_t userdata, std::uint8_t tag, bool& ready) {
  const Pipe& pipe = end.pipe();
  if (tag == 1) {
    ready = !pipe.buffer.empty() || pipe.writers == 0;
    return {userdata, tag, pipe.buffer.size(), pipe.writers == 0};
  }
  ready = pipe.room() > 0 || pipe.readers == 0;
  return {userdata, tag, pipe.room(), pipe.readers == 0};
}

void load_clock(std::span<std::uint8_t> memory, std::uint32_t subscription, bool fires_now) {
  constexpr std::uint32_t kMonotonic = 1;
  constexpr std::uint64_t kYear = 365ull * 24 * 3600 * 1'000'000'000;
  const std::uint64_t timeout = fires_now ? 0 : kYear, precision = 0;
  const std::uint16_t relative = 0;
  memory[subscription + 8] = 0;
  store_u32(memory, subscription + 16, kMonotonic);
  std::memcpy(memory.data() + subscription + 24, &timeout, sizeof timeout);
  std::memcpy(memory.data() + subscription + 32, &precision, sizeof precision);
  std::memcpy(memory.data() + subscription + 40, &relative, sizeof relative);
}

}  // namespace

wasmtime::Trap wait_forever(std::string_view what) {
  return wasmtime::Trap(fmt::format("{}: this program holds the other end itself and has no other thread, so it "
                                    "would wait forever (O_NONBLOCK gives EAGAIN instead)",
                                    what));
}

HostResult pipe_call(std::string_view name, std::size_t index, PipeEnd& end, wasmtime::Caller& caller,
                     wasmtime::Span<const wasmtime::Val> params, wasmtime::Span<wasmtime::Val> results) {
  if (index == 0) {
    if (name == "fd_read") return pipe_read(end, caller, params, results);
    if (name == "fd_write") return pipe_write(end, caller, params, results);
    if (name == "fd_fdstat_get") return pipe_fdstat(end, caller, static_cast<std::uint32_t>(params[1].i32()), results);
    if (name == "fd_filestat_get") {
      return pipe_filestat(end, caller, static_cast<std::uint32_t>(params[1].i32()), results);
    }
    if (name == "fd_fdstat_set_flags") {
      end.nonblocking = (static_cast<std::uint32_t>(params[1].i32()) & kFdflagNonblock) != 0;
      return answer(results, kWasiSuccess);
    }
    for (const std::string_view seeks : {"fd_seek", "fd_tell", "fd_pread", "fd_pwrite", "fd_advise", "fd_allocate"}) {
      if (name == seeks) return answer(results, kWasiNoSeek);
    }
    if (name.starts_with("sock_")) return answer(results, kWasiNotSocket);
    if (name.starts_with("fd_prestat")) return answer(results, kWasiBadDescriptor);
    if (!name.starts_with("path_") && name != "fd_readdir") return answer(results, kWasiInvalid);
  }
  return answer(results, kWasiNotDirectory);  // a path function's directory
}

PipeSubscription subscribe_pipe(std::span<std::uint8_t> memory, std::uint32_t subscription, const PipeEnd& end,
                                bool& ready) {
  std::uint64_t userdata;
  std::memcpy(&userdata, memory.data() + subscription, sizeof userdata);
  const PipeSubscription pipe = pipe_readiness(end, userdata, memory[subscription + 8], ready);
  load_clock(memory, subscription, ready);
  return pipe;
}

void report_pipe_events(std::span<std::uint8_t> memory, std::uint32_t events, std::uint32_t count_at,
                        const std::vector<PipeSubscription>& pipes) {
  if (!in_bounds(memory, count_at, 4)) return;
  const std::uint32_t count = load_u32(memory, count_at);
  if (!in_bounds(memory, events, std::size_t{count} * 32)) return;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t event = events + 32 * i;
    std::uint64_t userdata;
    std::memcpy(&userdata, memory.data() + event, sizeof userdata);
    if (memory[event + 10] != 0) continue;  // not a clock
    for (const PipeSubscription& pipe : pipes) {
      if (pipe.userdata != userdata) continue;
      const std::uint16_t no_error = 0, flags = pipe.hangup ? 1 : 0;
      std::memcpy(memory.data() + event + 8, &no_error, sizeof no_error);
      memory[event + 10] = pipe.tag;
      std::memcpy(memory.data() + event + 16, &pipe.bytes, sizeof pipe.bytes);
      std::memcpy(memory.data() + event + 24, &flags, sizeof flags);
      break;
    }
  }
}

}  // namespace wasibuild::runner
