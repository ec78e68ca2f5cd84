// The one error path: a step that cannot go on throws a Failure; only the
// command line (driver/src/app.cpp) prints it, as
// "wasibuild: error: <message>" followed by "help: <line>" lines, and exits
// with its status. Libraries never print or exit themselves.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace wasibuild::base {

// Exit statuses of wasibuild itself (docs/exit-status.md; a guest's own are
// the runner's).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRunnerError = 125;

struct Failure {
  std::string message;
  std::vector<std::string> help = {};
  int exit_status = kExitFailure;
};

// A value or the reason there is none, for steps whose caller decides what
// a failure means (a cache that may be missing, a toolchain that may not
// resolve). `E` is the part's own structured error.
template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(E error) : state_(std::move(error)) {}      // NOLINT
  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] T& value() { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const { return std::get<0>(state_); }
  [[nodiscard]] const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

}  // namespace wasibuild::base
