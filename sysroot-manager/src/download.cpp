// Downloading with libcurl: resumable, hashed while streaming, retried.
#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <thread>

#include "owned_file.hpp"
#include "sha256.hpp"
#include "wasibuild/installer.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

struct FreeCurl {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct FreeHeaders {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CloseFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Feeds the rest of an open file to the hasher (the part already
// downloaded, or a cached archive).
bool hash_fd_into(int fd, StreamingSha256& hasher, std::uint64_t& size) {
  std::array<char, 1 << 16> buffer{};
  size = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return false;
    if (got == 0) return true;
    hasher.update(buffer.data(), static_cast<std::size_t>(got));
    size += static_cast<std::uint64_t>(got);
  }
}

// The `.part` file to append to, opened as open_own_file does. A planted
// one (a symlink, a FIFO, another owner's or a group-writable file) is
// removed, never followed or written through, and the download starts over.
Result<UniqueFd> open_part(const fs::path& part, ProgressSink& progress) {
  auto opened = open_own_file(part, O_RDWR | O_CREAT | O_APPEND, 0644);
  if (opened || opened.error().kind != Error::Kind::untrusted_file) return opened;
  progress.note(fmt::format("warning: {}; removing it", opened.error().message()));
  std::error_code error;
  fs::remove(part, error);  // a symlink itself, not its target
  if (error) return Error{Error::Kind::io, part.string(), error.message()};
  return open_own_file(part, O_RDWR | O_CREAT | O_EXCL | O_APPEND, 0644);
}

struct Transfer {
  std::FILE* out = nullptr;
  StreamingSha256* hasher = nullptr;
  ProgressSink* progress = nullptr;
  std::uint64_t offset = 0;    // bytes already in the file when this attempt began
  std::uint64_t received = 0;  // bytes written by this attempt
  bool write_failed = false;
  long status = 0;             // HTTP status of the final response
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  // The body of an error page (or of a redirect) is not part of the file.
  // file:// transfers have no status (0).
  if (transfer->status != 200 && transfer->status != 206 && transfer->status != 0) return bytes;
  if (std::fwrite(data, 1, bytes, transfer->out) != bytes) {
    transfer->write_failed = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  transfer->hasher->update(data, bytes);
  transfer->received += bytes;
  transfer->progress->advance(transfer->offset + transfer->received);
  return bytes;
}

std::string cache_key(const std::string& url, const std::optional<std::string>& expected) {
  if (expected) return *expected;
  StreamingSha256 hasher;
  hasher.update(url.data(), url.size());
  return "url-" + hasher.hex();
}

enum class Attempt { done, retry, fail };

struct AttemptResult {
  Attempt next;
  std::string problem;
};

// One HTTP request, appending to `part` from its current size (Range) and
// restarting from zero when the server ignores the range.
AttemptResult attempt(const std::string& url, const fs::path& part, StreamingSha256& hasher,
                      const DownloadSettings& settings, ProgressSink& progress) {
  hasher.reset();
  auto opened = open_part(part, progress);
  if (!opened) return {Attempt::fail, opened.error().message()};
  // A umask such as 002 must not make the file group-writable: the next
  // run would refuse it.
  if (::fchmod(opened.value().get(), 0644) != 0) return {Attempt::fail, "cannot write " + part.string()};
  std::uint64_t existing = 0;
  if (!hash_fd_into(opened.value().get(), hasher, existing)) return {Attempt::fail, "cannot read " + part.string()};
  std::unique_ptr<std::FILE, CloseFile> out(::fdopen(opened.value().get(), "ab"));
  if (!out) return {Attempt::fail, "cannot write " + part.string()};
  (void)opened.value().release();  // the FILE owns it now
  std::unique_ptr<CURL, FreeCurl> curl(curl_easy_init());
  if (!curl) return {Attempt::fail, "libcurl could not start"};

  Transfer transfer{out.get(), &hasher, &progress, existing};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(settings.low_speed_bytes_per_second));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings.low_speed_time.count()));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "wasibuild/0.1");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  if (settings.ca_bundle) curl_easy_setopt(handle, CURLOPT_CAINFO, settings.ca_bundle->c_str());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  const std::string range = fmt::format("{}-", existing);
  if (existing > 0) curl_easy_setopt(handle, CURLOPT_RANGE, range.c_str());

  // A server that ignores Range answers 200 with the whole body: start over.
  // curl calls the header callback before any body byte, so the file can be
  // truncated in time.
  struct RestartCheck {
    Transfer* transfer;
    StreamingSha256* hasher;
    fs::path part;
  } restart{&transfer, &hasher, part};
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &restart);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION,
                   +[](char* data, std::size_t size, std::size_t count, void* user) -> std::size_t {
                     auto* check = static_cast<RestartCheck*>(user);
                     const std::string_view line(data, size * count);
                     if (line.starts_with("HTTP/")) {
                       const auto space = line.find(' ');
                       const long status = space == std::string_view::npos ? 0 : std::atol(line.data() + space + 1);
                       check->transfer->status = status;
                       if (status == 200 && check->transfer->offset > 0) {
                         if (::ftruncate(::fileno(check->transfer->out), 0) != 0) return 0;
                         std::fseek(check->transfer->out, 0, SEEK_SET);
                         check->transfer->offset = 0;
                         check->hasher->reset();
                       }
                     }
                     return size * count;
                   });

  const CURLcode code = curl_easy_perform(handle);
  // No fsync: a download torn by a crash fails its hash when it is reused
  // (cached archives are verified again before every use), and syncing
  // 100 MB costs more than the whole unpack on a slow disk.
  std::fflush(out.get());
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (transfer.write_failed) return {Attempt::fail, "cannot write " + part.string()};
  if (code == CURLE_OK && (status == 200 || status == 206 || status == 0)) return {Attempt::done, {}};
  if (code == CURLE_OK && status == 416) {
    // The part is at least as long as the file: it is complete or wrong;
    // the hash decides, so stop here.
    return {Attempt::done, {}};
  }
  if (code == CURLE_OK) {
    const bool transient = status >= 500 || status == 408 || status == 429;
    return {transient ? Attempt::retry : Attempt::fail, fmt::format("HTTP status {}", status)};
  }
  const bool transient = code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT &&
                         code != CURLE_FILE_COULDNT_READ_FILE && code != CURLE_SSL_CACERT_BADFILE &&
                         code != CURLE_PEER_FAILED_VERIFICATION;
  return {transient ? Attempt::retry : Attempt::fail, curl_easy_strerror(code)};
}

}  // namespace

namespace {

// An earlier download under its expected hash, if it can still be trusted:
// opened without following a link, a regular file of ours that nobody else
// may write, and hashed again (the cache is writable). The installer then
// copies and hashes it once more, so what it unpacks is what it hashed.
bool reusable(const fs::path& done, const std::string& expected, ProgressSink& progress) {
  std::error_code error;
  if (!fs::exists(fs::symlink_status(done, error))) return false;
  auto opened = open_own_file(done, O_RDONLY);
  bool good = false;
  if (opened) {
    StreamingSha256 hasher;
    std::uint64_t size = 0;
    good = hash_fd_into(opened.value().get(), hasher, size) && hasher.hex() == expected;
  } else {
    progress.note(fmt::format("warning: {}; downloading it again", opened.error().message()));
  }
  if (!good) fs::remove(done, error);  // a symlink itself, not its target
  return good;
}

}  // namespace

Result<Downloaded> download(const std::string& url, const std::optional<std::string>& expected_sha256,
                            const fs::path& cache_dir, const DownloadSettings& settings, ProgressSink& progress) {
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ready) return Error{Error::Kind::download_failed, url, "libcurl could not be initialised"};
  std::error_code error;
  fs::create_directories(cache_dir, error);
  if (error) return Error{Error::Kind::io, cache_dir.string(), error.message()};

  const std::string key = cache_key(url, expected_sha256);
  const fs::path done = cache_dir / key;
  const fs::path part = cache_dir / (key + ".part");
  if (expected_sha256 && reusable(done, *expected_sha256, progress)) return Downloaded{done, *expected_sha256};

  StreamingSha256 hasher;
  progress.begin(url, std::nullopt);
  std::string problem;
  auto backoff = settings.first_backoff;
  for (int attempt_number = 1; attempt_number <= settings.attempts; ++attempt_number) {
    const AttemptResult result = attempt(url, part, hasher, settings, progress);
    if (result.next == Attempt::done) {
      problem.clear();
      break;
    }
    problem = result.problem;
    if (result.next == Attempt::fail || attempt_number == settings.attempts) break;
    progress.note(fmt::format("{}: {}; retrying in {} ms ({} of {})", url, problem, backoff.count(),
                              attempt_number + 1, settings.attempts));
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
  if (!problem.empty()) {
    progress.end(false);
    // A network failure keeps the part for resumption.
    return Error{Error::Kind::download_failed, url, problem};
  }
  const std::string actual = hasher.hex();
  if (expected_sha256 && actual != *expected_sha256) {
    progress.end(false);
    fs::remove(part, error);  // wrong bytes are never worth resuming
    return Error{Error::Kind::checksum_mismatch, url, {}, *expected_sha256, actual,
                 {"the download was deleted; if the archive really changed, pass the new hash with --sha256"}};
  }
  const fs::path final_path = cache_dir / actual;
  fs::rename(part, final_path, error);
  if (error) {
    progress.end(false);
    return Error{Error::Kind::io, final_path.string(), error.message()};
  }
  progress.end(true);
  return Downloaded{final_path, actual};
}

}  // namespace wasibuild::toolchain
