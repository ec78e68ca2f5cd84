// A real HTTP/1.1 server on 127.0.0.1 for download tests: GET and HEAD,
// byte ranges, and injectable faults. One request per connection, a thread
// per connection; the destructor stops and joins everything without waiting
// on stalled clients.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wasibuild::testing {

enum class Fault {
  none,
  ignore_range,       // answer 200 with the whole body even when a Range header is sent
  drop_midway,        // send headers and `after_bytes` bytes of the body, then close the socket
  wrong_bytes,        // serve the body with one byte changed (same length)
  not_found,          // 404
  fail_then_succeed,  // answer 500 to the first `failures` requests, then serve normally
  slow,               // send the body in small chunks with `delay` between chunks
};

struct FaultSpec {
  Fault kind = Fault::none;
  // drop_midway: body bytes sent before closing.
  // slow: chunk size in bytes (0 means 256).
  std::size_t after_bytes = 0;
  int failures = 1;  // fail_then_succeed: how many 500 answers come first
  std::chrono::milliseconds delay{0};  // slow: pause between chunks
};

class LoopbackServer {
 public:
  LoopbackServer();   // binds 127.0.0.1 port 0, starts accepting on a background thread
  ~LoopbackServer();  // stops accepting, closes, joins every thread; never hangs
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Paths are matched without their query string ("/a?x=1" is "/a").
  void serve(const std::string& url_path, std::string body);  // e.g. "/sdk.tar.gz"
  void serve_file(const std::string& url_path, const std::filesystem::path& file);  // reads the file now
  // Replaces the path's fault; also restarts the fail_then_succeed count.
  void set_fault(const std::string& url_path, FaultSpec fault);

  [[nodiscard]] std::string url(const std::string& url_path) const;  // "http://127.0.0.1:PORT/sdk.tar.gz"
  [[nodiscard]] int port() const;
  [[nodiscard]] int requests(const std::string& url_path) const;  // GET/HEAD count so far
  // Range header values received, in order ("" when absent), GET/HEAD only.
  [[nodiscard]] std::vector<std::string> range_headers(const std::string& url_path) const;

 private:
  struct Route {
    std::shared_ptr<const std::string> body;  // null: not served (404)
    FaultSpec fault;
    int failures_answered = 0;
  };
  struct Stats {
    int requests = 0;
    std::vector<std::string> ranges;
  };
  struct Connection {
    int fd = -1;  // guarded by mutex_; -1 once closed
    bool done = false;
    std::thread thread;
  };
  struct Plan;

  void accept_loop();
  void handle(Connection& connection);
  void close_connection(Connection& connection);
  [[nodiscard]] Plan plan_response(const std::string& method, const std::string& path,
                                   const std::string& range_header);
  void reap_finished();
  // Sleeps for `delay` unless the server stops first; false when stopping.
  bool pause(std::chrono::milliseconds delay);

  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  int port_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::map<std::string, Route> routes_;
  std::map<std::string, Stats> stats_;
  std::list<Connection> connections_;
  std::thread accept_thread_;
};

}  // namespace wasibuild::testing
