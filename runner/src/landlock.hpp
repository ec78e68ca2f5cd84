// The kernel's second wall (design.md, decision 15): once a run has opened
// everything it needs (the module, the compiled-code cache, the granted
// directories), the process confines itself with Landlock to exactly the
// directories the guest was granted, with the same read-only or read-write
// access (and no symbolic links made where links must stay contained), no
// TCP bind or connect but on the ports of the network grants (a
// component's; the engine checks their addresses), no abstract unix
// sockets and no signals to
// processes outside. If a bug in the WASI layer or the engine ever let a
// guest ask the host for a file it was not granted, the kernel refuses.
//
// Landlock confines the calling thread and the threads it starts later.
// Wasmtime's WASI work runs on the calling thread and on a Tokio runtime it
// creates at the first WASI call, after confinement; threads started before
// (the timeout watchdog, the compiler's pool) stay unconfined, and run no
// guest-driven code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// Confines this thread and its future threads to `grants`, and to the TCP
// ports of `network`'s grants (with --allow-dns, the resolver's files). Does nothing
// where the kernel has no Landlock; returns why it failed otherwise.
[[nodiscard]] std::optional<std::string> confine_to_grants(const std::vector<DirectoryGrant>& grants,
                                                           const NetworkPolicy& network = {});

}  // namespace wasibuild::runner
