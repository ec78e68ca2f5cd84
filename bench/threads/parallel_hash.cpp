// parallel_hash: a CPU-bound job split over N std::threads, for
// bench/threads_parallel.sh.
//
//   parallel_hash THREADS [MIB] [PASSES]     (defaults: 32 MiB, 40 passes)
//
// Fills a buffer of MIB MiB with bytes derived from their position
// (splitmix64), cut into 64 chunks, then hashes every chunk PASSES times with
// 64-bit FNV-1a, each pass seeded with the previous pass's hash. Thread t
// fills and hashes chunks [64t/N, 64(t+1)/N): both phases are parallel, and
// the threads share nothing but the buffer's memory (disjoint slices) and
// their result slots. The worker threads make no system call (no WASI call
// in the wasm build): allocation and printing happen in the main thread,
// before the threads start and after they are joined.
//
// Prints one line on stdout, the checksum of all chunk hashes in chunk
// order, which does not depend on THREADS: native and wasm builds and every
// thread count must print the same line. Prints the wall time of the
// parallel part (threads started to threads joined) on stderr.
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kChunks = 64;
constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(const unsigned char* data, std::size_t size, std::uint64_t hash) {
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= kFnvPrime;
  }
  return hash;
}

struct Job {
  unsigned char* buffer;
  std::size_t chunk_size;  // bytes, a multiple of 8
  long passes;
  std::vector<std::uint64_t>* hashes;  // one slot per chunk
};

// Fills and hashes chunks [first, last): only this thread touches them.
void work(const Job& job, std::size_t first, std::size_t last) {
  for (std::size_t c = first; c < last; ++c) {
    unsigned char* chunk = job.buffer + c * job.chunk_size;
    const std::uint64_t first_word = c * job.chunk_size / 8;
    for (std::size_t w = 0; w < job.chunk_size / 8; ++w) {
      std::uint64_t v = splitmix64(first_word + w);
      for (int b = 0; b < 8; ++b, v >>= 8) chunk[w * 8 + b] = static_cast<unsigned char>(v);
    }
    std::uint64_t hash = kFnvOffset ^ c;
    for (long p = 0; p < job.passes; ++p) hash = fnv1a(chunk, job.chunk_size, hash);
    (*job.hashes)[c] = hash;
  }
}

bool parse_positive(const char* text, long max, long& out) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > max) return false;
  out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long threads = 0, mib = 32, passes = 40;
  if (argc < 2 || argc > 4 || !parse_positive(argv[1], static_cast<long>(kChunks), threads) ||
      (argc > 2 && !parse_positive(argv[2], 512, mib)) || (argc > 3 && !parse_positive(argv[3], 100000, passes))) {
    std::fprintf(stderr, "usage: parallel_hash THREADS(1-%zu) [MIB(1-512)] [PASSES]\n", kChunks);
    return 2;
  }
  const std::size_t size = static_cast<std::size_t>(mib) << 20;
  // Not value-initialised: the threads write every byte.
  std::unique_ptr<unsigned char[]> buffer(new unsigned char[size]);
  std::vector<std::uint64_t> hashes(kChunks);
  const Job job{buffer.get(), size / kChunks, passes, &hashes};

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (long t = 0; t < threads; ++t) {
    const std::size_t first = kChunks * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
    const std::size_t last = kChunks * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
    pool.emplace_back(work, std::cref(job), first, last);
  }
  for (auto& thread : pool) thread.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  std::uint64_t checksum = kFnvOffset;
  for (const std::uint64_t hash : hashes) checksum = (checksum ^ hash) * kFnvPrime;
  std::printf("checksum %016" PRIx64 " (%ld MiB, %ld passes)\n", checksum, mib, passes);
  std::fprintf(stderr, "parallel part: %.3f s with %ld threads\n", elapsed.count(), threads);
  return 0;
}
