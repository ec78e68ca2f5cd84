// What preview 1 functions do on a pipe end (descriptors.hpp's Pipe),
// which Wasmtime does not know: read, write, fdstat, filestat, the errors
// of everything else, and a pipe's part in poll_oneoff.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "descriptors.hpp"
#include "guest_abi.hpp"

namespace wasibuild::runner {

// A preview 1 function `name` called with a pipe end as its descriptor
// parameter `index` (0: the descriptor it acts on; else a path function's
// second directory).
[[nodiscard]] HostResult pipe_call(std::string_view name, std::size_t index, PipeEnd& end, wasmtime::Caller& caller,
                                   wasmtime::Span<const wasmtime::Val> params, wasmtime::Span<wasmtime::Val> results);

// A blocking call no other thread could ever end: a trap that says so, as
// the gap layer's pthreads do, instead of a hang.
[[nodiscard]] wasmtime::Trap wait_forever(std::string_view what);

// A poll_oneoff subscription (48 bytes: userdata at 0, the tag at 8, a read
// or write subscription's descriptor at 16) that names a pipe end becomes a
// relative clock that fires at once when the pipe is ready (and in a year
// when not); its event (32 bytes: userdata, error at 8, type at 10, bytes at
// 16, flags at 24) is turned back into the pipe's.
struct PipeSubscription {
  std::uint64_t userdata;
  std::uint8_t tag;  // 1: read, 2: write
  std::uint64_t bytes;
  bool hangup;
};

// Rewrites the subscription at `subscription` into that clock; what its
// event must say, and whether the pipe is ready now.
[[nodiscard]] PipeSubscription subscribe_pipe(std::span<std::uint8_t> memory, std::uint32_t subscription,
                                              const PipeEnd& end, bool& ready);

// Turns the clock events of pipe subscriptions back into theirs.
void report_pipe_events(std::span<std::uint8_t> memory, std::uint32_t events, std::uint32_t count_at,
                        const std::vector<PipeSubscription>& pipes);

}  // namespace wasibuild::runner
