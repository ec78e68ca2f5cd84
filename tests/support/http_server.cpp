#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace wasibuild::testing {

namespace {

constexpr std::size_t max_request_head = 64 * 1024;
constexpr int request_timeout_ms = 10'000;  // a client that sends no full request in time is dropped
constexpr int drain_timeout_ms = 2'000;     // waiting for the client's EOF after our response
constexpr std::size_t default_slow_chunk = 256;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// Sends everything; false when the peer is gone or the socket was shut down.
bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

bool send_all(int fd, const std::string& text) { return send_all(fd, text.data(), text.size()); }

// Reads what is available within timeout_ms; 0 on EOF, timeout, error or shutdown.
std::size_t receive_some(int fd, char* buffer, std::size_t size, int timeout_ms) {
  pollfd entry{fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return 0;
    const ssize_t got = ::recv(fd, buffer, size, 0);
    if (got < 0 && errno == EINTR) continue;
    return got > 0 ? static_cast<std::size_t>(got) : 0;
  }
}

// Half-closes our side, then reads until the client's EOF so that closing
// does not reset the connection while the response is still in flight.
void finish_gracefully(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    if (receive_some(fd, sink, sizeof sink, static_cast<int>(left.count())) == 0) return;
  }
}

// End of the request head (index after the blank line), or npos. Accepts
// CRLF and bare LF line endings.
std::size_t find_head_end(const std::string& buffer) {
  for (std::size_t newline = buffer.find('\n'); newline != std::string::npos;
       newline = buffer.find('\n', newline + 1)) {
    std::size_t next = newline + 1;
    if (next < buffer.size() && buffer[next] == '\r') ++next;
    if (next < buffer.size() && buffer[next] == '\n') return next + 1;
  }
  return std::string::npos;
}

struct Request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
};

std::optional<Request> parse_request(const std::string& head) {
  std::vector<std::string> lines;
  std::istringstream stream(head);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  if (lines.empty()) return std::nullopt;
  Request request;
  std::istringstream request_line(lines.front());
  std::string version;
  std::string extra;
  if (!(request_line >> request.method >> request.target >> version) || (request_line >> extra)) {
    return std::nullopt;
  }
  if (version.rfind("HTTP/1.", 0) != 0) return std::nullopt;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    auto name = lowercase(line.substr(0, colon));
    if (name.find_first_of(" \t") != std::string::npos) return std::nullopt;
    auto value = trim(line.substr(colon + 1));
    auto [it, inserted] = request.headers.emplace(std::move(name), value);
    if (!inserted) it->second += ", " + value;
  }
  return request;
}

std::string path_of(std::string target) {
  // absolute-form "http://host:port/path"
  if (const auto scheme = target.find("://"); scheme != std::string::npos && target.front() != '/') {
    const auto slash = target.find('/', scheme + 3);
    target = slash == std::string::npos ? std::string("/") : target.substr(slash);
  }
  if (const auto query = target.find_first_of("?#"); query != std::string::npos) target.resize(query);
  return target;
}

std::optional<std::size_t> parse_number(std::string_view text, bool& overflow) {
  overflow = false;
  if (text.empty()) return std::nullopt;
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) {
    overflow = true;
    return std::numeric_limits<std::size_t>::max();
  }
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct RangeResult {
  enum class Kind { whole, partial, unsatisfiable } kind = Kind::whole;
  std::size_t first = 0;
  std::size_t last = 0;  // inclusive
};

// RFC 9110 byte ranges; a syntactically invalid or multi-range header is
// ignored (whole body), as the RFC allows.
RangeResult parse_range(const std::string& header, std::size_t size) {
  RangeResult whole;
  std::string value = trim(header);
  const auto equals = value.find('=');
  if (equals == std::string::npos || lowercase(trim(value.substr(0, equals))) != "bytes") return whole;
  const std::string spec = trim(value.substr(equals + 1));
  if (spec.find(',') != std::string::npos) return whole;
  const auto dash = spec.find('-');
  if (dash == std::string::npos) return whole;
  const std::string first_text = trim(spec.substr(0, dash));
  const std::string last_text = trim(spec.substr(dash + 1));
  RangeResult result;
  bool overflow = false;
  if (first_text.empty()) {  // suffix: the last N bytes
    const auto suffix = parse_number(last_text, overflow);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return {RangeResult::Kind::unsatisfiable, 0, 0};
    result.kind = RangeResult::Kind::partial;
    result.first = size - std::min(*suffix, size);
    result.last = size - 1;
    return result;
  }
  const auto first = parse_number(first_text, overflow);
  if (!first) return whole;
  std::size_t last = std::numeric_limits<std::size_t>::max();
  if (!last_text.empty()) {
    const auto parsed = parse_number(last_text, overflow);
    if (!parsed) return whole;
    last = *parsed;
    if (last < *first) return whole;
  }
  if (*first >= size) return {RangeResult::Kind::unsatisfiable, 0, 0};
  result.kind = RangeResult::Kind::partial;
  result.first = *first;
  result.last = std::min(last, size - 1);
  return result;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Unknown";
  }
}

}  // namespace

struct LoopbackServer::Plan {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const std::string> body;
  std::size_t offset = 0;
  std::size_t length = 0;
  bool send_body = true;
  std::optional<std::size_t> drop_after;  // close after this many body bytes
  std::size_t chunk = 0;                  // 0: all at once
  std::chrono::milliseconds delay{0};

  static Plan text(int status, std::string message) {
    Plan plan;
    plan.status = status;
    plan.headers.emplace_back("Content-Type", "text/plain");
    plan.body = std::make_shared<const std::string>(std::move(message) + "\n");
    plan.length = plan.body->size();
    return plan;
  }

  [[nodiscard]] std::string head() const {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    out += "Server: wasibuild-test\r\n";
    for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(length) + "\r\n";
    out += "Connection: close\r\n\r\n";
    return out;
  }
};

LoopbackServer::LoopbackServer() {
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) throw_errno("pipe2");
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];
  try {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) throw_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) throw_errno("bind");
    if (::listen(listen_fd_, SOMAXCONN) != 0) throw_errno("listen");
    socklen_t length = sizeof address;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) throw_errno("getsockname");
    port_ = ntohs(address.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (...) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::close(wake_read_fd_);
    ::close(wake_write_fd_);
    throw;
  }
}

LoopbackServer::~LoopbackServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  const char byte = 0;
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);

  std::list<Connection> remaining;
  {
    std::lock_guard lock(mutex_);
    // Wakes every connection thread blocked in poll, recv or send.
    for (auto& connection : connections_) {
      if (connection.fd >= 0) ::shutdown(connection.fd, SHUT_RDWR);
    }
    remaining.splice(remaining.end(), connections_);
  }
  for (auto& connection : remaining) {
    if (connection.thread.joinable()) connection.thread.join();
  }
  ::close(wake_read_fd_);
  ::close(wake_write_fd_);
}

void LoopbackServer::serve(const std::string& url_path, std::string body) {
  std::lock_guard lock(mutex_);
  routes_[url_path].body = std::make_shared<const std::string>(std::move(body));
}

void LoopbackServer::serve_file(const std::string& url_path, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("cannot read " + file.string());
  serve(url_path, std::move(content));
}

void LoopbackServer::set_fault(const std::string& url_path, FaultSpec fault) {
  std::lock_guard lock(mutex_);
  auto& route = routes_[url_path];
  route.fault = fault;
  route.failures_answered = 0;
}

std::string LoopbackServer::url(const std::string& url_path) const {
  std::string path = url_path;
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

int LoopbackServer::port() const { return port_; }

int LoopbackServer::requests(const std::string& url_path) const {
  std::lock_guard lock(mutex_);
  const auto it = stats_.find(url_path);
  return it == stats_.end() ? 0 : it->second.requests;
}

std::vector<std::string> LoopbackServer::range_headers(const std::string& url_path) const {
  std::lock_guard lock(mutex_);
  const auto it = stats_.find(url_path);
  return it == stats_.end() ? std::vector<std::string>{} : it->second.ranges;
}

void LoopbackServer::accept_loop() {
  for (;;) {
    pollfd entries[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    const int ready = ::poll(entries, 2, 1000);
    if (ready < 0 && errno != EINTR) return;
    if (entries[1].revents != 0) return;
    reap_finished();
    if (ready <= 0 || (entries[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // e.g. EMFILE: do not spin
      }
      continue;
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    auto& connection = connections_.emplace_back();
    connection.fd = fd;
    try {
      connection.thread = std::thread([this, &connection] { handle(connection); });
    } catch (...) {
      ::close(fd);
      connections_.pop_back();
    }
  }
}

void LoopbackServer::reap_finished() {
  std::list<Connection> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      const auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), connections_, it);
      it = next;
    }
  }
  for (auto& connection : finished) connection.thread.join();
}

void LoopbackServer::close_connection(Connection& connection) {
  std::lock_guard lock(mutex_);
  if (connection.fd >= 0) ::close(connection.fd);
  connection.fd = -1;
  connection.done = true;
}

bool LoopbackServer::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

LoopbackServer::Plan LoopbackServer::plan_response(const std::string& method, const std::string& path,
                                                   const std::string& range_header) {
  std::shared_ptr<const std::string> body;
  FaultSpec fault;
  {
    std::lock_guard lock(mutex_);
    auto& stats = stats_[path];
    ++stats.requests;
    stats.ranges.push_back(range_header);
    const auto it = routes_.find(path);
    if (it != routes_.end()) {
      body = it->second.body;
      fault = it->second.fault;
      if (body && fault.kind == Fault::fail_then_succeed && it->second.failures_answered < fault.failures) {
        ++it->second.failures_answered;
        return Plan::text(500, "injected failure");
      }
    }
  }
  if (!body || fault.kind == Fault::not_found) return Plan::text(404, "not found: " + path);

  if (fault.kind == Fault::wrong_bytes && !body->empty()) {
    auto changed = std::make_shared<std::string>(*body);
    auto& byte = (*changed)[changed->size() / 2];
    byte = static_cast<char>(byte ^ 0x5a);
    body = std::move(changed);
  }

  Plan plan;
  plan.body = body;
  plan.headers.emplace_back("Content-Type", "application/octet-stream");
  const bool ranges_supported = fault.kind != Fault::ignore_range;
  if (ranges_supported) plan.headers.emplace_back("Accept-Ranges", "bytes");
  const std::size_t size = body->size();
  const RangeResult range =
      ranges_supported && !range_header.empty() ? parse_range(range_header, size) : RangeResult{};
  switch (range.kind) {
    case RangeResult::Kind::whole:
      plan.status = 200;
      plan.offset = 0;
      plan.length = size;
      break;
    case RangeResult::Kind::partial:
      plan.status = 206;
      plan.offset = range.first;
      plan.length = range.last - range.first + 1;
      plan.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                     std::to_string(range.last) + "/" + std::to_string(size));
      break;
    case RangeResult::Kind::unsatisfiable: {
      Plan refused = Plan::text(416, "range not satisfiable");
      refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      refused.send_body = method != "HEAD";
      return refused;
    }
  }
  plan.send_body = method != "HEAD";
  if (fault.kind == Fault::drop_midway) plan.drop_after = fault.after_bytes;
  if (fault.kind == Fault::slow) {
    plan.chunk = fault.after_bytes > 0 ? fault.after_bytes : default_slow_chunk;
    plan.delay = fault.delay;
  }
  return plan;
}

void LoopbackServer::handle(Connection& connection) {
  int fd = -1;
  {
    std::lock_guard lock(mutex_);
    fd = connection.fd;
  }
  try {
    std::string buffer;
    std::size_t head_end = std::string::npos;
    char chunk[4096];
    while ((head_end = find_head_end(buffer)) == std::string::npos && buffer.size() <= max_request_head) {
      const std::size_t got = receive_some(fd, chunk, sizeof chunk, request_timeout_ms);
      if (got == 0) break;
      buffer.append(chunk, got);
    }
    Plan plan;
    std::string method;
    if (head_end == std::string::npos || head_end > max_request_head) {
      if (buffer.size() <= max_request_head) {  // client went away or timed out
        close_connection(connection);
        return;
      }
      plan = Plan::text(431, "request head larger than 64 KiB");
    } else if (auto request = parse_request(buffer.substr(0, head_end)); !request) {
      plan = Plan::text(400, "malformed request");
    } else if (request->method != "GET" && request->method != "HEAD") {
      plan = Plan::text(405, "only GET and HEAD");
      plan.headers.emplace_back("Allow", "GET, HEAD");
    } else {
      method = request->method;
      const auto range = request->headers.find("range");
      plan = plan_response(method, path_of(request->target),
                           range == request->headers.end() ? std::string() : range->second);
    }

    bool ok = send_all(fd, plan.head());
    if (ok && plan.send_body && plan.body) {
      std::size_t to_send = plan.length;
      if (plan.drop_after) to_send = std::min(to_send, *plan.drop_after);
      const char* data = plan.body->data() + plan.offset;
      if (plan.chunk == 0) {
        ok = send_all(fd, data, to_send);
      } else {
        for (std::size_t sent = 0; ok && sent < to_send;) {
          if (sent > 0 && !pause(plan.delay)) ok = false;
          const std::size_t piece = std::min(plan.chunk, to_send - sent);
          ok = ok && send_all(fd, data + sent, piece);
          sent += piece;
        }
      }
    }
    if (ok) finish_gracefully(fd);
  } catch (...) {
    // A failed connection must not take the test process down.
  }
  close_connection(connection);
}

}  // namespace wasibuild::testing
