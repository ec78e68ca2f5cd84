// The private /tmp of one run (Policy::private_tmp_in, `--private-tmp`).
#pragma once

#include <filesystem>
#include <optional>

#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// A fresh, empty host directory granted read-write as the guest's /tmp for
// one run, removed with everything in it afterwards, on every way the
// process can end: normally, by the timeout watchdog's exit, or killed by a
// signal (SIGINT, SIGTERM, SIGPIPE). A small reaper process, forked when
// the directory is made, waits for this process to go and then removes what
// is left, by descriptor (trees deeper than PATH_MAX too). Create it while
// the process has one thread: the reaper is forked.
class PrivateTmp {
 public:
  // Makes the directory in `parent`; on failure `error()` says why.
  explicit PrivateTmp(const std::filesystem::path& parent);
  PrivateTmp(const PrivateTmp&) = delete;
  PrivateTmp& operator=(const PrivateTmp&) = delete;
  ~PrivateTmp();

  [[nodiscard]] const std::optional<Error>& error() const { return error_; }
  [[nodiscard]] DirectoryGrant grant() const;

 private:
  std::optional<Error> error_;
  std::filesystem::path path_;
  int parent_fd_ = -1;    // the directory holding it, for removal by name
  int reaper_pipe_ = -1;  // closing it (or dying) tells the reaper to clean up
  int reaper_pid_ = -1;
};

}  // namespace wasibuild::runner
