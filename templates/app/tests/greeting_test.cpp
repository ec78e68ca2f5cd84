// A test without a framework: a failed check prints and exits non-zero.
#include <cstdio>

#include "greeting.hpp"

static int failures = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

int main() {
  check(greeting("wasm") == "Hello, wasm!", "greeting(\"wasm\")");
  check(greeting("") == "Hello, world!", "greeting(\"\")");
  return failures == 0 ? 0 : 1;
}
