// Compiling core modules and components through the compiled-code cache.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <wasmtime.hh>

#include "code_cache.hpp"
#include "engine.hpp"
#include "sha256.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// The cache key: the binary and everything in the engine that changes the
// code made from it. A component and a core module never share a binary
// (their headers differ), so one key space holds both.
[[nodiscard]] inline std::string cache_key(std::span<const std::uint8_t> bytes, const EngineSettings& settings) {
  Sha256 hasher;
  hasher.update(bytes);
  hasher.update(std::string_view("\0", 1));
  hasher.update(fingerprint(settings));
  return to_hex(hasher.finish());
}

// Takes the compiled `Artifact` (wasmtime::Module or
// wasmtime::component::Component) of a binary from the cache, or compiles
// it and stores it there (when a cache is configured). An entry the engine
// refuses (made by an incompatible engine or host) is rebuilt.
template <class Artifact>
wasmtime::Result<Artifact> compile_through_cache(wasmtime::Engine& engine, const EngineSettings& settings,
                                                 std::span<const std::uint8_t> bytes,
                                                 const std::optional<CacheOptions>& cache_options) {
  std::optional<CodeCache> cache;
  std::string key;
  if (cache_options) {
    cache.emplace(*cache_options);
    key = cache_key(bytes, settings);
    if (auto entry = cache->load(key)) {
      auto payload = entry->payload();
      auto loaded =
          Artifact::deserialize(engine, wasmtime::Span<uint8_t>(const_cast<std::uint8_t*>(payload.data()), payload.size()));
      if (loaded) return loaded.ok();
      cache->discard(key);
    }
  }
  auto compiled = Artifact::compile(engine, wasmtime::Span<uint8_t>(const_cast<std::uint8_t*>(bytes.data()), bytes.size()));
  if (compiled && cache) {
    if (auto artifact = compiled.ok().serialize()) cache->store(key, artifact.ok());
  }
  return compiled;
}

}  // namespace wasibuild::runner
