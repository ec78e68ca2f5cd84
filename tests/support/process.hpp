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
};

struct ProcessOptions {
  std::map<std::string, std::string> environment;  // the child's whole environment
  std::string input;
  std::filesystem::path working_directory;  // empty: inherit
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
