// Runs a real child process for end-to-end tests: argv, a cleaned
// environment, stdin from a string, stdout and stderr captured.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace wasibuild::testing {

struct ProcessResult {
  int exit_status = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{};
  bool killed = false;  // by ProcessOptions::kill_after
};

struct ProcessOptions {
  std::map<std::string, std::string> environment;  // the child's whole environment
  std::string input;
  std::filesystem::path working_directory;  // empty: inherit
  // When positive, a child still running after this long is killed with
  // SIGKILL (its status is then 128 + 9 and `killed` is set): a test of a
  // hang fails instead of hanging the suite. Zero: wait as long as it takes.
  std::chrono::milliseconds kill_after{0};
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& content);
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

}  // namespace wasibuild::testing
